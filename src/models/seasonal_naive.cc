#include "models/seasonal_naive.h"

#include <chrono>
#include <utility>

#include "models/fit_checks.h"

namespace kedastral::models {

size_t SeasonalNaivePeriod(const ModelOptions& options, size_t n, Duration step) {
  using std::chrono::hours;
  const size_t day = PointsPer(hours(24), step);
  const size_t wanted = options.seasonal_periods.empty() ? day : options.seasonal_periods[0];
  if (wanted >= 1 && n >= wanted) return wanted;
  // Candidates from long to short: the longest one the history still covers
  // keeps the most seasonal information.
  for (size_t candidate : {day, PointsPer(hours(1), step)}) {
    if (n >= candidate) return candidate;
  }
  return 1;
}

SeasonalNaiveModel::SeasonalNaiveModel(ModelOptions options, std::string_view name)
    : options_(std::move(options)), name_(name) {}

Result<void> SeasonalNaiveModel::Fit(const Series& history) {
  fitted_ = false;
  period_ = 0;
  history_ = Series{};
  if (auto ok = CheckHistory(history, name()); !ok) return ok;
  history_ = history;
  period_ = SeasonalNaivePeriod(options_, history.size(), history.step);
  fitted_ = true;
  return {};
}

Result<Forecast> SeasonalNaiveModel::Predict(size_t steps) const {
  if (!fitted_)
    return Fail(Error::InvalidArgument(std::string(name_) + ": Predict before a successful Fit"));
  return ForecastWithQuantiles(*this, history_, steps, options_.quantile_levels);
}

void SeasonalNaiveModel::ForecastOrigins(std::span<const size_t> origins, size_t steps,
                                         std::vector<double>* out) const {
  out->resize(origins.size() * steps);
  const std::vector<double>& y = history_.values;
  const size_t p = period_;
  for (size_t r = 0; r < origins.size(); ++r) {
    const size_t base = origins[r] - p;  // origin >= MinOrigin() == p
    double* row = out->data() + r * steps;
    for (size_t k = 0; k < steps; ++k) row[k] = y[base + k % p];
  }
}

}  // namespace kedastral::models
