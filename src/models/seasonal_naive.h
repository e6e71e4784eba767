#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "models/model.h"
#include "models/quantiles.h"

namespace kedastral::models {

// Seasonal naive: the forecast for a target is the value one period before it,
// wrapping forward for horizons longer than a period:
//   p50[k] = y[n - p + ((k - 1) mod p)]   for step k = 1, 2, ... after the last point n - 1.
//
// Period p (in steps of the history's grid): options.seasonal_periods[0] when
// given, else one day (round(86400 s / step), at least 1). When the history has
// fewer than p points, the largest of the candidates {1 day, 1 hour} (in steps)
// that fits is used, else p = 1 (last value). Upper quantiles come from its own
// rolling-origin errors (models/quantiles.h).
//
// @par Thread safety
// As Model: one thread at a time per instance.
class SeasonalNaiveModel final : public Model, public OriginForecaster {
 public:
  // `name` is what name() returns: "naive" for the last-value model (period 1).
  explicit SeasonalNaiveModel(ModelOptions options, std::string_view name = "seasonal_naive");

  std::string_view name() const override { return name_; }
  // Fails with kInvalidArgument when the history has fewer than 3 points, a
  // non-positive step or a non-finite value; the model is then unfitted.
  Result<void> Fit(const Series& history) override;
  Result<Forecast> Predict(size_t steps) const override;

  // Period used by the last successful Fit, in steps (0 before one).
  size_t period() const { return period_; }

  // OriginForecaster, over the fitted history.
  size_t MinOrigin() const override { return period_; }
  void ForecastOrigins(std::span<const size_t> origins, size_t steps,
                       std::vector<double>* out) const override;

 private:
  ModelOptions options_;
  std::string_view name_;
  Series history_;
  size_t period_ = 0;
  bool fitted_ = false;
};

// The period SeasonalNaiveModel uses for `n` points at `step` (see the class comment).
size_t SeasonalNaivePeriod(const ModelOptions& options, size_t n, Duration step);

}  // namespace kedastral::models
