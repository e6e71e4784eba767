#pragma once

#include <cstddef>
#include <string_view>

#include "core/config.h"
#include "core/result.h"
#include "core/series.h"

namespace kedastral::io {

// How the series of one query_range answer are folded into one.
struct FoldOptions {
  Aggregate aggregate = Aggregate::kSum;
  // More than one series in the answer is an error instead of being folded.
  bool expect_single_series = false;
};

// One query_range answer laid on the grid that was asked for.
struct QueryRangeData {
  // start and step as asked; values has `points` entries, one per grid step: the
  // folded value, or NaN where no series had a finite sample (History fills or masks
  // those).
  Series series;
  size_t series_count = 0;  // series in the answer
  size_t samples = 0;       // samples read, over all series
  size_t non_finite = 0;    // samples that were NaN or +-Inf (dropped)
  size_t off_grid = 0;      // samples outside the grid asked for, or between its steps (dropped)
};

// Parses the JSON body of a Prometheus `GET /api/v1/query_range` (also Thanos,
// VictoriaMetrics, Mimir) with Boost.JSON, for the grid start, start + step, ...,
// start + (points - 1) * step. Pure: no I/O, no logging.
//
// Errors:
//   - `"status": "error"` answers become an Error whose message carries errorType and
//     error verbatim ("prometheus error bad_data: ..."); code kInvalidArgument for
//     bad_data, kTimeout for timeout, kUnavailable otherwise.
//   - kInvalidArgument: several series while opts.expect_single_series, or a result
//     type other than matrix.
//   - kParse: anything that is not a well-formed query_range answer.
Result<QueryRangeData> ParseQueryRange(std::string_view body, TimePoint start, Duration step,
                                       size_t points, const FoldOptions& opts);

// The Prometheus error carried by a body, if it is a `"status": "error"` answer (as
// sent with HTTP 400, 422 and 503): that error; success for any other body.
// Lets a caller surface the server's own words for a non-200 answer.
Result<void> ParsePrometheusError(std::string_view body);

}  // namespace kedastral::io
