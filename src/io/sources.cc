#include "io/sources.h"

#include "core/log.h"
#include "io/prometheus_source.h"
#include "io/replay_source.h"
#include "io/unavailable_source.h"

namespace kedastral::io {

std::map<std::string, std::unique_ptr<loop::Source>> OpenSources(const Config& config,
                                                                 boost::asio::io_context& ioc,
                                                                 prometheus::Registry* registry) {
  std::map<std::string, std::unique_ptr<loop::Source>> out;
  for (const SourceSpec& s : config.sources) {
    Result<std::unique_ptr<loop::Source>> source = Fail(Error::Internal("unknown source type"));
    if (s.type == SourceType::kReplay) source = ReplaySource::Open(s.file);
    if (s.type == SourceType::kPrometheus) {
      auto prom = PrometheusSource::Open(ioc, s, registry);
      if (prom) (*prom)->SetFoldOptions(FoldOptionsFor(config, s.name));
      source = std::move(prom);
    }
    if (!source) {
      log::Error("source unavailable", {{"source", s.name}, {"error", source.error().message}});
      source = std::make_unique<UnavailableSource>(source.error());
    }
    out.emplace(s.name, std::move(*source));
  }
  return out;
}

}  // namespace kedastral::io
