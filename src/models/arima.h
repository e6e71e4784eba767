#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "models/model.h"
#include "models/quantiles.h"

namespace kedastral::models {

// An ARIMA(p, d, q)(0, D, Q)_m specification and its fitted coefficients.
//   w_t = (1 - B)^d (1 - B^m)^D y_t
//   (w_t - mu) - sum_i phi_i (w_{t-i} - mu) = e_t + sum_j theta_j e_{t-j}
//                                              + Theta e_{t-m} + sum_j theta_j Theta e_{t-m-j}
// mu is the mean of w over the fit window when d + D <= 1 (a level, or a drift
// after one difference), else 0.
struct ArimaSpec {
  size_t p = 0, d = 0, q = 0;
  size_t seasonal_d = 0, seasonal_q = 0;  // D, Q (each 0 or 1)
  size_t period = 0;                      // m; 0 without seasonal terms
  std::vector<double> phi, theta;         // sizes p, q
  double seasonal_theta = 0;              // Theta
  double mu = 0;
  double css = 0;  // conditional sum of squares over the fit window
  double aic = 0;  // n log(css / n) + 2 (p + q + Q + 1) over the fit window
};

// Maps partial autocorrelations r (each in (-1, 1)) to the coefficients phi of a
// stationary AR polynomial 1 - sum phi_i B^i (Durbin-Levinson). An invertible MA
// polynomial 1 + sum theta_j B^j is theta = -phi of the same map.
std::vector<double> PacfToCoefficients(std::span<const double> r);

// The differencing polynomial (1 - B)^d (1 - B^m)^D written as
// y_t - sum_j delta[j].second y_{t - delta[j].first}: (lag, coefficient) pairs.
std::vector<std::pair<size_t, double>> DifferencingTerms(size_t d, size_t seasonal_d, size_t m);

// Conditional sum of squares of `spec` on w (already differenced), residuals
// taken as 0 before the first index and w as mu before it. Fills `residuals`
// (size w.size()) when not null.
double ArimaCss(std::span<const double> w, const ArimaSpec& spec, std::vector<double>* residuals);

// model: arima. Seasonal ARIMA fitted by conditional sum of squares.
//
// Differencing: D = 1 at the seasonal period m (options.seasonal_periods[0], else
// the daily period when DetectPeriods finds it) when the history holds 3 m points
// and the autocorrelation at lag m of the detrended series (SeasonalAutocorrelation)
// is >= 0.5, i.e. seasonal differencing does not add variance; then d = 1 when the
// lag-1 autocorrelation of the (seasonally differenced) series is >= 0.95.
// Orders: (p, q) in {0, 1, 2} x {0, 1}, with Q = D (a seasonal difference always
// comes with its seasonal MA term, the airline form); the lowest AIC wins.
// Coefficients are parameterised by partial autocorrelations in [-0.98, 0.98]
// (stationary AR, invertible MA) and fitted by Nelder-Mead.
//
// Cost: the fit window is the last min(n', 1440) points (min(n', max(m + 360,
// 1440)) with a seasonal difference) of the
// differenced series (n' of them), not the whole history; residuals and
// forecasts then run over the whole history. The order is re-selected every
// 10th fit (or when the differencing changes); fits in between refit the chosen
// order warm-started from the previous coefficients.
//
// Forecasts run the ARMA recursion on w with future shocks 0 and undo the
// differencing with the forecasts in place of unknown values. Upper quantiles
// come from its own rolling-origin errors (models/quantiles.h).
class ArimaModel final : public Model, public OriginForecaster {
 public:
  explicit ArimaModel(ModelOptions options);

  std::string_view name() const override { return "arima"; }
  Result<void> Fit(const Series& history) override;
  Result<Forecast> Predict(size_t steps) const override;

  size_t MinOrigin() const override;
  void ForecastOrigins(std::span<const size_t> origins, size_t steps,
                       std::vector<double>* out) const override;

  // The fitted specification (valid after a successful Fit).
  const ArimaSpec& spec() const { return spec_; }

 private:
  ModelOptions options_;
  Series history_;
  ArimaSpec spec_;
  std::vector<std::pair<size_t, double>> delta_;  // differencing terms
  std::vector<std::pair<size_t, double>> ma_;     // expanded MA terms (lag, coefficient)
  std::vector<double> w_, e_;                     // differenced series and residuals, y-indexed
  size_t lead_ = 0;                               // d + D m: first index with a w value
  std::vector<double> raw_;                       // fitted partial autocorrelations (warm start)
  size_t fits_since_selection_ = 0;
  bool has_spec_ = false;
  bool fitted_ = false;
};

}  // namespace kedastral::models
