#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/series.h"
#include "core/snapshot.h"
#include "core/time.h"

namespace kedastral::loop {

struct AccuracyOptions {
  // Trailing windows the errors are reported over, in this order.
  std::vector<Duration> windows = {Duration(3'600'000), Duration(86'400'000)};
  // Earlier forecasts kept for the pages, and the least time between two kept ones
  // (0: a third of the forecast's horizon, at least one step).
  size_t max_earlier = 6;
  Duration earlier_spacing{0};
  // Recent actual values handed to the pages.
  Duration actuals_span{6 * 3'600'000L};
  size_t max_actual_points = 720;
};

// Keeps score of one workload's forecasts.
//
// Every published forecast is recorded step by step, keyed by target time: for a time
// whose actual value is not known yet, the newest forecast covering it replaces the
// older one, so each time is scored against the forecast (p50, p90 and planned
// replicas) that was in effect when that moment came. When the history holds the
// actual value of a recorded time, the time is scored once (later revisions of the
// value are ignored) and its record dropped:
//
//   absolute error  |actual - p50|
//   MAPE term       |actual - p50| / |actual| (skipped when actual == 0), in percent
//   p90 covered     actual <= p90 (skipped when the forecast had no p90)
//   underprovision  one step's seconds when actual > replicas * targetPerPod
//
// MASE divides the mean absolute error by the in-sample one-step naive error of the
// newest history seen, mean |y[t] - y[t-1]| (kMaseScale); forecasts in effect are
// at most a few steps ahead, so MASE < 1 means better than "the last value".
//
// Pure bookkeeping: no clock, no I/O. Not thread-safe (owned by the loop thread).
class AccuracyTracker {
 public:
  static constexpr const char* kMaseScale = "in-sample one-step naive";

  explicit AccuracyTracker(AccuracyOptions options = {});

  // Records `s`'s forecast (its p50, its 0.9 quantile if any, its replicas) for
  // every step after the newest scored time; capacity = replicas * target_per_pod.
  // Also keeps s's p50 as an earlier forecast when spaced enough from the last one.
  void RecordForecast(const Snapshot& s, double target_per_pod);

  // Scores every recorded time that `history` now has a value for, drops records for
  // times before history.start (never to be known) and for times `masked` marks (one
  // flag per history point, as History::Mask(); empty: none masked), and takes the
  // MASE scale from `history`.
  void Observe(const Series& history, const std::vector<bool>& masked = {});

  // Errors over each window (ending at `now`, scored times in [now - window, now]).
  std::vector<AccuracyStats> Stats(TimePoint now) const;

  // Underprovisioned seconds over every time scored so far.
  double underprovision_seconds_total() const { return underprovision_total_; }

  // The MASE denominator from the newest Observe (NaN before, or when < 2 points).
  double mase_scale() const { return scale_; }

  // Recorded times not yet scored.
  size_t pending() const { return pending_.size(); }

  // Earlier forecasts, oldest first (at most options.max_earlier).
  const std::vector<PastForecast>& earlier() const { return earlier_; }

  // Fills s.accuracy, s.mase_scale, s.underprovision_seconds_total, s.actuals (from
  // `history`) and s.earlier_forecasts (those generated before s.generated_at).
  void Fill(Snapshot& s, const Series& history, TimePoint now) const;

 private:
  struct Pending {
    double p50 = 0;
    double p90 = AccuracyStats::kNaN;
    double capacity = AccuracyStats::kNaN;  // NaN: no plan for this step
    Duration step{0};
  };
  struct Scored {
    TimePoint at{};
    double abs_error = 0;
    double ape = AccuracyStats::kNaN;  // percent; NaN when actual == 0
    int covered = -1;                  // 1 / 0, -1 when no p90
    double under_seconds = 0;
  };

  AccuracyOptions options_;
  Duration max_window_{0};
  std::map<TimePoint, Pending> pending_;
  std::deque<Scored> scored_;  // ascending time, trimmed to the longest window
  TimePoint newest_scored_{TimePoint::min()};
  double underprovision_total_ = 0;
  double scale_ = AccuracyStats::kNaN;
  std::vector<PastForecast> earlier_;
};

// The in-sample one-step naive error of `history`: mean |y[t] - y[t-1]|; NaN with
// fewer than two points.
double NaiveScale(const Series& history);

// The points of `history` in its last `span`, averaged over consecutive groups of
// ceil(n / max_points) points when there are more than max_points (the result's step
// grows accordingly; its start is the first group's first time).
Series RecentActuals(const Series& history, Duration span, size_t max_points);

}  // namespace kedastral::loop
