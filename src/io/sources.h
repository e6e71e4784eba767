#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/config.h"
#include "loop/source.h"

namespace kedastral::io {

// Builds a Source for every configured source, by type. A source that cannot be
// set up (a missing replay file, ...) is replaced by an UnavailableSource carrying
// the reason, so its workloads report it instead of the process stopping; the
// reason is also logged once here.
std::map<std::string, std::unique_ptr<loop::Source>> OpenSources(const Config& config);

}  // namespace kedastral::io
