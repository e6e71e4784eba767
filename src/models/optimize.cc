#include "models/optimize.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kedastral::models {

Minimum NelderMead(const std::function<double(const std::vector<double>&)>& f,
                   std::vector<double> x0, const std::vector<double>& lower,
                   const std::vector<double>& upper, double scale, double tolerance,
                   size_t max_evaluations) {
  const size_t d = x0.size();
  Minimum best;
  const auto clamp = [&](std::vector<double>* x) {
    for (size_t i = 0; i < d; ++i) (*x)[i] = std::clamp((*x)[i], lower[i], upper[i]);
  };
  const auto eval = [&](std::vector<double>* x) {
    clamp(x);
    ++best.evaluations;
    const double v = f(*x);
    return std::isfinite(v) ? v : HUGE_VAL;
  };
  std::vector<std::vector<double>> simplex(d + 1, x0);
  std::vector<double> values(d + 1);
  for (size_t i = 0; i < d; ++i) {
    const double width = upper[i] - lower[i];
    double& c = simplex[i + 1][i];
    // Step inwards when the start sits on the upper bound, so the vertex differs.
    c = c + scale * width <= upper[i] ? c + scale * width : c - scale * width;
  }
  for (size_t i = 0; i <= d; ++i) values[i] = eval(&simplex[i]);
  std::vector<size_t> order(d + 1);
  std::vector<double> centroid(d), trial(d), trial2(d);
  while (best.evaluations < max_evaluations) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
    const size_t lo = order.front(), hi = order.back(), second = order[d - 1];
    if (std::abs(values[hi] - values[lo]) <= tolerance * (std::abs(values[lo]) + 1e-12)) break;
    std::fill(centroid.begin(), centroid.end(), 0.0);
    for (size_t i = 0; i <= d; ++i) {
      if (i == hi) continue;
      for (size_t j = 0; j < d; ++j) centroid[j] += simplex[i][j] / static_cast<double>(d);
    }
    for (size_t j = 0; j < d; ++j) trial[j] = centroid[j] + (centroid[j] - simplex[hi][j]);
    const double fr = eval(&trial);
    if (fr < values[lo]) {
      for (size_t j = 0; j < d; ++j) trial2[j] = centroid[j] + 2 * (centroid[j] - simplex[hi][j]);
      const double fe = eval(&trial2);
      if (fe < fr) {
        simplex[hi] = trial2, values[hi] = fe;
      } else {
        simplex[hi] = trial, values[hi] = fr;
      }
    } else if (fr < values[second]) {
      simplex[hi] = trial, values[hi] = fr;
    } else {
      const bool outside = fr < values[hi];
      for (size_t j = 0; j < d; ++j) {
        trial2[j] = outside ? centroid[j] + 0.5 * (trial[j] - centroid[j])
                            : centroid[j] + 0.5 * (simplex[hi][j] - centroid[j]);
      }
      const double fc = eval(&trial2);
      if (fc < std::min(fr, values[hi])) {
        simplex[hi] = trial2, values[hi] = fc;
      } else {
        // Shrink towards the best vertex.
        for (size_t i = 0; i <= d; ++i) {
          if (i == lo) continue;
          for (size_t j = 0; j < d; ++j) {
            simplex[i][j] = simplex[lo][j] + 0.5 * (simplex[i][j] - simplex[lo][j]);
          }
          values[i] = eval(&simplex[i]);
        }
      }
    }
  }
  const size_t lo = static_cast<size_t>(std::min_element(values.begin(), values.end()) - values.begin());
  best.x = simplex[lo];
  best.value = values[lo];
  return best;
}

double GoldenSection(const std::function<double(double)>& f, double a, double b, double tolerance) {
  const double r = (std::sqrt(5.0) - 1) / 2;
  double c = b - r * (b - a), d = a + r * (b - a);
  double fc = f(c), fd = f(d);
  while (b - a > tolerance) {
    if (fc < fd) {
      b = d, d = c, fd = fc;
      c = b - r * (b - a), fc = f(c);
    } else {
      a = c, c = d, fc = fd;
      d = a + r * (b - a), fd = f(d);
    }
  }
  return fc < fd ? c : d;
}

}  // namespace kedastral::models
