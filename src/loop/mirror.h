#pragma once

#include <memory>

#include "core/snapshot.h"

namespace kedastral::loop {

// What the scheduler needs from high availability (implemented by io::HaPeer, faked in
// tests). Peers share snapshots through it; only some of them forecast.
//
// @par Thread safety
// ShouldForecast() may be called from any thread; Published() on the io_context's
// thread only. Neither blocks nor fails.
class Mirror {
 public:
  virtual ~Mirror() = default;

  // True when this replica should fetch from its sources and forecast now: it holds the
  // lease, runs standalone (no Redis), or runs in independent mode. False while a peer
  // leads: the snapshots in the SnapshotTable are then kept fresh by the mirror.
  // Ask before every cycle; the answer changes on failover.
  virtual bool ShouldForecast() const = 0;

  // The scheduler has just published `snapshot` to its SnapshotTable; share it with the
  // peers when this replica may (leader or independent). Returns at once.
  virtual void Published(std::shared_ptr<const Snapshot> snapshot) = 0;
};

}  // namespace kedastral::loop
