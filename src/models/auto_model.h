#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "models/arima.h"
#include "models/decomposition.h"
#include "models/ets.h"
#include "models/model.h"
#include "models/quantiles.h"
#include "models/seasonal_naive.h"

namespace kedastral::models {

// model: auto. Per workload, weights candidate models by their rolling-origin
// error on the workload's own recent history and forecasts with the weighted
// combination (an OriginForecaster of its own, so its quantiles come from the
// combination's own errors, models/quantiles.h).
//
// Candidates: naive (last value), seasonal_naive (one day, only when the history
// holds 2 days), ets, mstl and arima. Scoring: origins every max(1, H/4) points over the
// last min(1 day, n - MinOrigin - H) points, H = one hour in steps (2..120), each
// candidate's MAE over every (origin, step). Weights: the best candidate and every
// candidate within kKeepRatio of its MAE, each weighted 1 / MAE^2, normalised. A
// candidate that fails to fit gets weight 0; with no usable origin the weight is
// all on naive.
//
// The weights are evaluated on the first Fit, then again on every kEvaluateEvery-th
// Fit, when the step changed or the history's length moved by more than a quarter;
// in between only the weighted candidates are refitted (this is what makes auto
// cheap: scoring costs several fits).
//
// name() is "auto"; chosen() tells the mix, e.g. "mstl" or "ets+naive".
class AutoModel final : public Model, public OriginForecaster {
 public:
  explicit AutoModel(ModelOptions options);

  std::string_view name() const override { return "auto"; }
  Result<void> Fit(const Series& history) override;
  Result<Forecast> Predict(size_t steps) const override;

  // The weighted candidates' names joined by '+', heaviest first; "" before a fit.
  std::string_view chosen() const { return chosen_; }
  // Weights by candidate name (0 for unused ones), in candidate order.
  std::vector<std::pair<std::string, double>> weights() const;

  size_t MinOrigin() const override;
  void ForecastOrigins(std::span<const size_t> origins, size_t steps,
                       std::vector<double>* out) const override;

  static constexpr size_t kEvaluateEvery = 10;
  static constexpr double kKeepRatio = 1.1;

 private:
  struct Candidate {
    std::string name;
    std::unique_ptr<Model> model;
    const OriginForecaster* forecaster = nullptr;
    double weight = 0;
    bool fitted = false;
  };
  Result<void> Evaluate(const Series& history);

  ModelOptions options_;
  std::vector<Candidate> candidates_;
  std::string chosen_;
  Series history_;
  size_t fits_since_evaluation_ = 0;
  size_t evaluated_size_ = 0;
  Duration evaluated_step_{0};
  bool evaluated_ = false;
  bool fitted_ = false;
};

}  // namespace kedastral::models
