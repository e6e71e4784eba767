#include "core/snapshot.h"

#include <algorithm>

#include "core/config.h"

namespace kedastral {

int MaxReplicasInWindow(const Snapshot& s, TimePoint from, Duration lead) {
  if (s.replicas.empty() || s.step.count() <= 0) return -1;
  const long n = static_cast<long>(s.replicas.size());
  // First step whose interval [start + k*step, start + (k+1)*step) ends after `from`.
  long first = 0;
  if (from > s.start) first = (from - s.start) / s.step;
  // Last step that begins at or before from + lead. The sum saturates: lead may come
  // from KEDA trigger metadata (leadTime), where any duration up to int64 ms parses.
  const TimePoint to = from > TimePoint{} && lead > TimePoint::max() - from ? TimePoint::max()
                                                                           : from + lead;
  if (to < s.start) return -1;
  long last = std::min(n - 1, static_cast<long>((to - s.start) / s.step));
  if (first >= n || first > last) return -1;
  int best = s.replicas[first];
  for (long k = first + 1; k <= last; ++k) best = std::max(best, s.replicas[k]);
  return best;
}

int ReplicasAt(const Snapshot& s, TimePoint at) {
  if (s.replicas.empty() || s.step.count() <= 0 || at < s.start) return -1;
  const long k = (at - s.start) / s.step;
  if (k >= static_cast<long>(s.replicas.size())) return -1;
  return s.replicas[k];
}

bool IsStale(const Snapshot* s, const WorkloadSpec& spec, TimePoint now) {
  if (s == nullptr || !s->has_forecast()) return true;
  return now - s->generated_at > spec.stale_after;
}

Duration ForecastAge(const Snapshot& s, TimePoint now) {
  return std::max(Duration::zero(), now - s.generated_at);
}

}  // namespace kedastral
