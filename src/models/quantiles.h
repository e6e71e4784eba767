#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/series.h"

namespace kedastral::models {

// A fitted model seen as a function of the forecast origin, so that it can be
// scored out of sample on its own history (rolling origins) and asked for its
// final forecast through the same code path.
//
// The origin o means "the first o points of the fitted history are known": a
// forecast from o uses only values[0 .. o-1] and its step k (1-based) targets
// index o + k - 1. Implementations are pure and const; one call may keep local
// incremental state across its ascending origins.
class OriginForecaster {
 public:
  virtual ~OriginForecaster() = default;

  // Smallest origin the fitted model can forecast from (>= 1).
  virtual size_t MinOrigin() const = 0;

  // Forecasts `steps` values from each origin in `origins` (ascending, each in
  // [MinOrigin(), history size]). `out` is resized to origins.size() * steps,
  // row-major: row r is the forecast from origins[r]. Values are not clamped.
  virtual void ForecastOrigins(std::span<const size_t> origins, size_t steps,
                               std::vector<double>* out) const = 0;
};

// Origins used to score `steps`-ahead forecasts on a history of `n` points:
// ascending, all in [min_origin, n - 1], the newest at n - 1. They are dense
// over the last max(6 * steps, 96) points (strided when that would exceed 256
// origins), so the recent error behaviour is measured with many samples per step.
// Empty when n - 1 < min_origin.
std::vector<size_t> PlanOrigins(size_t n, size_t steps, size_t min_origin);

// Out-of-sample errors by forecast step, from rolling origins.
struct HorizonErrors {
  size_t origins = 0;                        // origins that produced at least one error
  std::vector<std::vector<double>> by_step;  // by_step[k - 1]: actual - forecast at step k
  double mae = 0;                            // mean |error| over every (origin, step) pair
  size_t count = 0;                          // number of such pairs
};

// Scores `model` (fitted on `values`) from each origin in `origins` (from
// PlanOrigins). Steps whose target lies past the history are skipped.
HorizonErrors RollingOriginErrors(const OriginForecaster& model, std::span<const double> values,
                                  size_t steps, std::span<const size_t> origins);

// Upper quantiles around a point forecast.
//
// For each step k and level L: q_L[k] = p50[k] + e_L(k), where e_L(k) is the
// empirical L-quantile of the signed errors (actual - forecast) at step k, taken
// as the ceil(L * (m + 1))-th smallest of the m pooled errors (the largest when
// that rank exceeds m, as in split-conformal intervals). When step k has fewer
// than 40 errors, errors of adjacent steps k-w .. k+w are pooled, widening w
// until 40 are reached. With fewer than 8 origins, the fallback is
// e_L(k) = Q_{2L-1}(|y[i] - y[i-1]|) * sqrt(k), the in-sample one-step spread
// of the history grown like a random walk.
//
// Empirical offsets are then made non-decreasing in k (e_L(k) = max over
// j <= k): later steps rest on fewer, more correlated trajectories, and a dip in
// their quantile is sampling noise. Then p50 is clamped at 0, each quantile is raised to at least
// p50 and to at least the previous (lower) level, so levels are monotone and never negative. `p50`
// is modified in place (clamped). `levels` ascending in (0.5, 1).
std::vector<QuantileSeries> BuildQuantiles(std::vector<double>* p50, const HorizonErrors& errors,
                                           std::span<const double> values,
                                           const std::vector<double>& levels);

// The whole Predict path for a fitted OriginForecaster: scores it on its history
// with PlanOrigins/RollingOriginErrors, forecasts from origin n and attaches
// BuildQuantiles. The Forecast starts at history.End() with history.step.
Forecast ForecastWithQuantiles(const OriginForecaster& model, const Series& history, size_t steps,
                               const std::vector<double>& levels);

}  // namespace kedastral::models
