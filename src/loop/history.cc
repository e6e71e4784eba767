#include "loop/history.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kedastral::loop {
namespace {

constexpr double kMasked = std::numeric_limits<double>::quiet_NaN();

}  // namespace

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

size_t History::FirstObserved() const {
  size_t i = 0;
  while (i < size_ && std::isnan(At(i))) ++i;
  return i;
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
      At(idx) = v;  // a late sample overwrites, also a masked step
      continue;
    }
    const size_t missing = idx - size_;
    if (missing >= buf_.size()) {
      // The gap is longer than the window: nothing held before it would remain anyway.
      size_ = 0;
      head_ = 0;
      start_ = t;
      Append(v);
      continue;
    }
    // The newest held point is always observed: masked steps are only ever appended
    // just before an observed one.
    const double last = At(size_ - 1);
    for (size_t k = 1; k <= missing; ++k) {
      if (missing > max_gap_steps_) {
        Append(kMasked);
      } else {
        Append(last + (v - last) * static_cast<double>(k) / static_cast<double>(missing + 1));
      }
    }
    Append(v);
  }
}

Series History::Copy() const {
  Series s;
  s.step = step_;
  const size_t first = FirstObserved();
  s.start = start_ + step_ * static_cast<long>(first);
  // Two contiguous runs of the ring rather than At(i) per point: the modulo in At()
  // cost more than the copy itself (a 7-day window is 10,080 points every cycle).
  const size_t begin = (head_ + first) % buf_.size();
  const size_t n = size_ - first;
  const size_t run = std::min(n, buf_.size() - begin);
  s.values.reserve(n);
  s.values.assign(buf_.begin() + static_cast<long>(begin), buf_.begin() + static_cast<long>(begin + run));
  s.values.insert(s.values.end(), buf_.begin(), buf_.begin() + static_cast<long>(n - run));
  // Bridge each masked run between the observed points around it; both exist because
  // the run neither starts the copy nor ends the ring.
  for (size_t i = 0; i < s.values.size();) {
    if (!std::isnan(s.values[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.values.size() && std::isnan(s.values[j])) ++j;
    const double left = s.values[i - 1];
    const double right = j < s.values.size() ? s.values[j] : left;
    const double span = static_cast<double>(j - i + 1);
    for (size_t k = i; k < j; ++k) {
      s.values[k] = left + (right - left) * static_cast<double>(k - i + 1) / span;
    }
    i = j;
  }
  return s;
}

std::vector<bool> History::Mask() const {
  const size_t first = FirstObserved();
  // Same two runs as Copy().
  const size_t begin = (head_ + first) % buf_.size();
  const size_t n = size_ - first;
  const size_t run = std::min(n, buf_.size() - begin);
  std::vector<bool> mask(n);
  for (size_t k = 0; k < run; ++k) mask[k] = std::isnan(buf_[begin + k]);
  for (size_t k = run; k < n; ++k) mask[k] = std::isnan(buf_[k - run]);
  return mask;
}

size_t History::masked() const {
  size_t n = 0;
  for (size_t i = 0; i < size_; ++i) n += std::isnan(At(i)) ? 1 : 0;
  return n;
}

}  // namespace kedastral::loop
