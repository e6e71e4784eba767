#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"

namespace kedastral::io {

// Points read from a `timestamp,value` CSV, in file order.
struct CsvPoints {
  std::vector<TimePoint> times;
  std::vector<double> values;
};

// Parses `timestamp,value` lines (an optional header line whose second field is not a
// number; blank lines and lines starting with '#' are skipped). Timestamps are RFC 3339
// or Unix seconds. Errors name `name:line`. Timestamps must increase strictly; values
// must be finite numbers. At most `max_points` points.
Result<CsvPoints> ParseCsv(std::string_view text, const std::string& name,
                           size_t max_points = 5'000'000);

// Reads and parses a file (kIo when it cannot be read).
Result<CsvPoints> ReadCsvFile(const std::string& path, size_t max_points = 5'000'000);

// Puts points on a regular grid whose step is the most common spacing between
// consecutive points. Points off the grid are snapped to the nearest grid time;
// missing grid points take the previous value. Needs at least two points. Fails with
// kInvalidArgument when the grid would have more than `max_points` points (a few
// points far apart at a short spacing would otherwise ask for gigabytes).
Result<Series> ToRegularSeries(const CsvPoints& points, size_t max_points = 5'000'000);

}  // namespace kedastral::io
