#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "models/model.h"
#include "models/quantiles.h"

namespace kedastral::models {

namespace detail {

// One detrended component of BaselineModel (D or M in its formula), kept per Fit.
struct SeasonalComponent {
  size_t period = 0;      // Pd or Ph, points
  size_t buckets = 0;     // 24 (hour of day) or 60 (minute of hour)
  int64_t bucket_ms = 0;  // one hour or one minute
  size_t lag = 0;         // dev[i] uses y up to index i + lag - 1
  size_t first = 0;       // dev is defined on [first, end)
  size_t end = 0;
  bool enabled = false;     // period >= 4 and the history covers one window
  std::vector<double> dev;  // indexed like y
};

}  // namespace detail

// Kedastral baseline: the Go original's idea (recent level, trend, momentum,
// minute-of-hour and hour-of-day buckets), with its defects fixed: the trend is
// scaled by the real step (the original divided a per-point slope by 60, right
// only for 1-minute points), every Fit recomputes the buckets from the given
// history alone (nothing carried over), the seasonal part is additive and
// estimated on detrended data (no ad-hoc blending weights, no bias towards the
// bucket maximum), trend and momentum count only as far as they stand out of the
// noise, and uncertainty comes from rolling-origin errors
// (models/quantiles.h) instead of the buckets' spread.
//
// Formula, for a history y[0..n-1] at times t_i = start + i * step (UTC):
//   Pd = round(86400 s / step), Ph = round(3600 s / step)        points per day / hour
//   D[i] = y[i] - mean(y over the Pd points centred on i)        daily-detrended
//   M[i] = y[i] - mean(y over the Ph points centred on i)        hourly-detrended
//   H[b] = mean of D[i] over points with UTC hour-of-day b       b = 0..23
//   N[b] = mean of M[i] over points with UTC minute-of-hour b    b = 0..59
//     A bucket with fewer than 2 points is 0. H is used only when Pd >= 4 and at
//     least Pd values of D exist (one full day); N only when Ph >= 4 (steps of at
//     most 15 minutes) and at least Ph values of M exist; otherwise they are 0.
//   S(t) = H[hour(t)] + N[minute(t)]                             seasonal part
//   d[i] = y[i] - S(t_i)                                         deseasonalised
//   w    = min(clamp(Ph, 4, 60), n)                              about the last hour
//   least squares over the last w values of d: slope b0 (per point), its standard
//     error se0, and the fitted value at the last point L ("recent mean", moved to
//     the last point by b0);
//   momentum a0 = (b0 - b_old) / gap, b_old the slope over the up-to-w points
//     before them (a0 = 0 with fewer than 3), gap the distance between the two
//     windows' centres in points; its standard error sea = hypot(se0, se_old) / gap;
//   shrinkage towards 0 by significance, t = estimate / standard error:
//     b = b0 * t^2 / (t^2 + 64),  a = a0 * t^2 / (t^2 + 64)   (exact fits keep all)
//   For step k = 1, 2, ... (target time t_{n-1} + k * step), with h = min(k, w):
//     p50[k] = max(0, L + b*h + a*h^2/2 + S(t_{n-1+k}))
//   In seconds: b*h = (b / step_s) * (h * step_s), the slope per second times the
//   real time ahead. Trend and momentum are not extrapolated further than the
//   window they were measured on, so a long horizon cannot blow up quadratically.
//
// @par Thread safety
// As Model: one thread at a time per instance.
class BaselineModel final : public Model, public OriginForecaster {
 public:
  explicit BaselineModel(ModelOptions options);

  std::string_view name() const override { return "baseline"; }
  // Fails with kInvalidArgument when the history has fewer than 3 points, a
  // non-positive step or a non-finite value; the model is then unfitted.
  Result<void> Fit(const Series& history) override;
  Result<Forecast> Predict(size_t steps) const override;

  // OriginForecaster over the fitted history: from origin o the buckets use only
  // the D and M values whose centred windows end before o.
  size_t MinOrigin() const override;
  void ForecastOrigins(std::span<const size_t> origins, size_t steps,
                       std::vector<double>* out) const override;

 private:
  ModelOptions options_;
  Series history_;
  detail::SeasonalComponent daily_;   // D, hour-of-day buckets
  detail::SeasonalComponent hourly_;  // M, minute-of-hour buckets
  bool fitted_ = false;
};

}  // namespace kedastral::models
