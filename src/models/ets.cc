#include "models/ets.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "models/fit_checks.h"
#include "models/optimize.h"
#include "models/seasonality.h"

namespace kedastral::models {
namespace {

// Fitting on more than a few days buys little accuracy for a one-hour horizon
// and costs linearly; the final states still come from the whole history.
constexpr size_t kFitPoints = 2880;
constexpr double kPhiMin = 0.8, kPhiMax = 0.98;

}  // namespace

double DampedSum(double phi, size_t h) {
  double sum = 0, power = 1;
  for (size_t i = 0; i < h; ++i) sum += power *= phi;
  return sum;
}

double EtsFilter(std::span<const double> y, size_t m, const EtsParams& p, EtsStates* states) {
  const size_t n = y.size();
  const size_t first = m >= 2 ? m : 1;
  if (n <= first) return HUGE_VAL;
  double l = 0, b = 0;
  std::vector<double> local_season;
  std::vector<double>& season = states ? states->season : local_season;
  season.assign(m >= 2 ? n : 0, 0.0);
  if (m >= 2) {
    for (size_t j = 0; j < m; ++j) l += y[j];
    l /= static_cast<double>(m);
    for (size_t j = 0; j < m; ++j) season[j] = y[j] - l;
  } else {
    l = y[0];
  }
  if (states) {
    states->first = first;
    states->level.assign(n, l);
    states->trend.assign(n, 0.0);
  }
  double sse = 0;
  for (size_t t = first; t < n; ++t) {
    const double s = m >= 2 ? season[t - m] : 0.0;
    const double e = y[t] - (l + p.phi * b + s);
    sse += e * e;
    l = l + p.phi * b + p.alpha * e;
    b = p.phi * b + p.beta * e;
    if (m >= 2) season[t] = s + p.gamma * e;
    if (states) states->level[t] = l, states->trend[t] = b;
  }
  return sse / static_cast<double>(n - first);
}

EtsParams FitEts(std::span<const double> y, size_t m, const EtsParams& start, bool warm) {
  const size_t keep = std::min(y.size(), std::max(3 * m, kFitPoints));
  const std::span<const double> sample = y.last(keep);
  // Parameterised in the unit box: beta = alpha * x1, gamma = (1 - alpha) * x2,
  // so every point of the box is an admissible (stable) parameter set.
  const auto unpack = [](const std::vector<double>& x) {
    EtsParams p;
    p.alpha = x[0];
    p.beta = x[0] * x[1];
    p.gamma = (1 - x[0]) * x[2];
    p.phi = x[3];
    return p;
  };
  std::vector<double> x0{std::clamp(start.alpha, 0.01, 0.99),
                         start.alpha > 0 ? std::clamp(start.beta / start.alpha, 0.0, 1.0) : 0.0,
                         start.alpha < 1 ? std::clamp(start.gamma / (1 - start.alpha), 0.0, 1.0) : 0.0,
                         std::clamp(start.phi, kPhiMin, kPhiMax)};
  std::vector<double> lower{1e-3, 0, 0, kPhiMin}, upper{0.999, 1, 1, kPhiMax};
  if (m < 2) upper[2] = 0;  // no season: gamma fixed at 0
  const auto f = [&](const std::vector<double>& x) {
    return EtsFilter(sample, m, unpack(x), nullptr);
  };
  // A warm start sits near the optimum: a small simplex and fewer evaluations.
  const Minimum best = NelderMead(f, x0, lower, upper, warm ? 0.05 : 0.2, 1e-6, warm ? 60 : 200);
  return unpack(best.x);
}

void EtsForecastOrigins(const EtsStates& states, size_t m, const EtsParams& p,
                        std::span<const size_t> origins, size_t steps, std::vector<double>* out) {
  out->resize(origins.size() * steps);
  std::vector<double> damped(steps);
  for (size_t k = 0; k < steps; ++k) damped[k] = DampedSum(p.phi, k + 1);
  for (size_t r = 0; r < origins.size(); ++r) {
    const size_t o = origins[r];  // >= states.first >= 1
    const double l = states.level[o - 1], b = states.trend[o - 1];
    double* row = out->data() + r * steps;
    for (size_t k = 0; k < steps; ++k) {
      double s = 0;
      if (m >= 2) {
        // The latest seasonal term for the target's phase known at o - 1.
        const size_t target = o + k;
        const size_t back = m * (k / m + 1);
        s = states.season[target - back];
      }
      row[k] = l + damped[k] * b + s;
    }
  }
}

EtsModel::EtsModel(ModelOptions options) : options_(std::move(options)) {}

Result<void> EtsModel::Fit(const Series& history) {
  fitted_ = false;
  if (auto ok = CheckHistory(history, name()); !ok) return ok;
  const std::span<const double> y(history.values);
  size_t m = 0;
  if (!options_.seasonal_periods.empty()) {
    m = options_.seasonal_periods[0];
  } else {
    const size_t day = PointsPer(std::chrono::hours(24), history.step);
    const std::vector<size_t> found = DetectPeriods(y, history.step);
    if (std::find(found.begin(), found.end(), day) != found.end()) m = day;
  }
  if (m < 2 || y.size() < 2 * m) m = 0;
  const bool warm = has_params_ && m == period_;
  params_ = FitEts(y, m, warm ? params_ : EtsParams{}, warm);
  has_params_ = true;
  period_ = m;
  EtsFilter(y, m, params_, &states_);
  history_ = history;
  fitted_ = true;
  return {};
}

Result<Forecast> EtsModel::Predict(size_t steps) const {
  if (!fitted_) return Fail(Error::InvalidArgument("ets: Predict before a successful Fit"));
  return ForecastWithQuantiles(*this, history_, steps, options_.quantile_levels);
}

void EtsModel::ForecastOrigins(std::span<const size_t> origins, size_t steps,
                               std::vector<double>* out) const {
  EtsForecastOrigins(states_, period_, params_, origins, steps, out);
}

}  // namespace kedastral::models
