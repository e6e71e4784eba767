#include "io/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "core/snapshot.h"
#include "core/snapshot_table.h"

namespace kedastral::io {
namespace {

using prometheus::ClientMetric;
using prometheus::Counter;
using prometheus::Family;
using prometheus::Histogram;
using prometheus::MetricFamily;

// A refresh cycle includes a fetch and a fit; fits of long histories take seconds.
const Histogram::BucketBoundaries kCycleBuckets = {0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                   2.5,  5,    10,  30,   60,  120};
const Histogram::BucketBoundaries kFetchBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5,   1,    2.5,   5,    10,  30};
// Requests are answered from memory: sub-millisecond is the normal case.
const Histogram::BucketBoundaries kRequestBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

// grpc::StatusCode names, indexed by value; Prometheus users expect names
// (as in grpc_server_handled_total{grpc_code="OK"}).
constexpr std::array<std::string_view, 17> kGrpcCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

std::string GrpcCodeName(int code) {
  if (code >= 0 && static_cast<size_t>(code) < kGrpcCodeNames.size()) {
    return std::string(kGrpcCodeNames[static_cast<size_t>(code)]);
  }
  return "UNKNOWN";
}

// A model name is used as a label value only when it looks like one of ours; anything
// else (an error message passed by mistake, say) would grow the series set unboundedly.
bool IsPlainModelName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

ClientMetric GaugeSample(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  return m;
}

// "1h", "24h": the window label of the accuracy families (hours when whole, so the
// day window reads as the issue and the docs name it).
std::string WindowLabel(Duration w) {
  constexpr Duration kHour{3'600'000};
  if (w.count() > 0 && w % kHour == Duration::zero()) return std::to_string(w / kHour) + "h";
  return FormatDuration(w);
}

MetricFamily GaugeFamily(std::string name, std::string help) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = prometheus::MetricType::Gauge;
  return f;
}

}  // namespace

struct Metrics::Impl {
  // The series of one workload in the event families, kept so WorkloadRemoved can
  // hand them to Family::Remove (which wants the metric's address).
  struct WorkloadSeries {
    Counter* cycles_ok = nullptr;
    Counter* cycles_error = nullptr;
    Histogram* cycle_duration = nullptr;
    std::map<std::string, Histogram*, std::less<>> fit_duration;  // by model label
  };
  // A counter and a histogram sharing a label prefix, cached so the request paths do
  // not allocate a histogram (Family::Add builds one before finding the existing one).
  struct RequestSeries {
    Counter* total = nullptr;
    Histogram* duration = nullptr;
  };

  explicit Impl(const SnapshotTable& t)
      : table(t),
        registry(std::make_shared<prometheus::Registry>()),
        cycles(prometheus::BuildCounter()
                   .Name("kedastral_cycles_total")
                   .Help("Refresh cycles (fetch, fit, forecast, plan, publish) by result.")
                   .Register(*registry)),
        cycle_duration(prometheus::BuildHistogram()
                           .Name("kedastral_cycle_duration_seconds")
                           .Help("Duration of one refresh cycle.")
                           .Register(*registry)),
        fit_duration(prometheus::BuildHistogram()
                         .Name("kedastral_fit_duration_seconds")
                         .Help("Duration of a model fit plus forecast on the compute pool.")
                         .Register(*registry)),
        fetch_total(prometheus::BuildCounter()
                        .Name("kedastral_source_fetch_total")
                        .Help("History fetches from a source by result.")
                        .Register(*registry)),
        fetch_duration(prometheus::BuildHistogram()
                           .Name("kedastral_source_fetch_duration_seconds")
                           .Help("Duration of one history fetch.")
                           .Register(*registry)),
        http_total(prometheus::BuildCounter()
                       .Name("kedastral_http_requests_total")
                       .Help("HTTP requests answered, by matched route and status code.")
                       .Register(*registry)),
        http_duration(prometheus::BuildHistogram()
                          .Name("kedastral_http_request_duration_seconds")
                          .Help("Time to answer an HTTP request, by matched route.")
                          .Register(*registry)),
        grpc_total(prometheus::BuildCounter()
                       .Name("kedastral_grpc_requests_total")
                       .Help("KEDA external scaler calls, by method and status code.")
                       .Register(*registry)),
        grpc_duration(prometheus::BuildHistogram()
                          .Name("kedastral_grpc_request_duration_seconds")
                          .Help("Time to answer a KEDA external scaler call, by method.")
                          .Register(*registry)) {}

  WorkloadSeries& SeriesOf(std::string_view workload);  // requires mu
  std::vector<MetricFamily> CollectSnapshots(TimePoint now) const;

  const SnapshotTable& table;
  std::shared_ptr<prometheus::Registry> registry;
  mutable std::mutex status_mu;
  std::map<std::string, std::string> component_status;  // guarded by status_mu
  Family<Counter>& cycles;
  Family<Histogram>& cycle_duration;
  Family<Histogram>& fit_duration;
  Family<Counter>& fetch_total;
  Family<Histogram>& fetch_duration;
  Family<Counter>& http_total;
  Family<Histogram>& http_duration;
  Family<Counter>& grpc_total;
  Family<Histogram>& grpc_duration;

  // Adding and removing a workload's series must not interleave with an increment
  // through a pointer that Remove is about to free, so every use of these pointers
  // happens under mu. The request caches are never pruned (bounded label sets).
  mutable std::mutex mu;
  std::map<std::string, WorkloadSeries, std::less<>> workloads;          // guarded by mu
  std::map<std::string, RequestSeries, std::less<>> http_series;         // guarded by mu
  std::map<std::string, RequestSeries, std::less<>> grpc_series;         // guarded by mu
  std::map<std::string, Histogram*, std::less<>> fetch_duration_series;  // guarded by mu
};

Metrics::Impl::WorkloadSeries& Metrics::Impl::SeriesOf(std::string_view workload) {
  auto it = workloads.find(workload);
  if (it != workloads.end()) return it->second;
  std::string name(workload);
  WorkloadSeries s;
  s.cycles_ok = &cycles.Add({{"workload", name}, {"result", "ok"}});
  s.cycles_error = &cycles.Add({{"workload", name}, {"result", "error"}});
  s.cycle_duration = &cycle_duration.Add({{"workload", name}}, kCycleBuckets);
  return workloads.emplace(std::move(name), std::move(s)).first->second;
}

// The families that describe the table's current state. Built per scrape, so
// they never hold a workload the table no longer has.
std::vector<MetricFamily> Metrics::Impl::CollectSnapshots(TimePoint now) const {
  MetricFamily predicted = GaugeFamily(
      "kedastral_predicted_value",
      "Forecast value of the step containing the scrape time, by quantile (p50 = median).");
  MetricFamily desired = GaugeFamily(
      "kedastral_desired_replicas",
      "Max planned replicas over [now, now + leadTime]; the plan, also in shadow mode.");
  MetricFamily age =
      GaugeFamily("kedastral_forecast_age_seconds", "Age of the newest forecast at scrape time.");
  MetricFamily error = GaugeFamily(
      "kedastral_forecast_error",
      "Rolling forecast error by measure (mase, mape in percent, p90_coverage as a 0..1 "
      "fraction) over a trailing window; absent while undefined.");
  MetricFamily under_window = GaugeFamily(
      "kedastral_underprovision_seconds",
      "Seconds in the trailing window in which actual demand exceeded planned capacity.");
  MetricFamily under_total;
  under_total.name = "kedastral_underprovision_seconds_total";
  under_total.help =
      "Seconds in which actual demand exceeded the capacity planned for that moment "
      "(replicas x targetPerPod), since the workload's tracking began.";
  under_total.type = prometheus::MetricType::Counter;
  MetricFamily model_info =
      GaugeFamily("kedastral_model_info", "Always 1; the model of the newest forecast.");
  MetricFamily actual = GaugeFamily(
      "kedastral_actual_value", "Newest actual value of the workload's query seen by the loop.");

  for (const SnapshotTable::Entry& e : table.List()) {
    const Snapshot* s = e.snapshot.get();
    if (s == nullptr || !s->has_forecast()) continue;
    const std::string& w = e.spec->name;
    age.metric.push_back(
        GaugeSample({{"workload", w}}, static_cast<double>(ForecastAge(*s, now).count()) / 1000.0));
    int replicas = MaxReplicasInWindow(*s, now, e.spec->lead_time);
    if (replicas >= 0) desired.metric.push_back(GaugeSample({{"workload", w}}, replicas));
    model_info.metric.push_back(GaugeSample(
        {{"model", IsPlainModelName(s->model) ? s->model : "other"}, {"workload", w}}, 1));
    if (!s->actuals.empty()) {
      actual.metric.push_back(GaugeSample({{"workload", w}}, s->actuals.values.back()));
    }
    if (!s->accuracy.empty()) {
      ClientMetric total;
      total.label = {{"workload", w}};
      total.counter.value = s->underprovision_seconds_total;
      under_total.metric.push_back(std::move(total));
    }
    for (const AccuracyStats& a : s->accuracy) {
      const std::string window = WindowLabel(a.window);
      const std::pair<const char*, double> measures[] = {
          {"mase", a.mase}, {"mape", a.mape}, {"p90_coverage", a.p90_coverage}};
      for (const auto& [name, value] : measures) {
        if (std::isnan(value)) continue;
        error.metric.push_back(
            GaugeSample({{"metric", name}, {"window", window}, {"workload", w}}, value));
      }
      under_window.metric.push_back(
          GaugeSample({{"window", window}, {"workload", w}}, a.underprovision_seconds));
    }

    // Step k covers [start + k*step, start + (k+1)*step). A forecast starts at the step
    // after the newest history point, so until the clock reaches it, step 0 is the
    // current prediction (as for MaxReplicasInWindow). Past its end there is no
    // current value, so no sample rather than a made-up one.
    if (s->step.count() <= 0) continue;
    size_t k = now < s->start ? 0 : static_cast<size_t>((now - s->start) / s->step);
    if (k >= s->values.size()) continue;
    predicted.metric.push_back(GaugeSample({{"quantile", "p50"}, {"workload", w}}, s->values[k]));
    for (const QuantileSeries& q : s->quantiles) {
      if (k >= q.values.size()) continue;
      predicted.metric.push_back(
          GaugeSample({{"quantile", QuantileName(q.level)}, {"workload", w}}, q.values[k]));
    }
  }
  std::vector<MetricFamily> out;
  out.push_back(std::move(predicted));
  out.push_back(std::move(desired));
  out.push_back(std::move(age));
  out.push_back(std::move(error));
  out.push_back(std::move(under_window));
  out.push_back(std::move(under_total));
  out.push_back(std::move(model_info));
  out.push_back(std::move(actual));
  return out;
}

Metrics::Metrics(const SnapshotTable& table) : impl_(std::make_unique<Impl>(table)) {}

Metrics::~Metrics() = default;

void Metrics::CycleDone(std::string_view workload, double seconds, bool ok) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl::WorkloadSeries& s = impl_->SeriesOf(workload);
  (ok ? s.cycles_ok : s.cycles_error)->Increment();
  s.cycle_duration->Observe(seconds);
}

void Metrics::FitDone(std::string_view workload, std::string_view model, double seconds) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl::WorkloadSeries& s = impl_->SeriesOf(workload);
  auto it = s.fit_duration.find(model);
  if (it == s.fit_duration.end()) {
    std::string label = IsPlainModelName(model) && s.fit_duration.size() < kMaxModelsPerWorkload - 1
                            ? std::string(model)
                            : std::string("other");
    it = s.fit_duration.find(label);
    if (it == s.fit_duration.end()) {
      Histogram* h = &impl_->fit_duration.Add(
          {{"workload", std::string(workload)}, {"model", label}}, kCycleBuckets);
      it = s.fit_duration.emplace(std::move(label), h).first;
    }
  }
  it->second->Observe(seconds);
}

void Metrics::FetchDone(std::string_view source, double seconds, bool ok, size_t points) {
  std::string name(source);
  impl_->fetch_total.Add({{"source", name}, {"result", ok ? "ok" : "error"}}).Increment();
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->fetch_duration_series.find(source);
  if (it == impl_->fetch_duration_series.end()) {
    Histogram* h = &impl_->fetch_duration.Add({{"source", name}}, kFetchBuckets);
    it = impl_->fetch_duration_series.emplace(name, h).first;
  }
  it->second->Observe(seconds);
}

void Metrics::WorkloadRemoved(std::string_view workload) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->workloads.find(workload);
  if (it == impl_->workloads.end()) return;
  Impl::WorkloadSeries& s = it->second;
  impl_->cycles.Remove(s.cycles_ok);
  impl_->cycles.Remove(s.cycles_error);
  impl_->cycle_duration.Remove(s.cycle_duration);
  for (auto& [model, h] : s.fit_duration) impl_->fit_duration.Remove(h);
  impl_->workloads.erase(it);
}

void Metrics::HttpRequestDone(std::string_view route, int status, double seconds) {
  std::string code = std::to_string(status);
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::string key = std::string(route) + '\n' + code;
  auto it = impl_->http_series.find(key);
  if (it == impl_->http_series.end()) {
    Impl::RequestSeries s;
    s.total = &impl_->http_total.Add({{"route", std::string(route)}, {"code", code}});
    s.duration = &impl_->http_duration.Add({{"route", std::string(route)}}, kRequestBuckets);
    it = impl_->http_series.emplace(std::move(key), s).first;
  }
  it->second.total->Increment();
  it->second.duration->Observe(seconds);
}

void Metrics::GrpcRequestDone(std::string_view method, int code, double seconds) {
  std::string code_name = GrpcCodeName(code);
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::string key = std::string(method) + '\n' + code_name;
  auto it = impl_->grpc_series.find(key);
  if (it == impl_->grpc_series.end()) {
    Impl::RequestSeries s;
    s.total = &impl_->grpc_total.Add({{"method", std::string(method)}, {"code", code_name}});
    s.duration = &impl_->grpc_duration.Add({{"method", std::string(method)}}, kRequestBuckets);
    it = impl_->grpc_series.emplace(std::move(key), s).first;
  }
  it->second.total->Increment();
  it->second.duration->Observe(seconds);
}

prometheus::Registry& Metrics::registry() { return *impl_->registry; }

void Metrics::SetComponentStatus(const std::string& component, const std::string& status) {
  std::lock_guard lock(impl_->status_mu);
  if (status.empty()) {
    impl_->component_status.erase(component);
  } else {
    impl_->component_status[component] = status;
  }
}

std::map<std::string, std::string> Metrics::ComponentStatus() const {
  std::lock_guard lock(impl_->status_mu);
  return impl_->component_status;
}

std::string Metrics::Serialize(TimePoint now) const {
  std::vector<MetricFamily> families = impl_->registry->Collect();
  for (MetricFamily& f : impl_->CollectSnapshots(now)) families.push_back(std::move(f));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace kedastral::io
