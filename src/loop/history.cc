#include "loop/history.h"

#include <algorithm>
#include <cmath>

namespace kedastral::loop {

History::History(Duration step, size_t capacity, size_t max_gap_steps)
    : step_(step.count() > 0 ? step : Duration(1000)),
      max_gap_steps_(max_gap_steps),
      buf_(std::max<size_t>(capacity, 1), 0.0) {}

void History::Append(double v) {
  if (size_ < buf_.size()) {
    At(size_) = v;
    ++size_;
    return;
  }
  // Full: the oldest point leaves the window.
  buf_[head_] = v;
  head_ = (head_ + 1) % buf_.size();
  start_ += step_;
}

void History::Merge(const Series& points) {
  for (size_t i = 0; i < points.size(); ++i) {
    const double v = points.values[i];
    if (!std::isfinite(v)) continue;
    TimePoint t = points.TimeAt(i);
    // Snap down to the grid of this history (or of the first point when empty).
    if (size_ > 0) {
      long off = (t - start_) / step_;
      if (t < start_ && (t - start_) % step_ != Duration::zero()) --off;  // floor for negatives
      t = start_ + step_ * off;
    }
    if (size_ == 0) {
      start_ = t;
      head_ = 0;
      Append(v);
      continue;
    }
    if (t < start_) continue;  // older than what we keep
    const size_t idx = static_cast<size_t>((t - start_) / step_);
    if (idx < size_) {
      At(idx) = v;  // a late sample overwrites
      continue;
    }
    const size_t missing = idx - size_;
    if (missing > max_gap_steps_) {
      // Too long a gap to bridge: keep only what comes after it.
      size_ = 0;
      head_ = 0;
      start_ = t;
      Append(v);
      continue;
    }
    const double last = At(size_ - 1);
    for (size_t k = 1; k <= missing; ++k) {
      Append(last + (v - last) * static_cast<double>(k) / static_cast<double>(missing + 1));
    }
    Append(v);
  }
}

Series History::Copy() const {
  Series s;
  s.start = start_;
  s.step = step_;
  s.values.resize(size_);
  for (size_t i = 0; i < size_; ++i) s.values[i] = At(i);
  return s;
}

}  // namespace kedastral::loop
