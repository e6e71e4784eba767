#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/snapshot.h"

namespace kedastral {

// The state shared between the loop (writer) and the HTTP and gRPC servers (readers):
// one slot per workload holding its newest immutable Snapshot.
//
// @par Thread safety
// Readers (Get, List, version) never take a mutex and never block: they protect what
// they read with hazard pointers and leave with shared_ptr copies, so a snapshot they
// hold stays valid however often it is replaced. Writers (SetWorkloads, Publish,
// Subscribe) may be called from any thread; they serialise among themselves with a
// mutex readers never touch. Replaced index and slot contents are reclaimed once no
// reader's hazard pointer names them.
//
// The name index (workload name -> slot + spec) is immutable and replaced whole by
// SetWorkloads; slots of workloads that stay keep their snapshots.
class SnapshotTable {
 public:
  struct Entry {
    std::shared_ptr<const WorkloadSpec> spec;   // never null
    std::shared_ptr<const Snapshot> snapshot;   // null until the first publish
  };

  SnapshotTable();
  ~SnapshotTable();
  SnapshotTable(const SnapshotTable&) = delete;
  SnapshotTable& operator=(const SnapshotTable&) = delete;

  // Replaces the set of workloads (in this order). Workloads whose name stays keep
  // their snapshot; removed ones are dropped; new ones start without a snapshot.
  void SetWorkloads(const std::vector<std::shared_ptr<const WorkloadSpec>>& specs);

  // Installs `snapshot` as the newest one of snapshot->workload. Returns false (and
  // drops it) when no such workload is configured.
  bool Publish(std::shared_ptr<const Snapshot> snapshot);

  // The workload's spec and newest snapshot; nullopt when not configured. Lock-free.
  std::optional<Entry> Get(std::string_view name) const;

  // Every configured workload, in config order. Lock-free.
  std::vector<Entry> List() const;

  // Number of configured workloads. Lock-free.
  size_t size() const;

  // Increases on every SetWorkloads and Publish; lets pollers detect change cheaply.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // Listener called after every SetWorkloads and Publish, on the writer's thread,
  // with the workload's name ("" for SetWorkloads). It must not block nor call back
  // into a writer method. Returns an id for Unsubscribe.
  using Listener = std::function<void(std::string_view workload)>;
  int Subscribe(Listener listener);
  void Unsubscribe(int id);

 private:
  struct Slot;
  struct Index;
  struct Cell;

  void Notify(std::string_view workload);
  void Retire(const Index* index);
  void Retire(const Cell* cell);
  void Reclaim();  // requires writer_mu_

  std::atomic<const Index*> index_;
  std::atomic<uint64_t> version_{0};

  std::mutex writer_mu_;
  std::vector<const Index*> retired_indexes_;  // guarded by writer_mu_
  std::vector<const Cell*> retired_cells_;     // guarded by writer_mu_
  std::vector<std::pair<int, std::shared_ptr<Listener>>> listeners_;  // guarded by writer_mu_
  int next_listener_id_ = 1;                                          // guarded by writer_mu_
};

}  // namespace kedastral
