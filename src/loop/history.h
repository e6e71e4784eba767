#pragma once

#include <cstddef>
#include <vector>

#include "core/series.h"

namespace kedastral::loop {

// One workload's recent history on a fixed step grid: a ring of at most
// `capacity` points ending at the newest point merged so far.
//
// Merging accepts overlapping points (late samples overwrite), appends new ones,
// fills a gap of up to `max_gap_steps` missing steps by linear interpolation and,
// for a longer gap, starts over after it (older points would not be contiguous).
// Non-finite values (NaN, +-Inf) are treated as missing. Points off the grid are
// snapped down to it.
//
// Not thread-safe: owned by the scheduler's loop thread; Copy() hands a Series
// to the compute pool.
class History {
 public:
  History(Duration step, size_t capacity, size_t max_gap_steps = 5);

  void Merge(const Series& points);

  // The held points, oldest first.
  Series Copy() const;

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return buf_.size(); }
  Duration step() const { return step_; }
  // Time of the oldest point, and one step past the newest (== start when empty).
  TimePoint start() const { return start_; }
  TimePoint End() const { return start_ + step_ * static_cast<long>(size_); }

  void Clear() { size_ = 0; }

 private:
  double& At(size_t i) { return buf_[(head_ + i) % buf_.size()]; }
  double At(size_t i) const { return buf_[(head_ + i) % buf_.size()]; }
  void Append(double v);

  Duration step_;
  size_t max_gap_steps_;
  std::vector<double> buf_;  // ring storage, capacity points
  size_t head_ = 0;          // index in buf_ of the oldest point
  size_t size_ = 0;
  TimePoint start_{};
};

}  // namespace kedastral::loop
