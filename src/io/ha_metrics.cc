#include "io/ha_metrics.h"

#include <map>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "core/time.h"
#include "io/ha_peer.h"
#include "io/metrics.h"

namespace kedastral::io {

namespace net = boost::asio;

struct HaMetrics::Impl {
  Impl(net::io_context& ioc, Metrics& m, prometheus::Registry& r, const HaPeer& p)
      : timer(ioc),
        peer(p),
        metrics(m),
        leader(prometheus::BuildGauge()
                   .Name("kedastral_ha_leader")
                   .Help("1 while this replica holds the leader lease")
                   .Register(r)
                   .Add({})),
        role(prometheus::BuildGauge()
                 .Name("kedastral_ha_role")
                 .Help("1 for this replica's current high-availability role")
                 .Register(r)),
        epoch(prometheus::BuildGauge()
                  .Name("kedastral_ha_lease_epoch")
                  .Help("Leader lease epoch held, or last seen")
                  .Register(r)
                  .Add({})),
        connected(prometheus::BuildGauge()
                      .Name("kedastral_ha_redis_connected")
                      .Help("1 while the Redis command connection is up")
                      .Register(r)
                      .Add({})),
        errors(prometheus::BuildCounter()
                   .Name("kedastral_redis_errors_total")
                   .Help("Failed Redis operations by operation")
                   .Register(r)),
        snapshots(prometheus::BuildCounter()
                      .Name("kedastral_ha_snapshots_total")
                      .Help("Snapshots shared with peers, by event")
                      .Register(r)),
        takeovers(prometheus::BuildCounter()
                      .Name("kedastral_ha_takeovers_total")
                      .Help("Times this replica acquired the leader lease")
                      .Register(r)
                      .Add({})),
        mirrored_age(prometheus::BuildGauge()
                         .Name("kedastral_ha_mirrored_snapshot_age_seconds")
                         .Help("Age of the newest snapshot mirrored from a peer, by workload")
                         .Register(r)) {}

  // Counters follow the peer's running totals by the difference since last time.
  void Follow(prometheus::Counter& c, uint64_t total, uint64_t& seen) {
    if (total > seen) c.Increment(static_cast<double>(total - seen));
    seen = total;
  }

  void Update() {
    const HaStatus s = peer.status();
    std::string detail = std::string(HaRoleName(s.role)) + ", epoch " + std::to_string(s.epoch) +
                         (s.connected ? ", redis connected" : ", redis not connected");
    if (!s.last_error.empty()) detail += ", last error: " + s.last_error;
    metrics.SetComponentStatus("ha", detail);
    leader.Set(s.role == HaRole::kLeader ? 1 : 0);
    for (HaRole r : {HaRole::kStarting, HaRole::kStandalone, HaRole::kFollower, HaRole::kLeader,
                     HaRole::kIndependent}) {
      role.Add({{"role", std::string(HaRoleName(r))}}).Set(r == s.role ? 1 : 0);
    }
    epoch.Set(static_cast<double>(s.epoch));
    connected.Set(s.connected ? 1 : 0);
    for (const auto& [op, n] : s.redis_errors) {
      Follow(errors.Add({{"op", op}}), n, seen_errors[op]);
    }
    Follow(snapshots.Add({{"event", "published"}}), s.snapshots_published, seen_published);
    Follow(snapshots.Add({{"event", "received"}}), s.snapshots_received, seen_received);
    Follow(snapshots.Add({{"event", "installed"}}), s.snapshots_installed, seen_installed);
    Follow(snapshots.Add({{"event", "rejected"}}), s.snapshots_rejected, seen_rejected);
    Follow(takeovers, s.takeovers, seen_takeovers);
    const TimePoint now = Now();
    // Workloads no longer mirrored lose their series.
    for (auto it = ages.begin(); it != ages.end();) {
      if (s.mirrored_generated_at.contains(it->first)) {
        ++it;
      } else {
        mirrored_age.Remove(it->second);
        it = ages.erase(it);
      }
    }
    for (const auto& [workload, at] : s.mirrored_generated_at) {
      auto [it, added] = ages.try_emplace(workload, nullptr);
      if (added) it->second = &mirrored_age.Add({{"workload", workload}});
      it->second->Set(std::chrono::duration<double>(now - at).count());
    }
  }

  void Arm(std::weak_ptr<Impl> self) {
    timer.expires_after(std::chrono::seconds(1));
    timer.async_wait([self](const boost::system::error_code& ec) {
      auto impl = self.lock();
      if (ec || !impl || impl->stopped) return;
      impl->Update();
      impl->Arm(self);
    });
  }

  net::steady_timer timer;
  const HaPeer& peer;
  Metrics& metrics;
  bool stopped = false;
  prometheus::Gauge& leader;
  prometheus::Family<prometheus::Gauge>& role;
  prometheus::Gauge& epoch;
  prometheus::Gauge& connected;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Counter>& snapshots;
  prometheus::Counter& takeovers;
  prometheus::Family<prometheus::Gauge>& mirrored_age;
  std::map<std::string, uint64_t> seen_errors;
  uint64_t seen_published = 0, seen_received = 0, seen_installed = 0, seen_rejected = 0;
  uint64_t seen_takeovers = 0;
  std::map<std::string, prometheus::Gauge*> ages;
};

HaMetrics::HaMetrics(net::io_context& ioc, Metrics& metrics, const HaPeer& peer)
    : impl_(std::make_shared<Impl>(ioc, metrics, metrics.registry(), peer)) {}

HaMetrics::~HaMetrics() { Stop(); }

void HaMetrics::Start() {
  impl_->Update();
  impl_->Arm(impl_);
}

void HaMetrics::Stop() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

void HaMetrics::Update() { impl_->Update(); }

}  // namespace kedastral::io
