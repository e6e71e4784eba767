#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/config.h"
#include "loop/source.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace kedastral::io {

// Builds a Source for every configured source, by type: ReplaySource for replay,
// PrometheusSource (HTTP on `ioc`, metrics in `registry`, which may be null) for
// prometheus, told how each of its workloads folds several series. A source that
// cannot be set up (a missing replay file, an unreadable caFile, ...) is replaced by
// an UnavailableSource carrying the reason, so its workloads report it instead of the
// process stopping; the reason is also logged once here. `ioc` and `registry` must
// outlive the sources.
std::map<std::string, std::unique_ptr<loop::Source>> OpenSources(const Config& config,
                                                                 boost::asio::io_context& ioc,
                                                                 prometheus::Registry* registry);

}  // namespace kedastral::io
