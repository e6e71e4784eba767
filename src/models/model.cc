#include "models/model.h"

#include <string>

#include "models/arima.h"
#include "models/auto_model.h"
#include "models/baseline.h"
#include "models/decomposition.h"
#include "models/ets.h"
#include "models/seasonal_naive.h"

namespace kedastral::models {
namespace {

// Checks the options against model.h's contract once, here, so the models can
// rely on them.
Result<void> CheckOptions(const ModelOptions& options) {
  for (size_t period : options.seasonal_periods) {
    if (period == 0) return Fail(Error::InvalidArgument("seasonal period must be at least 1 step"));
  }
  double previous = 0.5;
  for (double level : options.quantile_levels) {
    if (!(level > 0.5 && level < 1.0)) {
      return Fail(Error::InvalidArgument("quantile level " + std::to_string(level) +
                                         " is outside (0.5, 1)"));
    }
    if (!(level > previous)) {
      return Fail(Error::InvalidArgument("quantile levels must be strictly ascending"));
    }
    previous = level;
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Model>> MakeModel(std::string_view name, const ModelOptions& options) {
  if (auto ok = CheckOptions(options); !ok) return Fail(ok.error());
  if (name == "auto") return std::make_unique<AutoModel>(options);
  if (name == "baseline") return std::make_unique<BaselineModel>(options);
  if (name == "seasonal_naive") return std::make_unique<SeasonalNaiveModel>(options);
  if (name == "naive") {
    ModelOptions last_value = options;
    last_value.seasonal_periods = {1};
    return std::make_unique<SeasonalNaiveModel>(last_value, "naive");
  }
  if (name == "arima") return std::make_unique<ArimaModel>(options);
  if (name == "ets") return std::make_unique<EtsModel>(options);
  if (name == "mstl") return std::make_unique<DecompositionModel>(options);
  std::string known;
  for (const std::string& n : ModelNames()) known += (known.empty() ? "" : ", ") + n;
  return Fail(
      Error::InvalidArgument("unknown model \"" + std::string(name) + "\" (known: " + known + ")"));
}

const std::vector<std::string>& ModelNames() {
  static const std::vector<std::string> kNames{"arima", "auto",  "baseline",      "ets",
                                               "mstl",  "naive", "seasonal_naive"};
  return kNames;
}

}  // namespace kedastral::models
