#pragma once

#include <chrono>
#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <vector>

#include "core/series.h"

namespace kedastral::models::synth {

// 2024-01-01T00:00:00Z: a midnight, so index 0 is the start of a UTC day.
inline constexpr TimePoint kMidnight{std::chrono::seconds(1704067200)};

// values[i] = f(i) on a grid of `step` starting at kMidnight.
inline Series MakeSeries(Duration step, size_t n, const std::function<double(size_t)>& f) {
  Series s;
  s.start = kMidnight;
  s.step = step;
  s.values.reserve(n);
  for (size_t i = 0; i < n; ++i) s.values.push_back(f(i));
  return s;
}

// A daily sine around `level` (points_per_day points per cycle), no noise.
inline double DailySine(size_t i, size_t points_per_day, double level, double amplitude) {
  return level + amplitude * std::sin(2 * std::numbers::pi * static_cast<double>(i) /
                                      static_cast<double>(points_per_day));
}

// Seeded Gaussian noise, the same for every run.
class Noise {
 public:
  Noise(double sigma, unsigned seed) : rng_(seed), dist_(0.0, sigma) {}
  double operator()() { return dist_(rng_); }

 private:
  std::mt19937 rng_;
  std::normal_distribution<double> dist_;
};

// The first n points of s.
inline Series Prefix(const Series& s, size_t n) {
  Series p = s;
  p.values.resize(n);
  return p;
}

}  // namespace kedastral::models::synth
