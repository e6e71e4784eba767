#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "core/series.h"

namespace kedastral::loop {

// A range of one workload's history to fetch: points on the `step` grid with
// from <= t < to.
struct FetchRequest {
  std::string workload;
  std::string query;
  TimePoint from{};
  TimePoint to{};
  Duration step{60000};
};

// Where history comes from (implemented in io/: Prometheus, replay). Owned by the
// app; the scheduler only borrows it.
//
// @par Executor
// Fetch is started and resumed on the loop's io_context; implementations never block it.
class Source {
 public:
  virtual ~Source() = default;

  // The points of req.query on req's grid. The result's start is the first grid point
  // >= req.from that the source has (it may hold fewer points than asked for, or none);
  // a step without a sample is NaN (History fills or masks it; no NaN reaches a model). Errors: kUnavailable/kTimeout (retry later), kInvalidArgument
  // (the query is wrong), kParse (the source answered nonsense).
  virtual boost::asio::awaitable<Result<Series>> Fetch(FetchRequest req) = 0;
};

}  // namespace kedastral::loop
