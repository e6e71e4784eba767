#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/series.h"
#include "core/time.h"

namespace kedastral {

struct WorkloadSpec;

// What the servers answer from: one workload's latest forecast and replica plan.
// Immutable once published (see SnapshotTable); shared as shared_ptr<const Snapshot>.
//
// A snapshot may carry a forecast (has_forecast()), an error from the latest cycle,
// or both (the forecast of an earlier good cycle plus the error of the newest one).
struct Snapshot {
  std::string workload;
  std::string metric;            // the query the history came from
  TimePoint generated_at{};      // when the forecast was computed (staleness is measured from it)
  TimePoint start{};             // time of values[0]; values[k] is at start + k * step
  Duration step{60000};
  Duration horizon{0};
  std::vector<double> values;            // p50
  std::vector<QuantileSeries> quantiles;  // ascending levels, e.g. p90, p95, p99
  std::vector<int> replicas;             // planned replicas per step
  std::string model;                     // model that produced the forecast
  std::string config_fingerprint;        // of the WorkloadSpec that produced it
  uint64_t sequence = 0;                 // increases with every publish of this workload

  std::string last_error;        // empty when the newest cycle succeeded
  TimePoint last_error_at{};
  uint64_t consecutive_failures = 0;

  bool has_forecast() const { return !values.empty(); }
};

// Max planned replicas over the steps overlapping [from, from + lead]: step k covers
// [start + k*step, start + (k+1)*step). A `from` before start counts from step 0.
// Returns -1 when no step overlaps (the window lies past the forecast's end).
int MaxReplicasInWindow(const Snapshot& s, TimePoint from, Duration lead);

// Planned replicas for the step containing `at` (-1 when outside the forecast).
int ReplicasAt(const Snapshot& s, TimePoint at);

// True when there is no forecast or it is older than spec.stale_after at `now`.
bool IsStale(const Snapshot* s, const WorkloadSpec& spec, TimePoint now);

// Age of the forecast at `now` (0 when generated in the future).
Duration ForecastAge(const Snapshot& s, TimePoint now);

}  // namespace kedastral
