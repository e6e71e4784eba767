#include "io/scaler_logic.h"

#include "core/config.h"
#include "core/snapshot.h"

namespace kedastral::io {
namespace {

Result<void> CheckLength(std::string_view what, std::string_view value, size_t limit) {
  if (value.size() <= limit) return {};
  return Fail(Error::InvalidArgument(std::string(what) + " is longer than " +
                                     std::to_string(limit) + " characters"));
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Appends the newest cycle's failure, which usually explains why the data is old.
std::string WithLastError(std::string message, const Snapshot& s) {
  if (!s.last_error.empty()) message += "; last error: " + s.last_error;
  return message;
}

}  // namespace

std::optional<std::string_view> ScalerRef::Find(std::string_view key) const {
  for (const auto& [k, v] : metadata) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Result<void> ValidateRef(const ScalerRef& ref) {
  if (auto r = CheckLength("name", ref.name, kMaxNameLength); !r) return r;
  if (auto r = CheckLength("namespace", ref.ns, kMaxNameLength); !r) return r;
  if (ref.metadata.size() > kMaxMetadataEntries) {
    return Fail(Error::InvalidArgument("more than " + std::to_string(kMaxMetadataEntries) +
                                       " scalerMetadata entries"));
  }
  for (const auto& [key, value] : ref.metadata) {
    if (auto r = CheckLength("scalerMetadata key", key, kMaxNameLength); !r) return r;
    // Values Kedastral reads as names get the name bound; the rest a looser one,
    // since KEDA forwards every trigger field (scalerAddress and friends).
    size_t limit = kMaxMetadataValueLength;
    if (key == kWorkloadKey || key == kMetricNameKey) limit = kMaxNameLength;
    if (key == kLeadTimeKey) limit = kMaxDurationLength;
    if (auto r = CheckLength("scalerMetadata " + Quoted(key), value, limit); !r) return r;
  }
  return {};
}

Result<SnapshotTable::Entry> ResolveWorkload(const SnapshotTable& table, const ScalerRef& ref) {
  if (auto named = ref.Find(kWorkloadKey)) {
    if (named->empty()) {
      return Fail(Error::InvalidArgument("scalerMetadata \"workload\" is empty"));
    }
    auto entry = table.Get(*named);
    if (!entry) return Fail(Error::NotFound("workload " + Quoted(*named) + " is not configured"));
    return *entry;
  }
  auto entry = table.Get(ref.name);
  if (!entry) {
    return Fail(Error::NotFound("no workload named " + Quoted(ref.name) +
                                " (set scalerMetadata \"workload\" to choose one)"));
  }
  const std::string& ns = entry->spec->ns;
  if (!ns.empty() && ns != ref.ns) {
    return Fail(Error::NotFound("workload " + Quoted(ref.name) + " is configured for namespace " +
                                Quoted(ns) + ", not " + Quoted(ref.ns)));
  }
  return *entry;
}

std::string MetricNameFor(const WorkloadSpec& spec, const ScalerRef& ref) {
  if (auto name = ref.Find(kMetricNameKey); name && !name->empty()) return std::string(*name);
  if (!spec.metric_name.empty()) return spec.metric_name;
  return "kedastral-" + spec.name;
}

Result<Duration> LeadTimeFor(const WorkloadSpec& spec, const ScalerRef& ref) {
  auto text = ref.Find(kLeadTimeKey);
  if (!text) return spec.lead_time;
  auto lead = ParseDuration(*text);
  if (!lead) {
    return Fail(Error::InvalidArgument("scalerMetadata \"leadTime\": " + lead.error().message));
  }
  return *lead;
}

Result<int> PlannedReplicas(const SnapshotTable::Entry& entry, Duration lead, TimePoint now) {
  const WorkloadSpec& spec = *entry.spec;
  // Shadow workloads are measured, never obeyed: 0 leaves the decision to the
  // ScaledObject's other triggers, and not failing keeps KEDA's fallback out of it.
  if (spec.mode == WorkloadMode::kShadow) return 0;
  const Snapshot* s = entry.snapshot.get();
  const std::string who = "workload " + Quoted(spec.name);
  if (s == nullptr) return Fail(Error::Unavailable(who + ": no forecast yet"));
  if (!s->has_forecast()) {
    return Fail(Error::Unavailable(WithLastError(who + ": no forecast yet", *s)));
  }
  if (IsStale(s, spec, now)) {
    return Fail(Error::Unavailable(
        WithLastError(who + ": forecast is stale (age " + FormatDuration(ForecastAge(*s, now)) +
                          ", limit " + FormatDuration(spec.stale_after) + ")",
                      *s)));
  }
  const int replicas = MaxReplicasInWindow(*s, now, lead);
  if (replicas < 0) {
    return Fail(Error::Unavailable(
        WithLastError(who + ": forecast ends before " + FormatRfc3339(now), *s)));
  }
  return replicas;
}

bool ActiveAt(const SnapshotTable::Entry& entry, Duration lead, TimePoint now) {
  if (entry.spec->mode == WorkloadMode::kShadow) return false;
  auto replicas = PlannedReplicas(entry, lead, now);
  return replicas && *replicas > 0;
}

Result<MetricTarget> EvaluateMetricSpec(const SnapshotTable& table, const ScalerRef& ref) {
  if (auto valid = ValidateRef(ref); !valid) return Fail(valid.error());
  auto entry = ResolveWorkload(table, ref);
  if (!entry) return Fail(entry.error());
  return MetricTarget{MetricNameFor(*entry->spec, ref), 1.0};
}

Result<MetricAnswer> EvaluateMetrics(const SnapshotTable& table, const ScalerRef& ref,
                                     std::string_view requested_metric, TimePoint now) {
  if (auto valid = ValidateRef(ref); !valid) return Fail(valid.error());
  if (auto r = CheckLength("metricName", requested_metric, kMaxNameLength); !r) {
    return Fail(r.error());
  }
  auto entry = ResolveWorkload(table, ref);
  if (!entry) return Fail(entry.error());
  auto lead = LeadTimeFor(*entry->spec, ref);
  if (!lead) return Fail(lead.error());
  auto replicas = PlannedReplicas(*entry, *lead, now);
  if (!replicas) return Fail(replicas.error());
  MetricAnswer answer;
  answer.metric_name = requested_metric.empty() ? MetricNameFor(*entry->spec, ref)
                                                : std::string(requested_metric);
  answer.value = *replicas;
  return answer;
}

Result<bool> EvaluateIsActive(const SnapshotTable& table, const ScalerRef& ref, TimePoint now) {
  if (auto valid = ValidateRef(ref); !valid) return Fail(valid.error());
  auto entry = ResolveWorkload(table, ref);
  if (!entry) return Fail(entry.error());
  auto lead = LeadTimeFor(*entry->spec, ref);
  if (!lead) return Fail(lead.error());
  return ActiveAt(*entry, *lead, now);
}

}  // namespace kedastral::io
