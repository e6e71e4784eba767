#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/time.h"
#include "loop/probe.h"

namespace kedastral {
class SnapshotTable;
}  // namespace kedastral

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace kedastral::io {

// Kedastral's Prometheus metrics: the loop reports through the Probe interface, the
// servers through HttpRequestDone / GrpcRequestDone, and /metrics calls Serialize.
//
// Families (names are part of the product's interface):
//   computed at scrape time from the SnapshotTable, so a workload that leaves the
//   config disappears from them by itself:
//     kedastral_predicted_value{workload,quantile}  gauge: forecast for the step containing now
//                                                   (step 0 while now is before the forecast's
//                                                   start; none after its end); quantile
//                                                   "p50", "p90", ...
//     kedastral_desired_replicas{workload}          gauge: max planned replicas over
//                                                   [now, now + leadTime] (the plan, also in shadow
//                                                   mode)
//     kedastral_forecast_age_seconds{workload}      gauge: age of the forecast at scrape time
//     kedastral_forecast_error{workload,metric,window}  gauge: rolling accuracy of the forecasts
//                                                   in effect when actual values arrived (see
//                                                   loop/accuracy.h); metric "mase" (scale: the
//                                                   in-sample one-step naive error), "mape"
//                                                   (percent), "p90_coverage" (0..1); window
//                                                   "1h", "24h"; absent while undefined
//     kedastral_underprovision_seconds{workload,window}  gauge: seconds in the window in which
//                                                   actual > planned replicas x targetPerPod
//     kedastral_underprovision_seconds_total{workload}   counter: the same since tracking began
//                                                   (resets when the workload's data changes)
//     kedastral_model_info{workload,model}          gauge, always 1: model of the newest
//                                                   forecast ("auto:seasonal_naive", ...)
//     kedastral_actual_value{workload}              gauge: newest actual value seen by the loop
//   recorded as events happen:
//     kedastral_cycles_total{workload,result="ok"|"error"}          counter
//     kedastral_cycle_duration_seconds{workload}                    histogram
//     kedastral_fit_duration_seconds{workload,model}                histogram
//     kedastral_source_fetch_total{source,result="ok"|"error"}      counter
//     kedastral_source_fetch_duration_seconds{source}               histogram
//     kedastral_http_requests_total{route,code}                     counter
//     kedastral_http_request_duration_seconds{route}                histogram
//     kedastral_grpc_requests_total{method,code}                    counter (code: "OK",
//                                                                   "UNAVAILABLE", ...)
//     kedastral_grpc_request_duration_seconds{method}               histogram
// Label values are bounded: workloads and sources come from the config, routes and
// methods are fixed sets chosen by the callers, at most kMaxModelsPerWorkload model
// names are kept per workload (more, or odd names, are reported as "other").
//
// @par Thread safety
// Every method may be called from any thread concurrently. The table must outlive
// this object.
class Metrics : public loop::Probe {
 public:
  static constexpr size_t kMaxModelsPerWorkload = 8;

  explicit Metrics(const SnapshotTable& table);
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // loop::Probe
  void CycleDone(std::string_view workload, double seconds, bool ok) override;
  void FitDone(std::string_view workload, std::string_view model, double seconds) override;
  void FetchDone(std::string_view source, double seconds, bool ok, size_t points) override;
  // Drops the workload's series from the event families. A report for the workload
  // arriving afterwards (a cycle that was already running) creates them again.
  void WorkloadRemoved(std::string_view workload) override;

  // One HTTP request answered; `route` is a bounded label (see RouteLabel in
  // http_handlers.h), `status` the HTTP status code.
  void HttpRequestDone(std::string_view route, int status, double seconds);

  // One gRPC call finished; `method` is the RPC's short name ("GetMetrics"), `code`
  // a grpc::StatusCode value (0 = OK), reported by name.
  void GrpcRequestDone(std::string_view method, int code, double seconds);

  // A component's state in words (e.g. "ha" -> "standalone: redis unreachable"), shown
  // in /readyz; an empty status removes the component. Thread-safe.
  void SetComponentStatus(const std::string& component, const std::string& status);
  std::map<std::string, std::string> ComponentStatus() const;

  // The registry behind the event families, for other parts of io/ that register
  // families of their own (they appear in Serialize's output). Thread-safe.
  prometheus::Registry& registry();

  // Everything in the Prometheus text exposition format (version 0.0.4), with the
  // scrape-time families computed at `now`.
  std::string Serialize(TimePoint now) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kedastral::io
