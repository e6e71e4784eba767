#include "models/auto_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "models/fit_checks.h"

namespace kedastral::models {
namespace {

constexpr size_t kMinEvalSteps = 2;
constexpr size_t kMaxEvalSteps = 120;

size_t EvalSteps(Duration step) {
  return std::clamp(PointsPer(std::chrono::hours(1), step), kMinEvalSteps, kMaxEvalSteps);
}

bool LengthChangedALot(size_t now, size_t then) {
  const size_t diff = now > then ? now - then : then - now;
  return diff * 4 > then;
}

}  // namespace

AutoModel::AutoModel(ModelOptions options) : options_(std::move(options)) {
  ModelOptions naive = options_;
  naive.seasonal_periods = {1};
  auto add = [this](std::string name, std::unique_ptr<Model> model, const OriginForecaster* f) {
    candidates_.push_back(Candidate{std::move(name), std::move(model), f});
  };
  auto n = std::make_unique<SeasonalNaiveModel>(naive, "naive");
  const OriginForecaster* nf = n.get();
  add("naive", std::move(n), nf);
  auto sn = std::make_unique<SeasonalNaiveModel>(options_);
  const OriginForecaster* snf = sn.get();
  add("seasonal_naive", std::move(sn), snf);
  auto ets = std::make_unique<EtsModel>(options_);
  const OriginForecaster* ef = ets.get();
  add("ets", std::move(ets), ef);
  auto mstl = std::make_unique<DecompositionModel>(options_);
  const OriginForecaster* mf = mstl.get();
  add("mstl", std::move(mstl), mf);
  auto arima = std::make_unique<ArimaModel>(options_);
  const OriginForecaster* af = arima.get();
  add("arima", std::move(arima), af);
}

std::vector<std::pair<std::string, double>> AutoModel::weights() const {
  std::vector<std::pair<std::string, double>> out;
  for (const Candidate& c : candidates_) out.emplace_back(c.name, c.weight);
  return out;
}

Result<void> AutoModel::Fit(const Series& history) {
  fitted_ = false;
  if (auto ok = CheckHistory(history, name()); !ok) return ok;
  const bool due = !evaluated_ || fits_since_evaluation_ + 1 >= kEvaluateEvery ||
                   history.step != evaluated_step_ ||
                   LengthChangedALot(history.size(), evaluated_size_);
  if (!due) {
    bool all_ok = true;
    for (Candidate& c : candidates_) {
      if (c.weight <= 0) continue;
      c.fitted = c.model->Fit(history).has_value();
      all_ok = all_ok && c.fitted;
    }
    if (all_ok) {
      ++fits_since_evaluation_;
      history_ = history;
      fitted_ = true;
      return {};
    }
  }
  if (auto ok = Evaluate(history); !ok) return ok;
  history_ = history;
  fitted_ = true;
  return {};
}

Result<void> AutoModel::Evaluate(const Series& history) {
  const size_t n = history.size();
  const size_t steps = EvalSteps(history.step);
  const size_t day = PointsPer(std::chrono::hours(24), history.step);
  std::vector<double> mae(candidates_.size(), HUGE_VAL);
  const std::span<const double> values(history.values);
  for (size_t i = 0; i < candidates_.size(); ++i) {
    Candidate& c = candidates_[i];
    c.weight = 0;
    // Yesterday's value is only a fair candidate when there are days to compare.
    c.fitted = !(c.name == "seasonal_naive" && n < 2 * day) && c.model->Fit(history).has_value();
    if (!c.fitted) continue;
    const size_t min_origin = c.forecaster->MinOrigin();
    if (n < min_origin + steps + 1) continue;
    const size_t region = std::min(day, n - min_origin - steps);
    const size_t stride = std::max<size_t>(1, steps / 4);
    std::vector<size_t> origins;
    for (size_t o = n - steps - region; o + steps <= n; o += stride) origins.push_back(o);
    const HorizonErrors errors = RollingOriginErrors(*c.forecaster, values, steps, origins);
    if (errors.count > 0) mae[i] = errors.mae;
  }
  const double best = *std::min_element(mae.begin(), mae.end());
  double total = 0;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    if (!std::isfinite(mae[i])) continue;
    if (best <= 0) {
      candidates_[i].weight = mae[i] <= 0 ? 1 : 0;
    } else if (mae[i] <= best * kKeepRatio) {
      candidates_[i].weight = 1 / (mae[i] * mae[i]);
    }
    total += candidates_[i].weight;
  }
  if (total <= 0) {
    // Nothing scored (a short history): the last value is the safe forecast.
    if (!candidates_[0].fitted) {
      return Fail(Error::InvalidArgument("auto: no candidate can fit the history"));
    }
    candidates_[0].weight = total = 1;
  }
  std::vector<std::pair<double, std::string>> order;
  for (Candidate& c : candidates_) {
    c.weight /= total;
    if (c.weight > 0) order.emplace_back(-c.weight, c.name);
  }
  std::sort(order.begin(), order.end());
  chosen_.clear();
  for (const auto& [w, name] : order) chosen_ += (chosen_.empty() ? "" : "+") + name;
  fits_since_evaluation_ = 0;
  evaluated_size_ = n;
  evaluated_step_ = history.step;
  evaluated_ = true;
  return {};
}

size_t AutoModel::MinOrigin() const {
  size_t m = 1;
  for (const Candidate& c : candidates_) {
    if (c.weight > 0) m = std::max(m, c.forecaster->MinOrigin());
  }
  return m;
}

void AutoModel::ForecastOrigins(std::span<const size_t> origins, size_t steps,
                                std::vector<double>* out) const {
  out->assign(origins.size() * steps, 0.0);
  std::vector<double> part;
  for (const Candidate& c : candidates_) {
    if (c.weight <= 0) continue;
    c.forecaster->ForecastOrigins(origins, steps, &part);
    for (size_t i = 0; i < out->size(); ++i) (*out)[i] += c.weight * part[i];
  }
}

Result<Forecast> AutoModel::Predict(size_t steps) const {
  if (!fitted_) return Fail(Error::InvalidArgument("auto: Predict before a successful Fit"));
  return ForecastWithQuantiles(*this, history_, steps, options_.quantile_levels);
}

}  // namespace kedastral::models
