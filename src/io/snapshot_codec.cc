#include "io/snapshot_codec.h"

#include <cmath>
#include <string>
#include <utility>

#include "snapshot.pb.h"

namespace kedastral::io {
namespace {

int64_t Ms(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint At(int64_t ms) { return TimePoint(Duration(ms)); }

void EncodeSeries(const Series& in, v1::Series* out) {
  out->set_start_ms(Ms(in.start));
  out->set_step_ms(in.step.count());
  out->mutable_values()->Assign(in.values.begin(), in.values.end());
}

bool AllFinite(const google::protobuf::RepeatedField<double>& values) {
  for (double v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

bool TimeInRange(int64_t ms) { return ms >= 0 && ms <= kMaxSnapshotTimeMs; }

Result<Series> DecodeSeries(const v1::Series& in, std::string_view what) {
  if (!TimeInRange(in.start_ms()) || in.step_ms() > kMaxSnapshotStepMs) {
    return Fail(Error::Parse(std::string(what) + ": time or step out of range"));
  }
  if (static_cast<size_t>(in.values_size()) > kMaxSnapshotSteps) {
    return Fail(Error::Parse(std::string(what) + ": too many points"));
  }
  if (in.values_size() > 0 && in.step_ms() <= 0) {
    return Fail(Error::Parse(std::string(what) + ": step must be positive"));
  }
  if (!AllFinite(in.values())) {
    return Fail(Error::Parse(std::string(what) + ": non-finite value"));
  }
  Series out;
  out.start = At(in.start_ms());
  out.step = Duration(in.step_ms() > 0 ? in.step_ms() : 60000);
  out.values.assign(in.values().begin(), in.values().end());
  return out;
}

// Checks the served part: what GetMetrics and the HTTP API would read.
Result<void> CheckForecast(const v1::Snapshot& m) {
  const auto steps = static_cast<size_t>(m.p50_size());
  if (m.workload().empty()) return Fail(Error::Parse("snapshot: empty workload"));
  if (m.step_ms() <= 0) return Fail(Error::Parse("snapshot: step must be positive"));
  if (m.horizon_ms() < 0) return Fail(Error::Parse("snapshot: negative horizon"));
  if (!TimeInRange(m.generated_at_ms()) || !TimeInRange(m.start_ms()) ||
      !TimeInRange(m.last_error_at_ms()) || m.step_ms() > kMaxSnapshotStepMs) {
    return Fail(Error::Parse("snapshot: time or step out of range"));
  }
  if (steps > kMaxSnapshotSteps) return Fail(Error::Parse("snapshot: too many steps"));
  if (static_cast<size_t>(m.quantiles_size()) > kMaxSnapshotQuantiles) {
    return Fail(Error::Parse("snapshot: too many quantiles"));
  }
  if (static_cast<size_t>(m.replicas_size()) != steps) {
    return Fail(Error::Parse("snapshot: replicas and p50 differ in length"));
  }
  if (!AllFinite(m.p50())) return Fail(Error::Parse("snapshot: non-finite p50 value"));
  double previous_level = 0;
  for (const auto& q : m.quantiles()) {
    if (!(q.level() > previous_level && q.level() < 1)) {
      return Fail(Error::Parse("snapshot: quantile levels must ascend within (0, 1)"));
    }
    previous_level = q.level();
    if (static_cast<size_t>(q.values_size()) != steps) {
      return Fail(Error::Parse("snapshot: quantile and p50 differ in length"));
    }
    if (!AllFinite(q.values())) return Fail(Error::Parse("snapshot: non-finite quantile value"));
  }
  for (int r : m.replicas()) {
    if (r < 0 || r > kMaxSnapshotReplicas) {
      return Fail(Error::Parse("snapshot: replicas out of range"));
    }
  }
  return {};
}

Result<void> DecodePageData(const v1::Snapshot& m, Snapshot& s) {
  if (static_cast<size_t>(m.accuracy_size()) > kMaxSnapshotAccuracy ||
      static_cast<size_t>(m.earlier_forecasts_size()) > kMaxSnapshotEarlierForecasts) {
    return Fail(Error::Parse("snapshot: too much page data"));
  }
  for (const auto& a : m.accuracy()) {
    AccuracyStats stats;
    stats.window = Duration(a.window_ms());
    stats.points = a.points();
    stats.mase = a.mase();
    stats.mape = a.mape();
    stats.p90_coverage = a.p90_coverage();
    stats.underprovision_seconds = a.underprovision_seconds();
    s.accuracy.push_back(stats);
  }
  s.mase_scale = m.mase_scale();
  s.underprovision_seconds_total = m.underprovision_seconds_total();
  auto actuals = DecodeSeries(m.actuals(), "snapshot actuals");
  if (!actuals) return Fail(actuals.error());
  s.actuals = std::move(*actuals);
  for (const auto& f : m.earlier_forecasts()) {
    if (!TimeInRange(f.generated_at_ms())) {
      return Fail(Error::Parse("snapshot earlier forecast: time out of range"));
    }
    auto p50 = DecodeSeries(f.p50(), "snapshot earlier forecast");
    if (!p50) return Fail(p50.error());
    s.earlier_forecasts.push_back({At(f.generated_at_ms()), std::move(*p50)});
  }
  return {};
}

}  // namespace

std::string EncodeSnapshot(const Snapshot& s, uint64_t leader_epoch, std::string_view publisher) {
  v1::Snapshot m;
  m.set_workload(s.workload);
  m.set_metric(s.metric);
  m.set_generated_at_ms(Ms(s.generated_at));
  m.set_start_ms(Ms(s.start));
  m.set_step_ms(s.step.count());
  m.set_horizon_ms(s.horizon.count());
  m.mutable_p50()->Assign(s.values.begin(), s.values.end());
  for (const auto& q : s.quantiles) {
    auto* out = m.add_quantiles();
    out->set_level(q.level);
    out->mutable_values()->Assign(q.values.begin(), q.values.end());
  }
  m.mutable_replicas()->Assign(s.replicas.begin(), s.replicas.end());
  m.set_model(s.model);
  m.set_config_fingerprint(s.config_fingerprint);
  m.set_sequence(s.sequence);
  m.set_leader_epoch(leader_epoch);
  m.set_publisher(std::string(publisher));
  m.set_last_error(s.last_error);
  m.set_last_error_at_ms(Ms(s.last_error_at));
  m.set_consecutive_failures(s.consecutive_failures);
  for (const auto& a : s.accuracy) {
    auto* out = m.add_accuracy();
    out->set_window_ms(a.window.count());
    out->set_points(a.points);
    out->set_mase(a.mase);
    out->set_mape(a.mape);
    out->set_p90_coverage(a.p90_coverage);
    out->set_underprovision_seconds(a.underprovision_seconds);
  }
  m.set_mase_scale(s.mase_scale);
  m.set_underprovision_seconds_total(s.underprovision_seconds_total);
  EncodeSeries(s.actuals, m.mutable_actuals());
  for (const auto& f : s.earlier_forecasts) {
    auto* out = m.add_earlier_forecasts();
    out->set_generated_at_ms(Ms(f.generated_at));
    EncodeSeries(f.p50, out->mutable_p50());
  }
  return m.SerializeAsString();
}

Result<MirroredSnapshot> DecodeSnapshot(std::string_view bytes) {
  if (bytes.size() > kMaxSnapshotBytes) return Fail(Error::Parse("snapshot: payload too large"));
  v1::Snapshot m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Fail(Error::Parse("snapshot: not a kedastral.v1.Snapshot"));
  }
  if (auto ok = CheckForecast(m); !ok) return Fail(ok.error());

  auto s = std::make_shared<Snapshot>();
  s->workload = m.workload();
  s->metric = m.metric();
  s->generated_at = At(m.generated_at_ms());
  s->start = At(m.start_ms());
  s->step = Duration(m.step_ms());
  s->horizon = Duration(m.horizon_ms());
  s->values.assign(m.p50().begin(), m.p50().end());
  for (const auto& q : m.quantiles()) {
    s->quantiles.push_back({q.level(), {q.values().begin(), q.values().end()}});
  }
  s->replicas.assign(m.replicas().begin(), m.replicas().end());
  s->model = m.model();
  s->config_fingerprint = m.config_fingerprint();
  s->sequence = m.sequence();
  s->last_error = m.last_error();
  s->last_error_at = At(m.last_error_at_ms());
  s->consecutive_failures = m.consecutive_failures();
  if (auto ok = DecodePageData(m, *s); !ok) return Fail(ok.error());

  MirroredSnapshot out;
  out.snapshot = std::move(s);
  out.leader_epoch = m.leader_epoch();
  out.publisher = m.publisher();
  return out;
}

}  // namespace kedastral::io
