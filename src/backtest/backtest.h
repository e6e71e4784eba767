#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "core/series.h"

namespace kedastral::backtest {

// How one series is replayed. Every field left unset follows ../shared/EVAL.md's
// protocol (see OriginPlan and ScoreSeries for the formulas).
struct Options {
  std::string model = "auto";               // any models::MakeModel name
  std::vector<Duration> seasons;            // --season; empty: the model detects/picks
  std::optional<Duration> window;           // default: min(7 days, s) in points
  std::optional<Duration> horizon;          // default: max(2, 3600 s div step) points
  size_t origins = 40;                      // evenly spaced over [s, N - H]
  std::optional<size_t> stride;             // instead of `origins`: s, s + stride, ... <= N - H
  std::optional<std::vector<size_t>> origin_indices;  // --origins-file: replaces both
  // Capacity: target_per_pod <= 0 means median(series) / 5. Scoring defaults:
  // headroom 1, min 1, no rate limits, no upper bound.
  CapacityPolicy policy = DefaultScoringPolicy();
  double plan_level = 0.9;                  // the "p90 plan" quantile
  std::vector<double> levels{0.9, 0.95, 0.99};  // quantiles scored (ascending, in (0.5, 1))

  static CapacityPolicy DefaultScoringPolicy();
};

// Indices of one series' replay, 0-based on its grid.
struct OriginPlan {
  size_t n = 0;        // points
  size_t ppd = 0;      // points per day: round(86400 s / step)
  size_t horizon = 0;  // H
  size_t start = 0;    // s = (6 N) div 10
  size_t window = 0;   // W: points a model may see before each origin (capped at the origin)
  std::vector<size_t> origins;  // ascending, unique
};

// Computes the plan: H = max(2, 3600 s div step) unless options.horizon (in points,
// rounded, >= 1); s = 6N div 10; W = min(7 ppd, s) unless options.window; origins
// o_j = s + j (e - s) div (m - 1), j = 0..m-1 with e = N - H, m = options.origins
// (duplicates dropped), or the stride / explicit list. Fails with kInvalidArgument
// when the series is too short (N - H < s or fewer than 3 points before s), or an
// explicit origin is < 3 or has o + H > N.
Result<OriginPlan> PlanOrigins(const Series& series, const Options& options);

// Under- and over-provisioning of one policy over a set of steps.
struct Capacity {
  std::string policy;   // "p50", "p90", "reactive", "reactive_x1.25", ...
  double under = 0;     // fraction of steps with planned < required
  double over = 0;      // sum(max(planned - required, 0)) / sum(required)
  size_t steps = 0;
  double over_median = 0;  // Summary only: median over series of `over` (EVAL.md's
                           // capacity table reports this one as its over column)
};

struct QuantileScore {
  double level = 0.9;
  double coverage = 0;         // fraction of points with actual <= q
  double pinball = 0;          // pooled mean pinball loss
  double scaled_pinball = 0;   // mean over origins (scale > 0) of mean pinball / scale
};

// Everything measured on one series.
struct SeriesReport {
  std::string name;
  size_t n = 0;
  Duration step{0};
  size_t horizon = 0;
  size_t window = 0;
  size_t origins = 0;          // origins forecast
  size_t failed_origins = 0;   // origins whose Fit/Predict failed (scored as absent)
  double mase = 0;             // mean over origins with scale > 0
  double smape = 0;            // percent
  double rmse = 0;
  double mae = 0;
  std::vector<QuantileScore> quantiles;
  double target_per_pod = 0;
  // Step 1 only (what a live autoscaler acts on) and every step of the horizon.
  // Rows: p50 plan, p<level> plan, then reactive with headroom 1, 1.25, 1.5, 2, 3.
  std::vector<Capacity> capacity_step1;
  std::vector<Capacity> capacity_all;
  // Reactive under-provisioning interpolated at the p<level> plan's over-provision
  // (step 1), along the reactive rows sorted by over (clamped at the ends).
  double reactive_under_at_plan_over = 0;
  double fit_ms_median = 0;    // fit + forecast per origin, wall time on one thread
  double fit_ms_mean = 0;
  std::vector<std::string> model_labels;  // distinct ModelLabel()s seen, e.g. "auto:ets"
};

// One origin's forecast (for --dump-forecasts).
struct OriginForecast {
  size_t origin = 0;
  bool ok = false;
  std::string error;
  std::vector<double> p50;
  std::vector<std::vector<double>> quantiles;  // by Options::levels
  double fit_ms = 0;
  std::string label;
};

// Fits a fresh model at `origin` on y[origin - W .. origin - 1] (timestamps kept)
// and forecasts H steps. Timing covers MakeModel + Fit + Predict.
OriginForecast ForecastAt(const Series& series, const OriginPlan& plan, size_t origin,
                          const Options& options);

// Scores forecasts (one per plan origin, in order) against the series. Failed
// origins are skipped; fails when none succeeded.
Result<SeriesReport> ScoreSeries(const std::string& name, const Series& series,
                                 const OriginPlan& plan, const std::vector<OriginForecast>& forecasts,
                                 const Options& options);

// Summary over series: geometric means over series with a positive value.
struct Summary {
  size_t series = 0;
  double gm_mase = 0;
  double gm_scaled_pinball = 0;   // at options.plan_level
  double mean_coverage = 0;       // at options.plan_level
  double mean_smape = 0;
  std::vector<Capacity> capacity_step1;  // means over series, same rows
  double reactive_under_at_plan_over = 0;  // mean
  double fit_ms_median = 0;               // median of per-series medians
};
Summary Summarise(const std::vector<SeriesReport>& reports, const Options& options);

// The step size in points of a duration on `step` (rounded, at least 1).
size_t ToPoints(Duration d, Duration step);

}  // namespace kedastral::backtest
