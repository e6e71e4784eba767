#pragma once

#include <memory>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace kedastral::io {

class HaPeer;
class Metrics;

// Exports an HaPeer's status as metrics, refreshed every second on the event loop, and
// as the "ha" component status shown by /readyz (role, epoch, last Redis error):
//   kedastral_ha_leader                                 gauge 1 while this replica holds the lease
//   kedastral_ha_role{role}                             gauge 1 for the current role (starting,
//                                                       standalone, follower, leader, independent)
//   kedastral_ha_lease_epoch                            gauge: epoch held or last seen
//   kedastral_ha_redis_connected                        gauge 0/1
//   kedastral_redis_errors_total{op}                    counter (acquire, renew, release, publish, load)
//   kedastral_ha_snapshots_total{event}                 counter (published, received, installed, rejected)
//   kedastral_ha_takeovers_total                        counter
//   kedastral_ha_mirrored_snapshot_age_seconds{workload} gauge: age of the newest mirrored snapshot
//
// @par Thread safety
// Start and Stop on the loop thread; the peer and metrics must outlive this object.
class HaMetrics {
 public:
  HaMetrics(boost::asio::io_context& ioc, Metrics& metrics, const HaPeer& peer);
  ~HaMetrics();
  HaMetrics(const HaMetrics&) = delete;
  HaMetrics& operator=(const HaMetrics&) = delete;

  void Start();
  void Stop();
  // One refresh (what the timer calls; public for tests).
  void Update();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kedastral::io
