#include "models/seasonality.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "models/fit_checks.h"

namespace kedastral::models {

std::vector<double> MovingAverage(std::span<const double> values, size_t window) {
  const size_t n = values.size();
  std::vector<double> prefix(n + 1, 0.0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + values[i];
  std::vector<double> out(n);
  const size_t half = window / 2;
  window = std::clamp<size_t>(window, 1, std::max<size_t>(n, 1));
  for (size_t i = 0; i < n; ++i) {
    // Slide the window inside [0, n) so every mean averages `window` points.
    size_t lo = i >= half ? i - half : 0;
    const size_t hi = std::min(n, lo + window);
    lo = hi - window;
    out[i] = (prefix[hi] - prefix[lo]) / static_cast<double>(window);
  }
  return out;
}

double SeasonalAutocorrelation(std::span<const double> values, size_t lag) {
  const size_t n = values.size();
  if (lag == 0 || n < 2 * lag) return 0;
  const std::vector<double> trend = MovingAverage(values, lag);
  std::vector<double> r(n);
  double mean = 0;
  for (size_t i = 0; i < n; ++i) mean += r[i] = values[i] - trend[i];
  mean /= static_cast<double>(n);
  double num = 0, den = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = r[i] - mean;
    den += d * d;
    if (i >= lag) num += d * (r[i - lag] - mean);
  }
  return den > 0 ? num / den : 0;
}

std::vector<size_t> DetectPeriods(std::span<const double> values, Duration step, double threshold) {
  using std::chrono::hours;
  std::vector<size_t> periods;
  for (Duration d : {Duration(hours(1)), Duration(hours(24)), Duration(hours(24 * 7))}) {
    const size_t p = PointsPer(d, step);
    if (p < 4 || values.size() < 2 * p) continue;
    if (SeasonalAutocorrelation(values, p) >= threshold) periods.push_back(p);
  }
  return periods;
}

}  // namespace kedastral::models
