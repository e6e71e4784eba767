// Fuzzes the CSV reader: arbitrary text as a `timestamp,value` file; points that parse
// are then put on a regular grid.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto points = kedastral::io::ParseCsv(text, "fuzz.csv", /*max_points=*/10'000);
  if (!points) return 0;
  if (points->times.size() != points->values.size()) __builtin_trap();
  for (size_t i = 0; i < points->values.size(); ++i) {
    if (!std::isfinite(points->values[i])) __builtin_trap();
    if (i > 0 && !(points->times[i - 1] < points->times[i])) __builtin_trap();
  }
  auto series = kedastral::io::ToRegularSeries(*points);
  if (series && series->step.count() <= 0) __builtin_trap();
  return 0;
}
