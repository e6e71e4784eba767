#include "models/decomposition.h"

#include <algorithm>
#include <utility>

#include "models/fit_checks.h"
#include "models/seasonality.h"

namespace kedastral::models {
namespace {

// Smoothing the per-phase means over ~1/96 of the period (15 minutes of a day)
// removes most of their noise and keeps the shape of a daily or weekly cycle.
constexpr size_t kSmoothingDivisor = 96;

}  // namespace

std::vector<SeasonalProfile> EstimateProfiles(std::span<const double> y,
                                              const std::vector<size_t>& periods) {
  std::vector<SeasonalProfile> profiles;
  std::vector<double> r(y.begin(), y.end());
  const size_t n = r.size();
  for (size_t p : periods) {
    if (p < 2 || n < 2 * p) continue;
    const std::vector<double> trend = MovingAverage(r, p);
    std::vector<double> raw(p, 0.0), count(p, 0.0);
    for (size_t i = 0; i < n; ++i) {
      raw[i % p] += r[i] - trend[i];
      count[i % p] += 1;
    }
    for (size_t j = 0; j < p; ++j) raw[j] /= count[j];
    const size_t width = std::max<size_t>(1, p / kSmoothingDivisor);
    SeasonalProfile profile{p, std::vector<double>(p, 0.0)};
    const size_t half = width / 2;
    double mean = 0;
    for (size_t j = 0; j < p; ++j) {
      double sum = 0;
      for (size_t w = 0; w < width; ++w) sum += raw[(j + p + w - half) % p];
      mean += profile.value[j] = sum / static_cast<double>(width);
    }
    mean /= static_cast<double>(p);
    for (double& v : profile.value) v -= mean;
    for (size_t i = 0; i < n; ++i) r[i] -= profile.value[i % p];
    profiles.push_back(std::move(profile));
  }
  return profiles;
}

DecompositionModel::DecompositionModel(ModelOptions options) : options_(std::move(options)) {}

double DecompositionModel::SeasonalAt(size_t i) const {
  double s = 0;
  for (const SeasonalProfile& p : profiles_) s += p.value[i % p.period];
  return s;
}

Result<void> DecompositionModel::Fit(const Series& history) {
  fitted_ = false;
  if (auto ok = CheckHistory(history, name()); !ok) return ok;
  const std::span<const double> y(history.values);
  std::vector<size_t> periods = options_.seasonal_periods;
  if (periods.empty()) periods = DetectPeriods(y, history.step);
  std::sort(periods.begin(), periods.end());
  profiles_ = EstimateProfiles(y, periods);
  std::vector<double> r(y.size());
  for (size_t i = 0; i < y.size(); ++i) r[i] = y[i] - SeasonalAt(i);
  params_ = FitEts(r, 0, has_params_ ? params_ : EtsParams{}, has_params_);
  has_params_ = true;
  EtsFilter(r, 0, params_, &states_);
  history_ = history;
  fitted_ = true;
  return {};
}

Result<Forecast> DecompositionModel::Predict(size_t steps) const {
  if (!fitted_) return Fail(Error::InvalidArgument("mstl: Predict before a successful Fit"));
  return ForecastWithQuantiles(*this, history_, steps, options_.quantile_levels);
}

void DecompositionModel::ForecastOrigins(std::span<const size_t> origins, size_t steps,
                                         std::vector<double>* out) const {
  EtsForecastOrigins(states_, 0, params_, origins, steps, out);
  for (size_t r = 0; r < origins.size(); ++r) {
    for (size_t k = 0; k < steps; ++k) (*out)[r * steps + k] += SeasonalAt(origins[r] + k);
  }
}

}  // namespace kedastral::models
