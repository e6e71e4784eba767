#include "models/quantiles.h"

#include <algorithm>
#include <cmath>

namespace kedastral::models {
namespace {

// Scoring region: 6 horizons deep so the longest step still has 5/6 of the
// origins and its errors come from several distinct trajectories (with 4, the
// 1-minute Crane input0 covered 84.7% at p90 in the backtest; with 6, 86.1%, at
// a 1.5% higher scaled pinball), and never fewer than 96 points so short
// horizons get enough samples.
constexpr size_t kHorizonsPerRegion = 6;
constexpr size_t kMinRegion = 96;
// Caps the cost for long horizons: origins * steps forecast values per Predict.
constexpr size_t kMaxOrigins = 256;
// Below this many origins the errors say more about luck than about the model.
constexpr size_t kMinOrigins = 8;
// Pool adjacent steps until a step's quantile rests on this many errors.
constexpr size_t kMinPooled = 40;

// The ceil(level * (m + 1))-th smallest of sorted values (1-based), the largest
// when that rank exceeds m. The "+1" makes the expected coverage of a new point
// at least `level`, which a plain interpolated quantile misses on small samples.
double ConformalQuantile(const std::vector<double>& sorted, double level) {
  const size_t m = sorted.size();
  const double rank = std::ceil(level * static_cast<double>(m + 1) - 1e-9);
  const size_t r = std::clamp<size_t>(static_cast<size_t>(rank), 1, m);
  return sorted[r - 1];
}

// Errors for step index k (0-based), pooled with neighbours until kMinPooled.
std::vector<double> PooledErrors(const HorizonErrors& errors, size_t k) {
  const size_t steps = errors.by_step.size();
  std::vector<double> pooled = errors.by_step[k];
  for (size_t w = 1; pooled.size() < kMinPooled && (w <= k || k + w < steps); ++w) {
    if (w <= k) {
      const auto& lower = errors.by_step[k - w];
      pooled.insert(pooled.end(), lower.begin(), lower.end());
    }
    if (k + w < steps) {
      const auto& upper = errors.by_step[k + w];
      pooled.insert(pooled.end(), upper.begin(), upper.end());
    }
  }
  std::sort(pooled.begin(), pooled.end());
  return pooled;
}

// Fallback offsets: the (2L-1)-quantile of |one-step change| is the L-quantile
// of a symmetric one-step error; sqrt(k) grows it like a random walk's spread.
std::vector<std::vector<double>> FallbackOffsets(std::span<const double> values, size_t steps,
                                                 const std::vector<double>& levels) {
  std::vector<double> changes;
  changes.reserve(values.size());
  for (size_t i = 1; i < values.size(); ++i) changes.push_back(std::abs(values[i] - values[i - 1]));
  std::sort(changes.begin(), changes.end());
  std::vector<std::vector<double>> offsets(levels.size(), std::vector<double>(steps, 0.0));
  if (changes.empty()) return offsets;
  for (size_t l = 0; l < levels.size(); ++l) {
    const double one_step = ConformalQuantile(changes, 2 * levels[l] - 1);
    for (size_t k = 0; k < steps; ++k) {
      offsets[l][k] = one_step * std::sqrt(static_cast<double>(k + 1));
    }
  }
  return offsets;
}

std::vector<std::vector<double>> EmpiricalOffsets(const HorizonErrors& errors, size_t steps,
                                                  const std::vector<double>& levels) {
  std::vector<std::vector<double>> offsets(levels.size(), std::vector<double>(steps, 0.0));
  for (size_t k = 0; k < steps; ++k) {
    const std::vector<double> pooled = PooledErrors(errors, k);
    if (pooled.empty()) continue;
    for (size_t l = 0; l < levels.size(); ++l) offsets[l][k] = ConformalQuantile(pooled, levels[l]);
  }
  // Uncertainty does not shrink with the horizon: the errors of later steps come
  // from fewer, more correlated trajectories within the scored stretch, and a dip
  // in their quantile is sampling noise, not information.
  for (auto& level : offsets) {
    for (size_t k = 1; k < steps; ++k) level[k] = std::max(level[k], level[k - 1]);
  }
  return offsets;
}

// Errors of row-major `forecasts` (one row of `steps` per origin) against the
// history; targets past its end are skipped.
HorizonErrors ErrorsOf(std::span<const double> values, size_t steps,
                       std::span<const size_t> origins, const std::vector<double>& forecasts) {
  HorizonErrors errors;
  errors.by_step.assign(steps, {});
  double abs_sum = 0;
  const size_t n = values.size();
  for (size_t r = 0; r < origins.size(); ++r) {
    const size_t o = origins[r];
    if (o >= n) continue;
    ++errors.origins;
    const size_t available = std::min(steps, n - o);
    for (size_t k = 0; k < available; ++k) {
      const double e = values[o + k] - forecasts[r * steps + k];
      errors.by_step[k].push_back(e);
      abs_sum += std::abs(e);
      ++errors.count;
    }
  }
  errors.mae = errors.count > 0 ? abs_sum / static_cast<double>(errors.count) : 0.0;
  return errors;
}

}  // namespace

std::vector<size_t> PlanOrigins(size_t n, size_t steps, size_t min_origin) {
  std::vector<size_t> origins;
  min_origin = std::max<size_t>(min_origin, 1);
  if (n == 0 || n - 1 < min_origin) return origins;
  const size_t region = std::max(kHorizonsPerRegion * std::max<size_t>(steps, 1), kMinRegion);
  const size_t stride = (region + kMaxOrigins - 1) / kMaxOrigins;
  const size_t oldest = n > region ? std::max(n - region, min_origin) : min_origin;
  // Walk back from the newest origin so it is always included, then reverse.
  for (size_t o = n - 1;; o -= stride) {
    origins.push_back(o);
    if (o < oldest + stride) break;
  }
  std::reverse(origins.begin(), origins.end());
  return origins;
}

HorizonErrors RollingOriginErrors(const OriginForecaster& model, std::span<const double> values,
                                  size_t steps, std::span<const size_t> origins) {
  if (origins.empty() || steps == 0) return ErrorsOf(values, steps, {}, {});
  std::vector<double> forecasts;
  model.ForecastOrigins(origins, steps, &forecasts);
  return ErrorsOf(values, steps, origins, forecasts);
}

std::vector<QuantileSeries> BuildQuantiles(std::vector<double>* p50, const HorizonErrors& errors,
                                           std::span<const double> values,
                                           const std::vector<double>& levels) {
  const size_t steps = p50->size();
  const bool empirical = errors.origins >= kMinOrigins && errors.by_step.size() >= steps;
  const auto offsets =
      empirical ? EmpiricalOffsets(errors, steps, levels) : FallbackOffsets(values, steps, levels);
  std::vector<QuantileSeries> quantiles(levels.size());
  for (size_t l = 0; l < levels.size(); ++l) {
    quantiles[l].level = levels[l];
    quantiles[l].values.resize(steps);
  }
  for (size_t k = 0; k < steps; ++k) {
    // The offset applies to the unclamped point forecast; clamping p50 first
    // would add the whole offset on top of 0 when the model forecast below 0.
    const double raw = (*p50)[k];
    const double median = std::max(raw, 0.0);
    double floor = median;
    for (size_t l = 0; l < levels.size(); ++l) {
      const double q = std::max(raw + offsets[l][k], floor);
      quantiles[l].values[k] = q;
      floor = q;
    }
    (*p50)[k] = median;
  }
  return quantiles;
}

Forecast ForecastWithQuantiles(const OriginForecaster& model, const Series& history, size_t steps,
                               const std::vector<double>& levels) {
  Forecast forecast;
  forecast.start = history.End();
  forecast.step = history.step;
  if (steps == 0) {
    for (double level : levels) forecast.quantiles.push_back({level, {}});
    return forecast;
  }
  const std::span<const double> values(history.values);
  std::vector<size_t> origins = PlanOrigins(values.size(), steps, model.MinOrigin());
  // One batch: the scoring origins plus the final origin n, which is >= every
  // scoring origin, so ascending order holds.
  origins.push_back(values.size());
  std::vector<double> all;
  model.ForecastOrigins(origins, steps, &all);

  const HorizonErrors errors =
      ErrorsOf(values, steps, std::span<const size_t>(origins).first(origins.size() - 1), all);
  forecast.p50.assign(all.end() - static_cast<long>(steps), all.end());
  forecast.quantiles = BuildQuantiles(&forecast.p50, errors, values, levels);
  return forecast;
}

}  // namespace kedastral::models
