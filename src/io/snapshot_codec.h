#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/snapshot.h"

namespace kedastral::io {

// A Snapshot as peers exchange it through Redis (proto/snapshot.proto), plus the
// fencing data that travels with it but is not part of the served Snapshot.
struct MirroredSnapshot {
  std::shared_ptr<const Snapshot> snapshot;  // never null after a successful decode
  uint64_t leader_epoch = 0;                 // 0: published without a lease (independent mode)
  std::string publisher;                     // peer id of the replica that published it
};

// Limits DecodeSnapshot enforces; anything beyond them is a corrupt or hostile payload.
inline constexpr size_t kMaxSnapshotBytes = 32u << 20;  // encoded size
inline constexpr size_t kMaxSnapshotSteps = 1u << 20;   // forecast steps (and series points)
inline constexpr size_t kMaxSnapshotQuantiles = 16;
inline constexpr size_t kMaxSnapshotAccuracy = 16;
inline constexpr size_t kMaxSnapshotEarlierForecasts = 64;
inline constexpr int kMaxSnapshotReplicas = 1'000'000;
// Times (ms since the epoch) lie in [0, 9999-12-31T23:59:59.999Z] and steps are at most a
// year, so the servers' time arithmetic on a decoded snapshot cannot overflow.
inline constexpr int64_t kMaxSnapshotTimeMs = 253'402'300'799'999;
inline constexpr int64_t kMaxSnapshotStepMs = 366LL * 86'400'000;

// Serialises `snapshot` with the given fencing epoch and publisher id. Pure; never fails.
std::string EncodeSnapshot(const Snapshot& snapshot, uint64_t leader_epoch,
                           std::string_view publisher);

// Parses bytes written by EncodeSnapshot. Fails with kParse when the bytes are not a
// snapshot, exceed the limits above, have an empty workload, a non-positive step,
// times or steps outside the limits above,
// quantile or replica lengths that differ from the p50 length, quantile levels outside
// (0, 1) or not ascending, negative replicas, or non-finite forecast values
// (accuracy measures may be NaN: that is how they say "undefined").
Result<MirroredSnapshot> DecodeSnapshot(std::string_view bytes);

}  // namespace kedastral::io
