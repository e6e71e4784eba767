#include "backtest/backtest.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include "models/describe.h"
#include "models/model.h"
#include "models/planner.h"

namespace kedastral::backtest {
namespace {

// Same tolerance as the planner and EVAL.md: float noise must not add a replica.
constexpr double kEpsilon = 1e-9;
constexpr double kReactiveHeadrooms[] = {1.0, 1.25, 1.5, 2.0, 3.0};
// Fewest points a model is ever handed (models::kMinHistoryPoints).
constexpr size_t kMinWindow = 3;

int Replicas(double value, double tpp, int min_replicas) {
  const double pods = std::ceil(std::max(value, 0.0) / tpp - kEpsilon);
  return static_cast<int>(std::max<double>(min_replicas, std::min(pods, 1e9)));
}

std::string HeadroomName(double k) {
  if (k == 1.0) return "reactive";
  char buf[32];
  std::snprintf(buf, sizeof buf, "reactive_x%g", k);
  return buf;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  return 0.5 * (upper + *std::max_element(v.begin(), v.begin() + static_cast<long>(mid)));
}

// Accumulates (planned, required) pairs for one policy.
struct CapacityAcc {
  size_t steps = 0;
  size_t under = 0;
  double over = 0;
  double required = 0;
  void Add(int planned, int req) {
    ++steps;
    if (planned < req) ++under;
    over += std::max(planned - req, 0);
    required += req;
  }
  Capacity Done(std::string name) const {
    Capacity c;
    c.policy = std::move(name);
    c.steps = steps;
    c.under = steps ? static_cast<double>(under) / static_cast<double>(steps) : 0;
    c.over = required > 0 ? over / required : 0;
    return c;
  }
};

// Piecewise-linear reactive under-provisioning at over-provision `over`, along
// the reactive rows (sorted by over); clamped to the end rows outside their range.
double ReactiveUnderAt(const std::vector<Capacity>& rows, double over) {
  std::vector<std::pair<double, double>> curve;
  for (const Capacity& c : rows) {
    if (c.policy.rfind("reactive", 0) == 0) curve.emplace_back(c.over, c.under);
  }
  if (curve.empty()) return 0;
  std::sort(curve.begin(), curve.end());
  if (over <= curve.front().first) return curve.front().second;
  if (over >= curve.back().first) return curve.back().second;
  for (size_t i = 1; i < curve.size(); ++i) {
    if (over <= curve[i].first) {
      const auto [x0, y0] = curve[i - 1];
      const auto [x1, y1] = curve[i];
      const double t = x1 > x0 ? (over - x0) / (x1 - x0) : 0;
      return y0 + t * (y1 - y0);
    }
  }
  return curve.back().second;
}

double GeometricMean(const std::vector<double>& v) {
  double logs = 0;
  size_t count = 0;
  for (double x : v) {
    if (x > 0 && std::isfinite(x)) {
      logs += std::log(x);
      ++count;
    }
  }
  return count ? std::exp(logs / static_cast<double>(count)) : 0;
}

}  // namespace

CapacityPolicy Options::DefaultScoringPolicy() {
  CapacityPolicy p;
  p.target_per_pod = 0;  // median / 5
  p.headroom = 1;
  p.min_replicas = 1;
  p.max_replicas = std::numeric_limits<int>::max() / 2;
  p.up_max_factor = 1e9;
  p.down_max_percent = 100;
  p.prewarm_steps = 0;
  return p;
}

size_t ToPoints(Duration d, Duration step) {
  if (step.count() <= 0) return 1;
  const auto points = static_cast<size_t>(std::llround(static_cast<double>(d.count()) /
                                                       static_cast<double>(step.count())));
  return std::max<size_t>(points, 1);
}

Result<OriginPlan> PlanOrigins(const Series& series, const Options& options) {
  OriginPlan plan;
  const long long step_ms = series.step.count();
  if (step_ms <= 0) return Fail(Error::InvalidArgument("series step must be positive"));
  plan.n = series.size();
  plan.ppd = std::max<size_t>(1, static_cast<size_t>(std::llround(86400000.0 / step_ms)));
  // H = max(2, 3600 div step_s): integer division on seconds, as EVAL.md writes it.
  const long long step_s = std::max<long long>(step_ms / 1000, 1);
  plan.horizon = options.horizon ? ToPoints(*options.horizon, series.step)
                                 : std::max<size_t>(2, static_cast<size_t>(3600 / step_s));
  plan.start = (6 * plan.n) / 10;
  plan.window = options.window ? ToPoints(*options.window, series.step)
                               : std::min(7 * plan.ppd, plan.start);
  if (plan.n < plan.horizon || plan.n - plan.horizon < plan.start || plan.start < kMinWindow) {
    return Fail(Error::InvalidArgument("series of " + std::to_string(plan.n) +
                                       " points is too short for a horizon of " +
                                       std::to_string(plan.horizon) + " points"));
  }
  const size_t e = plan.n - plan.horizon;
  if (options.origin_indices) {
    std::set<size_t> unique;
    for (size_t o : *options.origin_indices) {
      if (o < kMinWindow || o + plan.horizon > plan.n) {
        return Fail(Error::InvalidArgument(
            "origin " + std::to_string(o) + " is outside [" + std::to_string(kMinWindow) + ", " +
            std::to_string(e) + "] for " + std::to_string(plan.n) + " points"));
      }
      unique.insert(o);
    }
    plan.origins.assign(unique.begin(), unique.end());
  } else if (options.stride) {
    if (*options.stride == 0) return Fail(Error::InvalidArgument("stride must be at least 1"));
    for (size_t o = plan.start; o <= e; o += *options.stride) plan.origins.push_back(o);
  } else {
    const size_t m = std::max<size_t>(options.origins, 1);
    for (size_t j = 0; j < m; ++j) {
      const size_t o = m == 1 ? plan.start : plan.start + (j * (e - plan.start)) / (m - 1);
      if (plan.origins.empty() || plan.origins.back() != o) plan.origins.push_back(o);
    }
  }
  if (plan.origins.empty()) return Fail(Error::InvalidArgument("no origins to forecast from"));
  return plan;
}

OriginForecast ForecastAt(const Series& series, const OriginPlan& plan, size_t origin,
                          const Options& options) {
  OriginForecast out;
  out.origin = origin;
  const size_t w = std::min(plan.window, origin);
  Series window;
  window.step = series.step;
  window.start = series.TimeAt(origin - w);
  window.values.assign(series.values.begin() + static_cast<long>(origin - w),
                       series.values.begin() + static_cast<long>(origin));
  models::ModelOptions mo;
  for (Duration d : options.seasons) mo.seasonal_periods.push_back(ToPoints(d, series.step));
  mo.quantile_levels = options.levels;

  const auto t0 = std::chrono::steady_clock::now();
  auto model = models::MakeModel(options.model, mo);
  Result<Forecast> forecast = Fail(Error::Internal("not run"));
  if (!model) {
    forecast = Fail(model.error());
  } else if (auto fit = (*model)->Fit(window); !fit) {
    forecast = Fail(fit.error());
  } else {
    forecast = (*model)->Predict(plan.horizon);
  }
  const auto t1 = std::chrono::steady_clock::now();
  out.fit_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  if (!forecast) {
    out.error = forecast.error().message;
    return out;
  }
  out.label = models::ModelLabel(**model);
  out.p50 = forecast->p50;
  for (double level : options.levels) {
    const std::vector<double>* q = forecast->At(level);
    out.quantiles.push_back(q ? *q : forecast->p50);
  }
  out.ok = out.p50.size() == plan.horizon;
  if (!out.ok) out.error = "forecast has the wrong length";
  return out;
}

Result<SeriesReport> ScoreSeries(const std::string& name, const Series& series,
                                 const OriginPlan& plan, const std::vector<OriginForecast>& forecasts,
                                 const Options& options) {
  SeriesReport r;
  r.name = name;
  r.n = plan.n;
  r.step = series.step;
  r.horizon = plan.horizon;
  r.window = plan.window;
  const std::vector<double>& y = series.values;
  const size_t H = plan.horizon;
  const size_t L = options.levels.size();

  CapacityPolicy policy = options.policy;
  r.target_per_pod = policy.target_per_pod > 0 ? policy.target_per_pod : Median(y) / 5;
  if (!(r.target_per_pod > 0)) r.target_per_pod = 1;  // an all-zero series: any unit works
  policy.target_per_pod = r.target_per_pod;
  policy.quantile.reset();
  const int min_replicas = policy.min_replicas;

  double mase_sum = 0, smape_sum = 0, sq_sum = 0, abs_sum = 0;
  size_t mase_count = 0, points = 0;
  std::vector<double> covered(L, 0), pinball(L, 0), scaled_pinball(L, 0);
  size_t plan_index = L;
  for (size_t l = 0; l < L; ++l) {
    if (std::abs(options.levels[l] - options.plan_level) < 1e-12) plan_index = l;
  }
  const std::string plan_name = QuantileName(options.plan_level);
  constexpr size_t kReactive = std::size(kReactiveHeadrooms);
  std::vector<CapacityAcc> step1(2 + kReactive), all(2 + kReactive);
  std::vector<double> fit_ms;
  std::set<std::string> labels;

  for (const OriginForecast& f : forecasts) {
    if (!f.ok) {
      ++r.failed_origins;
      continue;
    }
    ++r.origins;
    fit_ms.push_back(f.fit_ms);
    labels.insert(f.label);
    const size_t o = f.origin;
    // In-sample seasonal-naive scale over the window w = y[o - W .. o - 1].
    const size_t w = std::min(plan.window, o);
    const size_t lag = w > plan.ppd ? plan.ppd : 1;  // a window under a day: lag 1
    double scale = 0;
    for (size_t i = lag; i < w; ++i) scale += std::abs(y[o - w + i] - y[o - w + i - lag]);
    scale = w > lag ? scale / static_cast<double>(w - lag) : 0;

    double abs_o = 0;
    std::vector<double> pin_o(L, 0);
    for (size_t k = 0; k < H; ++k) {
      const double a = y[o + k];
      const double p = f.p50[k];
      const double err = std::abs(p - a);
      abs_o += err;
      abs_sum += err;
      sq_sum += err * err;
      const double denom = std::abs(p) + std::abs(a);
      smape_sum += denom > 0 ? 200 * err / denom : 0;
      ++points;
      for (size_t l = 0; l < L; ++l) {
        const double q = f.quantiles[l][k];
        const double tau = options.levels[l];
        if (a <= q) covered[l] += 1;
        const double loss = (a - q) * (tau - (a < q ? 1.0 : 0.0));
        pinball[l] += loss;
        pin_o[l] += loss;
      }
      // Capacity: required from the actual, plans from p50, p<level>, and the
      // reactive policies from the value observed one step earlier.
      const int required = Replicas(a, r.target_per_pod, min_replicas);
      std::vector<int> planned;
      planned.push_back(Replicas(p * policy.headroom, r.target_per_pod, min_replicas));
      const double q_plan = plan_index < L ? f.quantiles[plan_index][k] : p;
      planned.push_back(Replicas(q_plan, r.target_per_pod, min_replicas));
      for (double hk : kReactiveHeadrooms) {
        planned.push_back(Replicas(y[o + k - 1] * hk, r.target_per_pod, min_replicas));
      }
      for (size_t c = 0; c < planned.size(); ++c) {
        all[c].Add(planned[c], required);
        if (k == 0) step1[c].Add(planned[c], required);
      }
    }
    if (scale > 0) {
      mase_sum += abs_o / static_cast<double>(H) / scale;
      for (size_t l = 0; l < L; ++l) scaled_pinball[l] += pin_o[l] / static_cast<double>(H) / scale;
      ++mase_count;
    }
  }
  if (r.origins == 0) {
    std::string why = forecasts.empty() ? "no origins" : forecasts.front().error;
    return Fail(Error::InvalidArgument(name + ": every origin failed: " + why));
  }
  r.mase = mase_count ? mase_sum / static_cast<double>(mase_count) : 0;
  r.smape = smape_sum / static_cast<double>(points);
  r.rmse = std::sqrt(sq_sum / static_cast<double>(points));
  r.mae = abs_sum / static_cast<double>(points);
  for (size_t l = 0; l < L; ++l) {
    QuantileScore q;
    q.level = options.levels[l];
    q.coverage = covered[l] / static_cast<double>(points);
    q.pinball = pinball[l] / static_cast<double>(points);
    q.scaled_pinball = mase_count ? scaled_pinball[l] / static_cast<double>(mase_count) : 0;
    r.quantiles.push_back(q);
  }
  std::vector<std::string> names{"p50", plan_name};
  for (double hk : kReactiveHeadrooms) names.push_back(HeadroomName(hk));
  for (size_t c = 0; c < names.size(); ++c) {
    r.capacity_step1.push_back(step1[c].Done(names[c]));
    r.capacity_all.push_back(all[c].Done(names[c]));
  }
  r.reactive_under_at_plan_over = ReactiveUnderAt(r.capacity_step1, r.capacity_step1[1].over);
  r.fit_ms_median = Median(fit_ms);
  double total = 0;
  for (double t : fit_ms) total += t;
  r.fit_ms_mean = total / static_cast<double>(fit_ms.size());
  r.model_labels.assign(labels.begin(), labels.end());
  return r;
}

Summary Summarise(const std::vector<SeriesReport>& reports, const Options& options) {
  Summary s;
  s.series = reports.size();
  if (reports.empty()) return s;
  std::vector<double> mase, pin, medians;
  double coverage = 0, smape = 0, reactive_at = 0;
  for (const SeriesReport& r : reports) {
    mase.push_back(r.mase);
    medians.push_back(r.fit_ms_median);
    smape += r.smape;
    reactive_at += r.reactive_under_at_plan_over;
    for (const QuantileScore& q : r.quantiles) {
      if (std::abs(q.level - options.plan_level) < 1e-12) {
        pin.push_back(q.scaled_pinball);
        coverage += q.coverage;
      }
    }
  }
  const double count = static_cast<double>(reports.size());
  s.gm_mase = GeometricMean(mase);
  s.gm_scaled_pinball = GeometricMean(pin);
  s.mean_coverage = coverage / count;
  s.mean_smape = smape / count;
  s.reactive_under_at_plan_over = reactive_at / count;
  s.fit_ms_median = Median(medians);
  s.capacity_step1 = reports.front().capacity_step1;
  for (Capacity& c : s.capacity_step1) c.under = c.over = 0, c.steps = 0;
  for (const SeriesReport& r : reports) {
    for (size_t c = 0; c < s.capacity_step1.size() && c < r.capacity_step1.size(); ++c) {
      s.capacity_step1[c].under += r.capacity_step1[c].under / count;
      s.capacity_step1[c].over += r.capacity_step1[c].over / count;
      s.capacity_step1[c].steps += r.capacity_step1[c].steps;
    }
  }
  for (size_t c = 0; c < s.capacity_step1.size(); ++c) {
    std::vector<double> overs;
    for (const SeriesReport& r : reports) {
      if (c < r.capacity_step1.size()) overs.push_back(r.capacity_step1[c].over);
    }
    s.capacity_step1[c].over_median = Median(overs);
  }
  return s;
}

}  // namespace kedastral::backtest
