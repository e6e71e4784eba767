#pragma once

#include <cstddef>
#include <vector>

#include "core/time.h"

namespace kedastral {

// A regular time series: values[i] is the value at start + i * step.
// Values are finite; a source or the history ring fills or drops gaps before
// a Series reaches a model.
struct Series {
  TimePoint start{};
  Duration step{60000};
  std::vector<double> values;

  size_t size() const { return values.size(); }
  bool empty() const { return values.empty(); }
  TimePoint TimeAt(size_t i) const { return start + step * static_cast<long>(i); }
  // One step past the last point (== start when empty).
  TimePoint End() const { return TimeAt(values.size()); }
};

// One upper quantile of a forecast, e.g. level 0.9 -> "p90".
struct QuantileSeries {
  double level = 0.9;
  std::vector<double> values;  // same length as Forecast::p50
};

// A model's forecast: p50[k] is the median of the value at start + k * step.
// quantiles are sorted by ascending level; each is >= p50 step by step.
struct Forecast {
  TimePoint start{};
  Duration step{60000};
  std::vector<double> p50;
  std::vector<QuantileSeries> quantiles;

  // The series for `level` (0.5 gives p50), or nullptr when the forecast lacks it.
  const std::vector<double>* At(double level) const;
};

// "p90" for 0.9, "p99.5" for 0.995, "p50" for 0.5.
std::string QuantileName(double level);

}  // namespace kedastral
