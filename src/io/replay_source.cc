#include "io/replay_source.h"

#include <algorithm>

#include "io/csv.h"

namespace kedastral::io {
namespace {

// Refuse requests that would allocate absurd amounts (a window of 10^7 points).
constexpr long kMaxPointsPerRead = 10'000'000;

long FloorDiv(long a, long b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<std::unique_ptr<ReplaySource>> ReplaySource::Open(const std::string& path,
                                                         std::function<TimePoint()> clock) {
  auto points = ReadCsvFile(path);
  if (!points) return Fail(points.error());
  auto series = ToRegularSeries(*points);
  if (!series) return Fail(Error::InvalidArgument(path + ": " + series.error().message));
  return std::make_unique<ReplaySource>(std::move(*series), std::move(clock));
}

ReplaySource::ReplaySource(Series series, std::function<TimePoint()> clock)
    : series_(std::move(series)), clock_(clock ? std::move(clock) : [] { return Now(); }) {}

double ReplaySource::ValueAt(TimePoint t) const {
  const long n = static_cast<long>(series_.size());
  const long k = FloorDiv((t - series_.start).count(), series_.step.count());
  return series_.values[static_cast<size_t>(((k % n) + n) % n)];
}

double ReplaySource::MeanOver(TimePoint t, Duration width) const {
  if (width <= series_.step) return ValueAt(t);
  double sum = 0;
  long count = 0;
  for (TimePoint u = t; u < t + width; u += series_.step, ++count) sum += ValueAt(u);
  return sum / static_cast<double>(count);
}

Result<Series> ReplaySource::Read(const loop::FetchRequest& req, TimePoint now) const {
  if (req.step.count() <= 0) return Fail(Error::InvalidArgument("step must be positive"));
  if (series_.empty()) return Fail(Error::Unavailable("replay series is empty"));
  // First grid point >= from, on the grid of multiples of step since the epoch.
  const long step = req.step.count();
  const long first = -FloorDiv(-req.from.time_since_epoch().count(), step);
  Series out;
  out.step = req.step;
  out.start = TimePoint(Duration(first * step));
  const TimePoint end = std::min(req.to, now + Duration(1));
  if (out.start >= end) return out;
  const long count = (end - out.start + req.step - Duration(1)) / req.step;
  if (count > kMaxPointsPerRead) {
    return Fail(Error::InvalidArgument("request spans " + std::to_string(count) + " points"));
  }
  out.values.reserve(static_cast<size_t>(count));
  for (long i = 0; i < count; ++i) out.values.push_back(MeanOver(out.TimeAt(i), req.step));
  return out;
}

boost::asio::awaitable<Result<Series>> ReplaySource::Fetch(loop::FetchRequest req) {
  co_return Read(req, clock_());
}

}  // namespace kedastral::io
