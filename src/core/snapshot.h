#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/series.h"
#include "core/time.h"

namespace kedastral {

struct WorkloadSpec;

// Forecast accuracy over one trailing window, scored against the actual values that
// arrived after the forecasts were made (see loop/accuracy.h for the bookkeeping).
// A measure that has no defined value (no scored point, a zero scale) is NaN.
struct AccuracyStats {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  Duration window{0};                  // e.g. 1h, 24h
  size_t points = 0;                   // scored steps in the window
  double mase = kNaN;                  // mean |actual - p50| / MASE scale
  double mape = kNaN;                  // mean |actual - p50| / |actual| in percent (actual != 0)
  double p90_coverage = kNaN;          // fraction of steps with actual <= p90, 0..1
  double underprovision_seconds = 0;   // seconds in which actual > replicas * targetPerPod
};

// An earlier forecast's p50, kept so pages can overlay it on what then happened.
struct PastForecast {
  TimePoint generated_at{};
  Series p50;
};

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

  // Accuracy and page data (filled by the loop; bounded so copying a Snapshot stays
  // cheap): rolling errors over 1 h and 24 h, in that order; the MASE scale used; the
  // total underprovisioned seconds since the workload's tracking began (monotonic
  // while its data is unchanged); recent actual values (at most 6 h, at most 720
  // points, downsampled by averaging when needed); up to 6 earlier forecasts.
  std::vector<AccuracyStats> accuracy;
  std::string mase_scale;        // e.g. "naive1" (see loop/accuracy.h)
  double underprovision_seconds_total = 0;
  Series actuals;
  std::vector<PastForecast> earlier_forecasts;  // oldest first

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
