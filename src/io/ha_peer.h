#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/snapshot_table.h"
#include "core/time.h"
#include "io/redis_client.h"
#include "loop/mirror.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace kedastral::io {

// Where a replica stands among its peers.
enum class HaRole {
  kStarting,     // Start() not done yet
  kStandalone,   // Redis unreachable: forecasts on its own, shares nothing, retries
  kFollower,     // a peer holds the lease: serves mirrored snapshots, does not forecast
  kLeader,       // holds the lease: forecasts and publishes
  kIndependent,  // mode: independent: forecasts and shares, no lease
};
std::string_view HaRoleName(HaRole role);  // "starting", "standalone", ...

// The Redis key names of one cluster (`cluster` from config). The cluster name sits in
// braces, a Redis Cluster hash tag, so every key of one installation maps to one slot
// and the scripts that touch two of them stay valid there.
struct HaKeys {
  explicit HaKeys(std::string_view cluster);
  std::string leader;    // kedastral:{c}:leader    lease value "<epoch>:<peer id>", PX lease TTL
  std::string epoch;     // kedastral:{c}:epoch     INCR on every takeover
  std::string channel;   // kedastral:{c}:snapshots pub/sub: every published snapshot
  std::string prefix;    // kedastral:{c}:snapshot:
  std::string Snapshot(std::string_view workload) const { return prefix + std::string(workload); }
};

// For logs, /readyz detail and metrics.
struct HaStatus {
  HaRole role = HaRole::kStarting;
  uint64_t epoch = 0;            // lease epoch held (leader) or last seen (others)
  std::string leader;            // peer id of the lease holder as last seen ("" unknown)
  bool connected = false;        // the command connection is up
  std::string last_error;        // newest Redis error ("" none yet)
  TimePoint last_error_at{};
  uint64_t snapshots_published = 0;  // written to Redis and announced
  uint64_t snapshots_received = 0;   // decoded from peers (pub/sub and loads)
  uint64_t snapshots_installed = 0;  // of those, newer than ours and installed
  uint64_t snapshots_rejected = 0;   // undecodable, older, fenced or unknown workload
  uint64_t takeovers = 0;            // times this replica acquired the lease
  std::map<std::string, uint64_t> redis_errors;  // by op: acquire, renew, release, publish, load
  // generated_at of the newest installed mirrored snapshot, per workload (for its age).
  std::map<std::string, TimePoint> mirrored_generated_at;
};

struct HaPeerOptions {
  RedisSpec spec;        // cluster, mode, lease_ttl, snapshot_ttl (address etc. via `redis`)
  RedisOptions redis;    // connection (see RedisOptionsFrom)
  std::string peer_id;   // unique per process; "" -> "<hostname>-<pid>-<random>"
  Duration renew_interval{0};  // lease renewal / acquisition attempts; 0 -> lease_ttl / 3
};

// One replica's part in high availability through Redis (docs/ha.md has the design):
//
// - leader lease `kedastral:{c}:leader` (SET NX PX inside a script that also INCRs the
//   fencing epoch), renewed every renew_interval by its holder only (Lua compare of the
//   stored "<epoch>:<id>"), released on Stop();
// - the leader's snapshots are written to `kedastral:{c}:snapshot:<workload>` (PX
//   snapshot_ttl) and PUBLISHed on `kedastral:{c}:snapshots`, in one script that
//   refuses when the lease is no longer the writer's (fenced write);
// - every snapshot received (pub/sub, or loaded at start and after each resubscribe)
//   that is newer than the one served is installed into the SnapshotTable: a lower
//   non-zero epoch than already seen for that workload is refused (a deposed leader),
//   otherwise the greater (epoch, generated_at, sequence) wins; when either side has
//   no epoch (a standalone or independent forecast), (generated_at, sequence) decides;
// - Redis unreachable at start: standalone (forecasts itself) and joins when Redis
//   returns; Redis lost later: the leader keeps leading until its lease would have
//   expired, then (like followers out of contact for a lease TTL) runs standalone.
//   Nothing in the SnapshotTable is ever removed by a Redis failure.
//
// @par Thread safety
// Start, Stop, Published and the destructor run on the io_context's (single) thread;
// ShouldForecast, IsLeader and status() may be called from any thread.
class HaPeer : public loop::Mirror {
 public:
  HaPeer(boost::asio::io_context& ioc, SnapshotTable& table, HaPeerOptions options);
  ~HaPeer() override;  // abandons (as Stop(false) without waiting)
  HaPeer(const HaPeer&) = delete;
  HaPeer& operator=(const HaPeer&) = delete;

  // Connects, loads the stored snapshot of every workload configured in the table
  // (warm restart), makes a first attempt at the lease, then calls `on_ready` once on
  // the io_context: whatever Redis does, within about two command timeouts. Start the
  // scheduler's first cycle from on_ready so a warm replica serves before forecasting.
  void Start(std::function<void()> on_ready = {});

  // Leaves: with `release_lease`, deletes the lease if held (bounded by the command
  // timeout) so a peer takes over at its next attempt; then closes the connections and
  // calls `on_stopped` on the io_context. Stop(false) behaves like a crash (for tests).
  void Stop(bool release_lease = true, std::function<void()> on_stopped = {});

  bool ShouldForecast() const override;
  void Published(std::shared_ptr<const Snapshot> snapshot) override;

  bool IsLeader() const;
  HaStatus status() const;
  const std::string& peer_id() const;
  const HaKeys& keys() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kedastral::io
