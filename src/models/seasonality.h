#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/time.h"

namespace kedastral::models {

// Seasonal periods present in `values` (a grid of `step`), in points, ascending.
//
// Candidates: 1 hour, 1 day, 1 week (in points; each at least 4). A candidate p is
// tested only when the history holds at least 2 p points. The series is detrended
// by a centred moving average of length p (which removes level shifts and any
// cycle of period p's divisors averaged out), and the candidate is kept when the
// autocorrelation of that remainder at lag p is at least `threshold`
// (default 0.3): the shape repeats one period later more than chance would make it.
std::vector<size_t> DetectPeriods(std::span<const double> values, Duration step,
                                  double threshold = 0.3);

// Autocorrelation at `lag` of x - movingaverage_p(x) (see DetectPeriods); 0 when
// the series is too short or constant.
double SeasonalAutocorrelation(std::span<const double> values, size_t lag);

// Centred moving average of length `window` (ends use the available points).
std::vector<double> MovingAverage(std::span<const double> values, size_t window);

}  // namespace kedastral::models
