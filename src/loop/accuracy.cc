#include "loop/accuracy.h"

#include <algorithm>
#include <cmath>

namespace kedastral::loop {
namespace {

double Seconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

// The forecast's 0.9 quantile, or nullptr. Planners may use p95 or p99 too, but
// coverage is reported for p90 only, so its meaning does not depend on the config.
const std::vector<double>* P90(const Snapshot& s) {
  for (const QuantileSeries& q : s.quantiles) {
    if (std::fabs(q.level - 0.9) < 1e-9) return &q.values;
  }
  return nullptr;
}

}  // namespace

AccuracyTracker::AccuracyTracker(AccuracyOptions options) : options_(std::move(options)) {
  for (Duration w : options_.windows) max_window_ = std::max(max_window_, w);
}

void AccuracyTracker::RecordForecast(const Snapshot& s, double target_per_pod) {
  if (s.step.count() <= 0 || s.values.empty()) return;
  const std::vector<double>* p90 = P90(s);
  for (size_t k = 0; k < s.values.size(); ++k) {
    const TimePoint at = s.start + s.step * static_cast<long>(k);
    // A time already scored keeps its score: a forecast made after the fact is no
    // forecast.
    if (at <= newest_scored_) continue;
    Pending p;
    p.p50 = s.values[k];
    if (p90 != nullptr && k < p90->size()) p.p90 = (*p90)[k];
    if (k < s.replicas.size() && s.replicas[k] >= 0) {
      p.capacity = static_cast<double>(s.replicas[k]) * target_per_pod;
    }
    p.step = s.step;
    pending_[at] = p;
  }

  Duration spacing = options_.earlier_spacing;
  if (spacing.count() <= 0) {
    spacing = std::max(s.step, s.step * static_cast<long>(s.values.size()) / 3);
  }
  if (options_.max_earlier == 0) return;
  if (earlier_.empty() || s.generated_at - earlier_.back().generated_at >= spacing) {
    PastForecast f;
    f.generated_at = s.generated_at;
    f.p50.start = s.start;
    f.p50.step = s.step;
    f.p50.values = s.values;
    earlier_.push_back(std::move(f));
    if (earlier_.size() > options_.max_earlier) earlier_.erase(earlier_.begin());
  }
}

void AccuracyTracker::Observe(const Series& history, const std::vector<bool>& masked) {
  if (history.empty() || history.step.count() <= 0) return;
  scale_ = NaiveScale(history);
  const TimePoint end = history.End();
  for (auto it = pending_.begin(); it != pending_.end() && it->first < end;) {
    const TimePoint at = it->first;
    const Pending& p = it->second;
    // Off the history's grid or before its start: this value will never be known.
    const Duration since = at - history.start;
    if (at < history.start || since % history.step != Duration::zero()) {
      it = pending_.erase(it);
      continue;
    }
    const size_t i = static_cast<size_t>(since / history.step);
    // A masked step's value was bridged, not observed: scoring it would grade the
    // forecast against a guess.
    if (i < masked.size() && masked[i]) {
      it = pending_.erase(it);
      continue;
    }
    const double actual = history.values[i];
    Scored sc;
    sc.at = at;
    sc.abs_error = std::fabs(actual - p.p50);
    if (actual != 0) sc.ape = 100.0 * sc.abs_error / std::fabs(actual);
    if (!std::isnan(p.p90)) sc.covered = actual <= p.p90 ? 1 : 0;
    if (!std::isnan(p.capacity) && actual > p.capacity) sc.under_seconds = Seconds(p.step);
    underprovision_total_ += sc.under_seconds;
    newest_scored_ = std::max(newest_scored_, at);
    scored_.push_back(sc);
    it = pending_.erase(it);
  }
  while (!scored_.empty() && scored_.front().at < newest_scored_ - max_window_) {
    scored_.pop_front();
  }
}

std::vector<AccuracyStats> AccuracyTracker::Stats(TimePoint now) const {
  std::vector<AccuracyStats> out;
  out.reserve(options_.windows.size());
  for (Duration w : options_.windows) {
    AccuracyStats st;
    st.window = w;
    double abs_sum = 0, ape_sum = 0;
    size_t ape_n = 0, cov_n = 0, covered = 0;
    for (auto it = scored_.rbegin(); it != scored_.rend() && it->at >= now - w; ++it) {
      if (it->at > now) continue;
      ++st.points;
      abs_sum += it->abs_error;
      if (!std::isnan(it->ape)) {
        ape_sum += it->ape;
        ++ape_n;
      }
      if (it->covered >= 0) {
        ++cov_n;
        covered += static_cast<size_t>(it->covered);
      }
      st.underprovision_seconds += it->under_seconds;
    }
    if (st.points > 0 && scale_ > 0) {
      st.mase = abs_sum / static_cast<double>(st.points) / scale_;
    }
    if (ape_n > 0) st.mape = ape_sum / static_cast<double>(ape_n);
    if (cov_n > 0) st.p90_coverage = static_cast<double>(covered) / static_cast<double>(cov_n);
    out.push_back(st);
  }
  return out;
}

void AccuracyTracker::Fill(Snapshot& s, const Series& history, TimePoint now) const {
  s.accuracy = Stats(now);
  s.mase_scale = kMaseScale;
  s.underprovision_seconds_total = underprovision_total_;
  s.actuals = RecentActuals(history, options_.actuals_span, options_.max_actual_points);
  s.earlier_forecasts.clear();
  for (const PastForecast& f : earlier_) {
    if (f.generated_at < s.generated_at) s.earlier_forecasts.push_back(f);
  }
}

double NaiveScale(const Series& history) {
  const std::vector<double>& y = history.values;
  if (y.size() < 2) return AccuracyStats::kNaN;
  double sum = 0;
  for (size_t i = 1; i < y.size(); ++i) sum += std::fabs(y[i] - y[i - 1]);
  return sum / static_cast<double>(y.size() - 1);
}

Series RecentActuals(const Series& history, Duration span, size_t max_points) {
  Series out;
  out.step = history.step;
  if (history.empty() || history.step.count() <= 0 || max_points == 0) return out;
  const size_t want = static_cast<size_t>(std::max<long>(1, span / history.step));
  const size_t n = std::min(want, history.size());
  const size_t first = history.size() - n;
  const size_t group = (n + max_points - 1) / max_points;
  out.start = history.TimeAt(first);
  out.step = history.step * static_cast<long>(group);
  out.values.reserve((n + group - 1) / group);
  for (size_t i = first; i < history.size(); i += group) {
    const size_t last = std::min(history.size(), i + group);
    double sum = 0;
    for (size_t j = i; j < last; ++j) sum += history.values[j];
    out.values.push_back(sum / static_cast<double>(last - i));
  }
  return out;
}

}  // namespace kedastral::loop
