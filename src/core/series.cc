#include "core/series.h"

#include <cmath>
#include <cstdio>

namespace kedastral {

const std::vector<double>* Forecast::At(double level) const {
  if (std::abs(level - 0.5) < 1e-9) return &p50;
  for (const QuantileSeries& q : quantiles) {
    if (std::abs(q.level - level) < 1e-9) return &q.values;
  }
  return nullptr;
}

std::string QuantileName(double level) {
  // Percent with up to 3 decimals, trailing zeros dropped: 0.9 -> "p90", 0.995 -> "p99.5".
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", level * 100.0);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return "p" + s;
}

}  // namespace kedastral
