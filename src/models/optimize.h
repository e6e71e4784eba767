#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace kedastral::models {

// Result of a minimisation.
struct Minimum {
  std::vector<double> x;
  double value = 0;
  size_t evaluations = 0;
};

// Nelder-Mead simplex minimisation of `f` over box [lower, upper] (each
// coordinate clamped into the box before every evaluation), starting from `x0`
// with an initial simplex of relative size `scale` of the box width. Stops when
// the simplex's values span less than `tolerance` (relative to |best| + 1e-12) or
// after `max_evaluations`. Deterministic; `f` may return +inf for infeasible points.
Minimum NelderMead(const std::function<double(const std::vector<double>&)>& f,
                   std::vector<double> x0, const std::vector<double>& lower,
                   const std::vector<double>& upper, double scale, double tolerance,
                   size_t max_evaluations);

// Golden-section minimisation of a unimodal f on [a, b] to absolute width `tolerance`.
double GoldenSection(const std::function<double(double)>& f, double a, double b, double tolerance);

}  // namespace kedastral::models
