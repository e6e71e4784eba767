#pragma once

#include <cstddef>
#include <string_view>

#include "core/result.h"
#include "core/series.h"

namespace kedastral::models {

// Fewest points any model fits on: two one-step changes are the least the
// uncertainty fallback can measure a spread from.
inline constexpr size_t kMinHistoryPoints = 3;

// Checks what every Fit requires of a history: at least kMinHistoryPoints points,
// a positive step, finite values. Fails with kInvalidArgument naming `model`.
Result<void> CheckHistory(const Series& history, std::string_view model);

// Points in `period` on a grid of `step` (rounded, at least 1).
size_t PointsPer(Duration period, Duration step);

}  // namespace kedastral::models
