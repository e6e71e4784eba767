#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/snapshot_table.h"
#include "core/time.h"

namespace kedastral::io {

// The answers of KEDA's external-scaler methods as pure functions of the
// SnapshotTable, the caller's ScaledObjectRef and the request time. No gRPC or
// protobuf types: grpc_server.cc converts on the way in and out, and the unit
// tests call these directly. All of them are lock-free (they only read the table)
// and safe to call from any thread.

// Bounds on what a caller may send (Kubernetes names are at most 253 characters).
inline constexpr size_t kMaxNameLength = 253;
inline constexpr size_t kMaxMetadataEntries = 64;
inline constexpr size_t kMaxMetadataValueLength = 1024;
inline constexpr size_t kMaxDurationLength = 64;

// Trigger metadata keys Kedastral reads (the others are ignored).
inline constexpr std::string_view kWorkloadKey = "workload";
inline constexpr std::string_view kMetricNameKey = "metricName";
inline constexpr std::string_view kLeadTimeKey = "leadTime";

// A ScaledObjectRef seen through views; whoever builds it keeps the strings alive.
struct ScalerRef {
  std::string_view name;
  std::string_view ns;
  std::vector<std::pair<std::string_view, std::string_view>> metadata;

  // Value of a metadata key, nullopt when absent.
  std::optional<std::string_view> Find(std::string_view key) const;
};

// kInvalidArgument when a name, key or value is too long or there are too many
// metadata entries; the message names the offending field.
Result<void> ValidateRef(const ScalerRef& ref);

// The workload a ScaledObject refers to: metadata `workload` names it; without it,
// the workload whose name equals ref.name and whose namespace is empty or equals
// ref.ns. kNotFound (message names the workload) when there is none;
// kInvalidArgument when `workload` is present but empty.
Result<SnapshotTable::Entry> ResolveWorkload(const SnapshotTable& table, const ScalerRef& ref);

// metadata `metricName` when given and not empty, else spec.metric_name (or
// "kedastral-<name>" when the spec has none).
std::string MetricNameFor(const WorkloadSpec& spec, const ScalerRef& ref);

// metadata `leadTime` parsed with ParseDuration, else spec.lead_time.
// kInvalidArgument when the metadata value does not parse.
Result<Duration> LeadTimeFor(const WorkloadSpec& spec, const ScalerRef& ref);

// Max planned replicas over [now, now + lead] of the entry's snapshot.
// Shadow-mode workloads give 0 whatever their snapshot. kUnavailable, with a
// reason (no snapshot, no forecast, or age and limit when stale, window past the
// forecast's end), when there is no usable plan, so KEDA's fallback engages.
Result<int> PlannedReplicas(const SnapshotTable::Entry& entry, Duration lead, TimePoint now);

// True when the snapshot is fresh and PlannedReplicas(...) > 0. False for shadow
// mode, stale or missing snapshots and windows past the forecast's end.
bool ActiveAt(const SnapshotTable::Entry& entry, Duration lead, TimePoint now);

// What GetMetricSpec answers: one metric with target 1 (the value is a replica count).
struct MetricTarget {
  std::string metric_name;
  double target = 1.0;
  bool operator==(const MetricTarget&) const = default;
};

// The per-method answers, each validating `ref` and resolving the workload first.
Result<MetricTarget> EvaluateMetricSpec(const SnapshotTable& table, const ScalerRef& ref);

struct MetricAnswer {
  std::string metric_name;  // the request's metricName, or MetricNameFor(...) when empty
  int value = 0;
};
// `requested_metric` is GetMetricsRequest.metricName (may be empty).
Result<MetricAnswer> EvaluateMetrics(const SnapshotTable& table, const ScalerRef& ref,
                                     std::string_view requested_metric, TimePoint now);

// Errors only for bad input (kInvalidArgument) and unknown workloads (kNotFound);
// a stale or missing forecast is `false`, not an error.
Result<bool> EvaluateIsActive(const SnapshotTable& table, const ScalerRef& ref, TimePoint now);

}  // namespace kedastral::io
