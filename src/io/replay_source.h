#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/series.h"
#include "loop/source.h"

namespace kedastral::io {

// A Source that replays a recorded series as if it were live: the series is laid
// onto wall-clock time in a loop, value(t) = series[((t - series.start) / step) mod n],
// so a series of whole days keeps its time-of-day pattern. Points after the clock's
// "now" are never returned (the future is not known yet). The query is ignored.
//
// Immutable after construction; Fetch may be called from any coroutine.
class ReplaySource : public loop::Source {
 public:
  // Reads a `timestamp,value` CSV (see io/csv.h). Errors name the file.
  static Result<std::unique_ptr<ReplaySource>> Open(const std::string& path,
                                                    std::function<TimePoint()> clock = {});

  ReplaySource(Series series, std::function<TimePoint()> clock = {});

  boost::asio::awaitable<Result<Series>> Fetch(loop::FetchRequest req) override;

  // The synchronous core of Fetch: points on req's grid with from <= t < to and t <= now.
  // A request step coarser than the series averages the points in each step;
  // a finer one repeats the containing point.
  Result<Series> Read(const loop::FetchRequest& req, TimePoint now) const;

  const Series& series() const { return series_; }

 private:
  double ValueAt(TimePoint t) const;
  double MeanOver(TimePoint t, Duration width) const;

  Series series_;
  std::function<TimePoint()> clock_;
};

}  // namespace kedastral::io
