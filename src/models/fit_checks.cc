#include "models/fit_checks.h"

#include <cmath>
#include <string>

namespace kedastral::models {

Result<void> CheckHistory(const Series& history, std::string_view model) {
  const std::string who(model);
  if (history.step.count() <= 0) {
    return Fail(Error::InvalidArgument(who + ": history step must be positive"));
  }
  if (history.size() < kMinHistoryPoints) {
    return Fail(Error::InvalidArgument(who + ": history has " + std::to_string(history.size()) +
                                       " points, needs at least " +
                                       std::to_string(kMinHistoryPoints)));
  }
  for (size_t i = 0; i < history.size(); ++i) {
    if (!std::isfinite(history.values[i])) {
      return Fail(
          Error::InvalidArgument(who + ": history value " + std::to_string(i) + " is not finite"));
    }
  }
  return {};
}

size_t PointsPer(Duration period, Duration step) {
  if (step.count() <= 0) return 1;
  const double ratio = static_cast<double>(period.count()) / static_cast<double>(step.count());
  const double rounded = std::round(ratio);
  return rounded < 1 ? 1 : static_cast<size_t>(rounded);
}

}  // namespace kedastral::models
