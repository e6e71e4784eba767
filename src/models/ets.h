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

// Smoothing parameters of additive Holt-Winters with a damped trend.
struct EtsParams {
  double alpha = 0.5;  // level, in (0, 1)
  double beta = 0.0;   // trend, in [0, alpha]
  double gamma = 0.0;  // season, in [0, 1 - alpha]
  double phi = 0.9;    // trend damping, in [0.8, 0.98]
};

// States of an ETS filter run, indexed like the data: level[t], trend[t] after
// observing y[t], season[t] the seasonal term attached to index t after its update.
struct EtsStates {
  std::vector<double> level, trend, season;
  size_t first = 1;  // first index with a one-step forecast (m, or 1 without season)
};

// Runs ETS(A,Ad,A) (m >= 2) or ETS(A,Ad,N) (m == 0) over y:
//   yhat_t = l + phi b + s_{t-m};  e_t = y_t - yhat_t
//   l <- l + phi b + alpha e;  b <- phi b + beta e;  s_t = s_{t-m} + gamma e
// Initial state: l = mean of the first m points (y[0] without season), b = 0,
// s_j = y_j - l for j < m. Returns the mean squared one-step error; fills `states`
// when not null. Needs y.size() > max(m, 1).
double EtsFilter(std::span<const double> y, size_t m, const EtsParams& p, EtsStates* states);

// Fits EtsParams by Nelder-Mead on the mean squared one-step error over the last
// min(n, max(3 m, 2880)) points, starting from `start` (a warm start).
EtsParams FitEts(std::span<const double> y, size_t m, const EtsParams& start, bool warm);

// The h-step sum phi + phi^2 + ... + phi^h.
double DampedSum(double phi, size_t h);

// model: ets. Holt-Winters exponential smoothing with an additive damped trend
// and an additive season of period m: options.seasonal_periods[0], else the daily
// period when DetectPeriods finds it, else none; the season is used only when the
// history covers 2 m points. Parameters minimise the in-sample one-step squared
// error (Nelder-Mead), warm-started from this instance's previous fit.
// Multiplicative seasons are not implemented (load series are often near zero).
// Upper quantiles from its own rolling-origin errors (models/quantiles.h).
class EtsModel final : public Model, public OriginForecaster {
 public:
  explicit EtsModel(ModelOptions options);

  std::string_view name() const override { return "ets"; }
  Result<void> Fit(const Series& history) override;
  Result<Forecast> Predict(size_t steps) const override;

  size_t MinOrigin() const override { return states_.first; }
  void ForecastOrigins(std::span<const size_t> origins, size_t steps,
                       std::vector<double>* out) const override;

  const EtsParams& params() const { return params_; }
  size_t period() const { return period_; }

 private:
  ModelOptions options_;
  Series history_;
  EtsParams params_;
  bool has_params_ = false;  // a previous fit to warm-start from
  size_t period_ = 0;
  EtsStates states_;
  bool fitted_ = false;
};

// Forecasts from the states of EtsFilter at each origin (see EtsModel).
void EtsForecastOrigins(const EtsStates& states, size_t m, const EtsParams& p,
                        std::span<const size_t> origins, size_t steps, std::vector<double>* out);

}  // namespace kedastral::models
