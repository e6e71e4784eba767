#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"

namespace kedastral::models {

// What every model is asked for. Periods are in steps of the history's grid.
struct ModelOptions {
  // Seasonal periods to use, in steps (e.g. 1440 for a day at 1-minute steps).
  // Empty: the model picks (seasonal naive defaults to one day).
  std::vector<size_t> seasonal_periods;
  // Upper quantile levels wanted besides p50, ascending, each in (0.5, 1).
  std::vector<double> quantile_levels{0.9, 0.95, 0.99};
};

// A forecasting model. Pure: no I/O, no clock; time comes only from the Series.
//
// Lifecycle: one instance per workload, kept between cycles so a model may
// warm-start a fit from its previous one. Fit() then Predict(); Fit() replaces all
// state derived from earlier data (nothing stale is carried over).
//
// @par Thread safety
// An instance is used by one thread at a time (the loop hands a workload's model to
// one compute-pool task per cycle); different instances are independent.
class Model {
 public:
  virtual ~Model() = default;

  // The name used in config and shown in snapshots, e.g. "seasonal_naive".
  virtual std::string_view name() const = 0;

  // Fits to `history` (finite values on a regular grid). Fails with
  // kInvalidArgument when the history is too short or unusable.
  virtual Result<void> Fit(const Series& history) = 0;

  // Forecasts `steps` points after the fitted history's last point: the result's
  // start is history.End(). Quantiles are monotone across levels and never
  // negative; p50 is never negative. Fails when called before a successful Fit.
  virtual Result<Forecast> Predict(size_t steps) const = 0;
};

// Creates a model by config name ("auto", "baseline", "seasonal_naive", ...).
// Fails with kInvalidArgument for unknown names.
Result<std::unique_ptr<Model>> MakeModel(std::string_view name, const ModelOptions& options);

// Names MakeModel accepts (for config validation and docs).
const std::vector<std::string>& ModelNames();

}  // namespace kedastral::models
