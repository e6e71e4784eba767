// Fuzzes the snapshot codec's decoder: arbitrary bytes as a snapshot read from Redis.
// What decodes must survive a round trip: encoding it again and decoding that gives
// the same snapshot; and the readers the servers run on every request (a follower
// serves what it decoded) must cope with it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

#include "core/config.h"
#include "core/snapshot.h"
#include "io/snapshot_codec.h"

namespace io = kedastral::io;

// protobuf logs every string field that is not UTF-8; at thousands of inputs a second
// that noise would slow the run and bury the reports.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = io::DecodeSnapshot(bytes);
  if (!decoded) return 0;
  if (decoded->snapshot == nullptr) __builtin_trap();
  const auto& s = *decoded->snapshot;
  if (s.workload.empty() || s.step.count() <= 0) __builtin_trap();
  for (const auto& q : s.quantiles) {
    if (q.values.size() != s.values.size()) __builtin_trap();
  }
  const std::string again = io::EncodeSnapshot(s, decoded->leader_epoch, decoded->publisher);
  auto twice = io::DecodeSnapshot(again);
  if (!twice) __builtin_trap();
  const auto& t = *twice->snapshot;
  if (t.workload != s.workload || t.step != s.step || t.start != s.start ||
      t.generated_at != s.generated_at || t.values.size() != s.values.size() ||
      t.replicas != s.replicas || t.sequence != s.sequence ||
      twice->leader_epoch != decoded->leader_epoch || twice->publisher != decoded->publisher) {
    __builtin_trap();
  }

  // What /forecast and GetMetrics compute from a snapshot, at a fixed request time.
  const kedastral::TimePoint now{std::chrono::milliseconds(1'800'000'000'000)};
  kedastral::WorkloadSpec spec;
  spec.name = s.workload;
  (void)kedastral::MaxReplicasInWindow(s, now, spec.lead_time);
  (void)kedastral::ReplicasAt(s, now);
  (void)kedastral::IsStale(&s, spec, now);
  (void)kedastral::ForecastAge(s, now);
  return 0;
}
