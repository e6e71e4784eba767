#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "models/ets.h"
#include "models/model.h"
#include "models/quantiles.h"

namespace kedastral::models {

// One seasonal profile: value[i mod period] is added at index i of the history's grid.
struct SeasonalProfile {
  size_t period = 0;
  std::vector<double> value;
};

// Estimates seasonal profiles for `periods` (ascending), one after the other on
// what the previous ones left (as MSTL does):
//   d[i]   = r[i] - movingaverage_p(r)[i]                 detrended
//   raw[j] = mean of d[i] over i = j (mod p)               per phase
//   profile = circular moving average of raw over max(1, p / 96) phases, minus its mean
//   r[i]  -= profile[i mod p]
// A period with fewer than two full cycles in y is skipped.
std::vector<SeasonalProfile> EstimateProfiles(std::span<const double> y,
                                              const std::vector<size_t>& periods);

// model: mstl. Multi-seasonal decomposition plus a short-memory model of the rest:
//   y[i] = sum_p profile_p[i mod p] + r[i]
// with profiles from EstimateProfiles for the periods of options.seasonal_periods,
// else DetectPeriods (1 h, 1 d, 1 w candidates), and r forecast by damped-trend
// exponential smoothing ETS(A,Ad,N) fitted as EtsModel (warm-started). A week at
// 1-minute steps is 10,080 phases: averaging per phase costs O(n) where a
// Holt-Winters season of that length could not even be initialised on 7 days.
// Forecast: p50[k] = sum_p profile_p[(n + k - 1) mod p] + ETS forecast of r.
// Upper quantiles from its own rolling-origin errors (profiles held fixed).
class DecompositionModel final : public Model, public OriginForecaster {
 public:
  explicit DecompositionModel(ModelOptions options);

  std::string_view name() const override { return "mstl"; }
  Result<void> Fit(const Series& history) override;
  Result<Forecast> Predict(size_t steps) const override;

  size_t MinOrigin() const override { return states_.first; }
  void ForecastOrigins(std::span<const size_t> origins, size_t steps,
                       std::vector<double>* out) const override;

  const std::vector<SeasonalProfile>& profiles() const { return profiles_; }

 private:
  double SeasonalAt(size_t i) const;

  ModelOptions options_;
  Series history_;
  std::vector<SeasonalProfile> profiles_;
  EtsParams params_;
  bool has_params_ = false;
  EtsStates states_;
  bool fitted_ = false;
};

}  // namespace kedastral::models
