#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/snapshot_table.h"
#include "core/time.h"
#include "loop/mirror.h"
#include "loop/probe.h"
#include "loop/source.h"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace kedastral::loop {

struct SchedulerOptions {
  // Wall clock; tests replace it.
  std::function<TimePoint()> clock = [] { return Now(); };
  // Each wait between cycles is interval * (1 +- jitter), so workloads sharing an
  // interval spread out instead of hitting the source together.
  double jitter = 0.1;
  // The first cycle of a new workload starts after a random delay up to this.
  Duration first_delay_max{2000};
  // A failed cycle is retried after min(interval, retry_after) rather than a full interval.
  Duration retry_after{5000};
  // Seed for jitter (0: random).
  unsigned seed = 0;
  // High availability (may be null): cycles run only while it says this replica should
  // forecast, and every published forecast is handed to it. Not owned; must outlive
  // the scheduler's coroutines.
  Mirror* mirror = nullptr;
};

// Refreshes every workload on its own cadence:
//
//   timer -> fetch new points (loop thread) -> fit + forecast + plan (compute pool)
//         -> publish the Snapshot (SnapshotTable) -> timer ...
//
// One coroutine per workload runs on the io_context; the heavy part is posted to the
// thread pool and the coroutine resumes on the loop when it is done. A workload's
// failure is published as an error on its snapshot (keeping its last forecast),
// logged, counted, and never affects the others.
//
// @par Thread safety
// Apply() and Stop() must be called on the io_context's thread (or before it runs).
// The sources must outlive the Scheduler or the next Apply().
class Scheduler {
 public:
  Scheduler(boost::asio::io_context& ioc, boost::asio::thread_pool& pool, SnapshotTable& table,
            Probe& probe, SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Makes the running set of workloads equal `specs`: starts new ones, stops removed
  // ones, and updates changed ones, keeping their history when step, source and
  // query are unchanged. Also installs the specs in the SnapshotTable.
  // Workloads whose source is missing from `sources` get an error snapshot.
  void Apply(const std::vector<std::shared_ptr<const WorkloadSpec>>& specs,
             const std::map<std::string, Source*>& sources);

  // Stops every workload: waits between cycles end at once; a fetch or compute task
  // in flight finishes (sources bound fetches with their own timeouts) but its result
  // is not published. Idempotent.
  void Stop();

  // Number of workload coroutines still running (0 some time after Stop()).
  size_t running() const;

 private:
  struct Workload;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kedastral::loop
