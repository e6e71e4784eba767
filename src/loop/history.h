#pragma once

#include <cstddef>
#include <vector>

#include "core/series.h"

namespace kedastral::loop {

// One workload's recent history on a fixed step grid: a ring of at most
// `capacity` points ending at the newest point merged so far.
//
// Merging accepts overlapping points (late samples overwrite, also into a gap),
// appends new ones, fills a gap of up to `max_gap_steps` missing steps by linear
// interpolation and masks a longer one: its steps are kept as missing, so an outage
// never throws away the points before it (they leave only by sliding out of the
// window). Non-finite values (NaN, +-Inf) are treated as missing. Points off the grid
// are snapped down to it.
//
// Copy() never returns a non-finite value: masked steps are bridged linearly between
// the observed points around them, and a masked stretch at the oldest end is left
// out. Mask() says which of Copy()'s points were masked, so a model or a page can
// discount them.
//
// Not thread-safe: owned by the scheduler's loop thread; Copy() hands a Series
// to the compute pool.
class History {
 public:
  History(Duration step, size_t capacity, size_t max_gap_steps = 5);

  void Merge(const Series& points);

  // The held points, oldest first, all finite (see the class comment); starts at the
  // oldest observed point.
  Series Copy() const;

  // For each point of Copy(): true when it stands for a masked (unobserved) step.
  std::vector<bool> Mask() const;

  // Masked steps currently held (including any at the oldest end that Copy() skips).
  size_t masked() const;

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
  // Index of the oldest observed point (size_ when there is none).
  size_t FirstObserved() const;

  Duration step_;
  size_t max_gap_steps_;
  std::vector<double> buf_;  // ring storage, capacity points; NaN marks a masked step
  size_t head_ = 0;          // index in buf_ of the oldest point
  size_t size_ = 0;
  TimePoint start_{};
};

}  // namespace kedastral::loop
