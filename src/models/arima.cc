#include "models/arima.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <utility>

#include "models/fit_checks.h"
#include "models/optimize.h"
#include "models/seasonality.h"

namespace kedastral::models {
namespace {

// Fitting on the last day (or one season plus half a day) is enough to pin a
// handful of coefficients and keeps a cold order search within a few ms on a
// week of 1-minute points; residuals and forecasts still use the whole history.
constexpr size_t kFitPoints = 1440;
constexpr size_t kSeasonalExtra = 360;
// The CSS is summed from this index so that every order in the grid (p <= 2) is
// scored on the same points and AICs compare.
constexpr size_t kCssStart = 2;
constexpr double kMaxPacf = 0.98;
// Seasonal differencing when the detrended series repeats at lag m at least this
// strongly: then var(y_t - y_{t-m}) = 2 (1 - r) var <= var, differencing helps.
constexpr double kSeasonalDifferenceAcf = 0.5;
// One difference when the series' lag-1 autocorrelation is this close to a unit root.
constexpr double kDifferenceAcf = 0.95;
constexpr size_t kReselectEvery = 10;

struct Order {
  size_t p, q, seasonal_q;
};

double Lag1Autocorrelation(std::span<const double> x) {
  if (x.size() < 3) return 0;
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double a = x[i] - mean;
    den += a * a;
    if (i > 0) num += a * (x[i - 1] - mean);
  }
  return den > 0 ? num / den : 0;
}

std::vector<std::pair<size_t, double>> MaTerms(const ArimaSpec& s) {
  std::vector<std::pair<size_t, double>> terms;
  for (size_t j = 0; j < s.q; ++j) terms.emplace_back(j + 1, s.theta[j]);
  if (s.seasonal_q > 0 && s.period > 0) {
    terms.emplace_back(s.period, s.seasonal_theta);
    for (size_t j = 0; j < s.q; ++j)
      terms.emplace_back(s.period + j + 1, s.theta[j] * s.seasonal_theta);
  }
  return terms;
}

// Unpacks optimiser coordinates (partial autocorrelations) into the spec.
void Unpack(const std::vector<double>& x, ArimaSpec* s) {
  const std::span<const double> all(x);
  s->phi = PacfToCoefficients(all.first(s->p));
  s->theta = PacfToCoefficients(all.subspan(s->p, s->q));
  for (double& t : s->theta) t = -t;
  s->seasonal_theta = s->seasonal_q > 0 ? -x[s->p + s->q] : 0.0;
}

// Fits one order on the fit window; `start` (partial autocorrelations) is used
// when its size matches.
ArimaSpec FitOrder(std::span<const double> w, ArimaSpec base, const Order& order,
                   const std::vector<double>& start, bool warm, std::vector<double>* raw) {
  base.p = order.p;
  base.q = order.q;
  base.seasonal_q = order.seasonal_q;
  const size_t k = order.p + order.q + order.seasonal_q;
  std::vector<double> x0(k, 0.0);
  if (start.size() == k) x0 = start;
  std::vector<double> x = x0;
  if (k > 0) {
    const std::vector<double> lower(k, -kMaxPacf), upper(k, kMaxPacf);
    ArimaSpec trial = base;
    const auto f = [&](const std::vector<double>& v) {
      Unpack(v, &trial);
      return ArimaCss(w, trial, nullptr);
    };
    x = NelderMead(f, x0, lower, upper, warm ? 0.03 : 0.15, 1e-5, warm ? 30 * k : 50 * k).x;
  }
  Unpack(x, &base);
  base.css = ArimaCss(w, base, nullptr);
  const double n = static_cast<double>(w.size() > kCssStart ? w.size() - kCssStart : 1);
  base.aic = n * std::log(std::max(base.css / n, 1e-300)) + 2.0 * static_cast<double>(k + 1);
  *raw = std::move(x);
  return base;
}

}  // namespace

std::vector<double> PacfToCoefficients(std::span<const double> r) {
  std::vector<double> phi, prev;
  for (size_t k = 0; k < r.size(); ++k) {
    prev = phi;
    phi.push_back(r[k]);
    for (size_t i = 0; i < k; ++i) phi[i] = prev[i] - r[k] * prev[k - 1 - i];
  }
  return phi;
}

std::vector<std::pair<size_t, double>> DifferencingTerms(size_t d, size_t seasonal_d, size_t m) {
  std::map<size_t, double> poly{{0, 1.0}};
  const auto multiply = [&](size_t lag) {  // poly *= (1 - B^lag)
    std::map<size_t, double> next = poly;
    for (const auto& [j, c] : poly) next[j + lag] -= c;
    poly = std::move(next);
  };
  for (size_t i = 0; i < d; ++i) multiply(1);
  for (size_t i = 0; i < seasonal_d; ++i) multiply(m);
  std::vector<std::pair<size_t, double>> terms;
  for (const auto& [j, c] : poly) {
    if (j > 0 && c != 0) terms.emplace_back(j, -c);
  }
  return terms;
}

double ArimaCss(std::span<const double> w, const ArimaSpec& spec, std::vector<double>* residuals) {
  const size_t n = w.size();
  std::vector<double> local;
  std::vector<double>& e = residuals ? *residuals : local;
  e.assign(n, 0.0);
  const std::vector<std::pair<size_t, double>> ma = MaTerms(spec);
  size_t max_lag = spec.p;
  for (const auto& term : ma) max_lag = std::max(max_lag, term.first);
  const double mu = spec.mu;
  const double* phi = spec.phi.data();
  double css = 0;
  // The first max_lag points check every lag against the start; the rest (the
  // bulk, and the optimiser's inner loop) run without branches.
  const size_t head = std::min(n, max_lag);
  for (size_t t = 0; t < head; ++t) {
    double pred = mu;
    for (size_t i = 0; i < spec.p; ++i) {
      if (t > i) pred += phi[i] * (w[t - 1 - i] - mu);
    }
    for (const auto& [lag, c] : ma) {
      if (t >= lag) pred += c * e[t - lag];
    }
    e[t] = w[t] - pred;
    if (t >= kCssStart) css += e[t] * e[t];
  }
  for (size_t t = head; t < n; ++t) {
    double pred = mu;
    for (size_t i = 0; i < spec.p; ++i) pred += phi[i] * (w[t - 1 - i] - mu);
    for (const auto& [lag, c] : ma) pred += c * e[t - lag];
    e[t] = w[t] - pred;
    if (t >= kCssStart) css += e[t] * e[t];
  }
  return css;
}

ArimaModel::ArimaModel(ModelOptions options) : options_(std::move(options)) {}

Result<void> ArimaModel::Fit(const Series& history) {
  fitted_ = false;
  if (auto ok = CheckHistory(history, name()); !ok) return ok;
  const std::span<const double> y(history.values);
  const size_t n = y.size();

  size_t m = 0;
  if (!options_.seasonal_periods.empty()) {
    m = options_.seasonal_periods[0];
  } else {
    const size_t day = PointsPer(std::chrono::hours(24), history.step);
    const std::vector<size_t> found = DetectPeriods(y, history.step);
    if (std::find(found.begin(), found.end(), day) != found.end()) m = day;
  }
  size_t seasonal_d = 0;
  if (m >= 2 && n >= 3 * m && SeasonalAutocorrelation(y, m) >= kSeasonalDifferenceAcf) {
    seasonal_d = 1;
  }
  std::vector<double> z(y.begin(), y.end());
  if (seasonal_d > 0) {
    for (size_t t = n; t-- > m;) z[t] -= z[t - m];
    z.erase(z.begin(), z.begin() + static_cast<long>(m));
  }
  const size_t probe = std::min(z.size(), kFitPoints);
  size_t d = 0;
  if (z.size() >= 8 &&
      Lag1Autocorrelation(std::span<const double>(z).last(probe)) >= kDifferenceAcf) {
    d = 1;
  }

  ArimaSpec base;
  base.d = d;
  base.seasonal_d = seasonal_d;
  base.period = seasonal_d > 0 ? m : 0;
  delta_ = DifferencingTerms(d, seasonal_d, m);
  lead_ = d + seasonal_d * m;
  w_.assign(n, 0.0);
  for (size_t t = lead_; t < n; ++t) {
    double v = y[t];
    for (const auto& [lag, c] : delta_) v -= c * y[t - lag];
    w_[t] = v;
  }
  const std::span<const double> differenced = std::span<const double>(w_).subspan(lead_);
  const size_t window_size = std::min(
      differenced.size(), seasonal_d > 0 ? std::max(m + kSeasonalExtra, kFitPoints) : kFitPoints);
  const std::span<const double> window = differenced.last(window_size);
  base.mu = 0;
  if (d + seasonal_d <= 1 && !window.empty()) {
    base.mu =
        std::accumulate(window.begin(), window.end(), 0.0) / static_cast<double>(window.size());
  }

  const bool same_differencing =
      has_spec_ && spec_.d == d && spec_.seasonal_d == seasonal_d && spec_.period == base.period;
  std::vector<double> raw;
  if (same_differencing && fits_since_selection_ + 1 < kReselectEvery) {
    spec_ = FitOrder(window, base, Order{spec_.p, spec_.q, spec_.seasonal_q}, raw_, true, &raw);
    ++fits_since_selection_;
  } else {
    std::vector<Order> grid;
    // A seasonal difference always comes with its seasonal MA term (the airline
    // model's form): without it the forecast carries last season's noise over,
    // and dropping the Q = 0 half of the grid halves the cold search's cost.
    for (size_t sq = seasonal_d; sq <= seasonal_d; ++sq) {
      for (const auto& [p, q] :
           {std::pair<size_t, size_t>{0, 0}, {1, 0}, {2, 0}, {0, 1}, {1, 1}, {2, 1}}) {
        // Keep at least 4 points per coefficient.
        if (4 * (p + q + sq + 1) <= window.size()) grid.push_back(Order{p, q, sq});
      }
    }
    bool any = false;
    for (const Order& order : grid) {
      std::vector<double> candidate_raw;
      ArimaSpec candidate = FitOrder(window, base, order, {}, false, &candidate_raw);
      if (!any || candidate.aic < spec_.aic) {
        spec_ = std::move(candidate);
        raw = std::move(candidate_raw);
        any = true;
      }
    }
    if (!any) spec_ = FitOrder(window, base, Order{0, 0, 0}, {}, false, &raw);
    fits_since_selection_ = 0;
  }
  raw_ = std::move(raw);
  has_spec_ = true;
  ma_ = MaTerms(spec_);

  std::vector<double> residuals;
  ArimaCss(differenced, spec_, &residuals);
  e_.assign(n, 0.0);
  std::copy(residuals.begin(), residuals.end(), e_.begin() + static_cast<long>(lead_));
  history_ = history;
  fitted_ = true;
  return {};
}

size_t ArimaModel::MinOrigin() const { return lead_ + 1; }

void ArimaModel::ForecastOrigins(std::span<const size_t> origins, size_t steps,
                                 std::vector<double>* out) const {
  out->resize(origins.size() * steps);
  const std::vector<double>& y = history_.values;
  const double mu = spec_.mu;
  std::vector<double> wh(steps), yh(steps);
  for (size_t r = 0; r < origins.size(); ++r) {
    const size_t o = origins[r];  // >= lead_ + 1
    const auto w_at = [&](size_t s) { return s >= o ? wh[s - o] : (s >= lead_ ? w_[s] : mu); };
    const auto e_at = [&](size_t s) { return s >= o || s < lead_ ? 0.0 : e_[s]; };
    const auto y_at = [&](size_t s) { return s >= o ? yh[s - o] : y[s]; };
    for (size_t k = 0; k < steps; ++k) {
      const size_t t = o + k;
      double pred = mu;
      for (size_t i = 0; i < spec_.p; ++i) {
        if (t > i) pred += spec_.phi[i] * (w_at(t - 1 - i) - mu);
      }
      for (const auto& [lag, c] : ma_) {
        if (t >= lag) pred += c * e_at(t - lag);
      }
      wh[k] = pred;
      double level = pred;
      for (const auto& [lag, c] : delta_) level += c * y_at(t - lag);
      yh[k] = level;
      (*out)[r * steps + k] = level;
    }
  }
}

Result<Forecast> ArimaModel::Predict(size_t steps) const {
  if (!fitted_) return Fail(Error::InvalidArgument("arima: Predict before a successful Fit"));
  return ForecastWithQuantiles(*this, history_, steps, options_.quantile_levels);
}

}  // namespace kedastral::models
