#pragma once

#include <cstddef>
#include <string_view>

#include "core/result.h"
#include "core/series.h"
#include "models/baseline.h"
#include "models/model.h"
#include "models/seasonal_naive.h"

namespace kedastral::models {

// model: auto. Picks, per workload, the candidate with the lower rolling-origin
// MAE on the workload's own recent history, then forecasts with it.
//
// Candidates: seasonal_naive and baseline. Both are scored on the same origins
// (PlanOrigins with the larger of their MinOrigin()s) at a one-hour horizon
// (max(2, round(3600 s / step)) steps, at most 120); a tie or no usable origin
// picks seasonal_naive (cheaper, and the last value when the history is short).
//
// The choice is evaluated on the first Fit, then again on every 10th Fit after
// the last evaluation, when the history's length changed by more than a quarter
// or its step changed since then, and when the chosen model fails to fit. Any
// other Fit refits only the chosen model. The choice is the one thing carried
// between fits; all fitted state comes from the given history.
//
// name() is "auto"; chosen() (and ModelLabel in models/describe.h) tell which one.
//
// @par Thread safety
// As Model: one thread at a time per instance.
class AutoModel final : public Model {
 public:
  explicit AutoModel(ModelOptions options);

  std::string_view name() const override { return "auto"; }
  // Fails with kInvalidArgument when no candidate can fit the history; the model
  // is then unfitted (the choice is kept for the next evaluation to revisit).
  Result<void> Fit(const Series& history) override;
  Result<Forecast> Predict(size_t steps) const override;

  // Name of the chosen candidate ("seasonal_naive" or "baseline"), "" before the
  // first successful Fit.
  std::string_view chosen() const;

  // Fits between evaluations: evaluation happens when this many fits have passed.
  static constexpr size_t kEvaluateEvery = 10;

 private:
  enum class Choice { kNone, kSeasonalNaive, kBaseline };

  Result<void> Evaluate(const Series& history);
  Model& ChosenModel();
  const Model& ChosenModel() const;

  ModelOptions options_;
  SeasonalNaiveModel seasonal_naive_;
  BaselineModel baseline_;
  Choice choice_ = Choice::kNone;
  size_t fits_since_evaluation_ = 0;
  size_t evaluated_size_ = 0;
  Duration evaluated_step_{0};
  bool fitted_ = false;
};

}  // namespace kedastral::models
