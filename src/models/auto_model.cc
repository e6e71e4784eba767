#include "models/auto_model.h"

#include <algorithm>
#include <chrono>
#include <span>
#include <utility>

#include "models/fit_checks.h"
#include "models/quantiles.h"

namespace kedastral::models {
namespace {

// The horizon the candidates are compared at: one hour, the horizon at which
// EVAL.md scores forecasts, bounded so a fine grid cannot make evaluation costly.
constexpr size_t kMinEvalSteps = 2;
constexpr size_t kMaxEvalSteps = 120;

size_t EvalSteps(Duration step) {
  return std::clamp(PointsPer(std::chrono::hours(1), step), kMinEvalSteps, kMaxEvalSteps);
}

// True when the history's length moved by more than a quarter of the length
// the choice was made on: the scoring origins then see different data.
bool LengthChangedALot(size_t now, size_t then) {
  const size_t diff = now > then ? now - then : then - now;
  return diff * 4 > then;
}

}  // namespace

AutoModel::AutoModel(ModelOptions options)
    : options_(std::move(options)), seasonal_naive_(options_), baseline_(options_) {}

std::string_view AutoModel::chosen() const {
  switch (choice_) {
    case Choice::kSeasonalNaive:
      return seasonal_naive_.name();
    case Choice::kBaseline:
      return baseline_.name();
    case Choice::kNone:
      break;
  }
  return "";
}

Model& AutoModel::ChosenModel() {
  if (choice_ == Choice::kBaseline) return baseline_;
  return seasonal_naive_;
}

const Model& AutoModel::ChosenModel() const {
  if (choice_ == Choice::kBaseline) return baseline_;
  return seasonal_naive_;
}

Result<void> AutoModel::Fit(const Series& history) {
  fitted_ = false;
  const bool due = choice_ == Choice::kNone || fits_since_evaluation_ + 1 >= kEvaluateEvery ||
                   history.step != evaluated_step_ ||
                   LengthChangedALot(history.size(), evaluated_size_);
  if (!due) {
    if (ChosenModel().Fit(history)) {
      ++fits_since_evaluation_;
      fitted_ = true;
      return {};
    }
    // The chosen one cannot fit this history; the other one might.
  }
  if (auto ok = Evaluate(history); !ok) return ok;
  fitted_ = true;
  return {};
}

Result<void> AutoModel::Evaluate(const Series& history) {
  const Result<void> sn = seasonal_naive_.Fit(history);
  const Result<void> bl = baseline_.Fit(history);
  if (!sn && !bl) return Fail(Error::InvalidArgument("auto: " + sn.error().message));
  Choice pick = bl ? Choice::kBaseline : Choice::kSeasonalNaive;
  if (sn && bl) {
    const size_t steps = EvalSteps(history.step);
    const std::vector<size_t> origins = PlanOrigins(
        history.size(), steps, std::max(seasonal_naive_.MinOrigin(), baseline_.MinOrigin()));
    const std::span<const double> values(history.values);
    const HorizonErrors sn_errors = RollingOriginErrors(seasonal_naive_, values, steps, origins);
    const HorizonErrors bl_errors = RollingOriginErrors(baseline_, values, steps, origins);
    pick = bl_errors.count > 0 && bl_errors.mae < sn_errors.mae ? Choice::kBaseline
                                                                : Choice::kSeasonalNaive;
  }
  choice_ = pick;
  fits_since_evaluation_ = 0;
  evaluated_size_ = history.size();
  evaluated_step_ = history.step;
  // Drop the loser's fit: only the chosen model's state may derive from this data.
  if (pick == Choice::kBaseline) {
    seasonal_naive_ = SeasonalNaiveModel(options_);
  } else {
    baseline_ = BaselineModel(options_);
  }
  return {};
}

Result<Forecast> AutoModel::Predict(size_t steps) const {
  if (!fitted_) return Fail(Error::InvalidArgument("auto: Predict before a successful Fit"));
  return ChosenModel().Predict(steps);
}

}  // namespace kedastral::models
