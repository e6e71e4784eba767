#pragma once

#include <string_view>

namespace kedastral::loop {

// What the scheduler reports for metrics (implemented in io/metrics.cc). The loop
// never touches a metrics registry itself. Methods may be called from the loop
// thread and from compute-pool threads concurrently.
class Probe {
 public:
  virtual ~Probe() = default;
  // One refresh of a workload ended: fetch, fit, forecast, plan and publish.
  virtual void CycleDone(std::string_view workload, double seconds, bool ok) {}
  // A model fit + forecast took `seconds` on the compute pool.
  virtual void FitDone(std::string_view workload, std::string_view model, double seconds) {}
  // A fetch from a source ended.
  virtual void FetchDone(std::string_view source, double seconds, bool ok, size_t points) {}
  // The workload left the config: drop its labelled series.
  virtual void WorkloadRemoved(std::string_view workload) {}
};

}  // namespace kedastral::loop
