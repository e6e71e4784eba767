#include "io/ha_peer.h"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "io/snapshot_codec.h"
#include "redis_server.h"
#include "test_util.h"

namespace kedastral::io {
namespace {
using namespace std::chrono_literals;
using testing::Await;
using testing::RedisServer;
using testing::RunUntil;

constexpr auto kLeaseTtl = 1000ms;
constexpr auto kRenew = 200ms;

std::shared_ptr<const Snapshot> MakeSnapshot(const std::string& workload, long generated_ms,
                                             uint64_t sequence, int replicas = 3) {
  auto s = std::make_shared<Snapshot>();
  s->workload = workload;
  s->generated_at = TimePoint(Duration(generated_ms));
  s->start = s->generated_at;
  s->values = {10, 20};
  s->quantiles = {{0.9, {12, 24}}};
  s->replicas = {replicas, replicas};
  s->sequence = sequence;
  s->model = "baseline";
  return s;
}

// One replica: its own SnapshotTable and HaPeer on the shared io_context.
struct Replica {
  SnapshotTable table;
  std::unique_ptr<HaPeer> peer;
  bool ready = false;

  Replica(boost::asio::io_context& ioc, unsigned short port, std::string id,
          HaMode mode = HaMode::kLeader) {
    std::vector<std::shared_ptr<const WorkloadSpec>> specs;
    for (const char* name : {"api", "worker"}) {
      auto spec = std::make_shared<WorkloadSpec>();
      spec->name = name;
      specs.push_back(spec);
    }
    table.SetWorkloads(specs);
    HaPeerOptions o;
    o.spec.cluster = "test";
    o.spec.mode = mode;
    o.spec.lease_ttl = kLeaseTtl;
    o.spec.snapshot_ttl = 60s;
    o.redis.port = port;
    o.redis.command_timeout = 250ms;
    o.redis.connect_timeout = 250ms;
    o.redis.backoff_initial = 20ms;
    o.redis.backoff_max = 200ms;
    o.peer_id = std::move(id);
    o.renew_interval = kRenew;
    peer = std::make_unique<HaPeer>(ioc, table, o);
  }
  void Start() { peer->Start([this] { ready = true; }); }
  HaRole role() const { return peer->status().role; }
  std::shared_ptr<const Snapshot> Served(const std::string& w) const {
    auto e = table.Get(w);
    return e ? e->snapshot : nullptr;
  }
};

class HaPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
    server_ = std::make_unique<RedisServer>();
    ASSERT_TRUE(server_->Start());
  }
  std::vector<std::unique_ptr<Replica>> StartReplicas(int n, HaMode mode = HaMode::kLeader) {
    std::vector<std::unique_ptr<Replica>> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(std::make_unique<Replica>(ioc_, server_->port(), "peer-" + std::to_string(i), mode));
      out.back()->Start();
    }
    EXPECT_TRUE(RunUntil(ioc_, [&] {
      for (auto& r : out) if (!r->ready) return false;
      return true;
    }));
    return out;
  }
  static int Leaders(const std::vector<std::unique_ptr<Replica>>& rs) {
    int n = 0;
    for (auto& r : rs) n += r->peer && r->peer->IsLeader();
    return n;
  }
  static Replica* Leader(const std::vector<std::unique_ptr<Replica>>& rs) {
    for (auto& r : rs) if (r->peer && r->peer->IsLeader()) return r.get();
    return nullptr;
  }

  boost::asio::io_context ioc_;
  std::unique_ptr<RedisServer> server_;
};

TEST_F(HaPeerTest, ExactlyOneOfThreeLeads) {
  auto rs = StartReplicas(3);
  // Let several renewal rounds pass: the count must stay one throughout.
  const auto until = std::chrono::steady_clock::now() + 3 * kRenew;
  int max_leaders = 0;
  RunUntil(ioc_, [&] {
    max_leaders = std::max(max_leaders, Leaders(rs));
    return std::chrono::steady_clock::now() >= until;
  });
  EXPECT_EQ(Leaders(rs), 1);
  EXPECT_EQ(max_leaders, 1);
  int followers = 0;
  for (auto& r : rs) {
    followers += r->role() == HaRole::kFollower;
    EXPECT_EQ(r->peer->ShouldForecast(), r->peer->IsLeader());
  }
  EXPECT_EQ(followers, 2);
  EXPECT_GE(Leader(rs)->peer->status().epoch, 1u);
}

TEST_F(HaPeerTest, FollowersInstallTheLeadersSnapshots) {
  auto rs = StartReplicas(3);
  Replica* leader = Leader(rs);
  ASSERT_NE(leader, nullptr);
  auto snap = MakeSnapshot("api", 1'000'000, 1, 7);
  leader->table.Publish(snap);
  leader->peer->Published(snap);
  ASSERT_TRUE(RunUntil(ioc_, [&] {
    for (auto& r : rs) {
      auto s = r->Served("api");
      if (!s || s->generated_at != snap->generated_at) return false;
    }
    return true;
  }));
  for (auto& r : rs) {
    if (r.get() == leader) continue;
    EXPECT_EQ(r->Served("api")->replicas, snap->replicas);
    EXPECT_EQ(r->peer->status().snapshots_installed, 1u);
  }
  EXPECT_EQ(leader->peer->status().snapshots_published, 1u);
}

TEST_F(HaPeerTest, AnotherTakesOverWithinTheLeaseAfterTheLeaderCrashes) {
  auto rs = StartReplicas(3);
  Replica* old = Leader(rs);
  ASSERT_NE(old, nullptr);
  const uint64_t old_epoch = old->peer->status().epoch;
  old->peer.reset();  // gone without releasing the lease
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunUntil(ioc_, [&] { return Leaders(rs) == 1; }, 3s));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LE(took, kLeaseTtl + kRenew + 200ms);
  EXPECT_GT(Leader(rs)->peer->status().epoch, old_epoch);
}

TEST_F(HaPeerTest, GracefulStopHandsOverWithinOneRenewal) {
  auto rs = StartReplicas(2);
  Replica* old = Leader(rs);
  ASSERT_NE(old, nullptr);
  bool stopped = false;
  old->peer->Stop(true, [&] { stopped = true; });
  ASSERT_TRUE(RunUntil(ioc_, [&] { return stopped; }));
  old->peer.reset();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunUntil(ioc_, [&] { return Leaders(rs) == 1; }, 3s));
  EXPECT_LE(std::chrono::steady_clock::now() - start, kRenew + 150ms);
}

TEST_F(HaPeerTest, DeposedLeadersSnapshotsAreRefused) {
  RedisClient client(ioc_, RedisOptions{.port = server_->port()});
  ASSERT_TRUE(*Await(ioc_, client.Command("SET", HaKeys("test").epoch, "10")));
  auto rs = StartReplicas(2);
  Replica* leader = Leader(rs);
  ASSERT_NE(leader, nullptr);
  Replica* follower = rs[0].get() == leader ? rs[1].get() : rs[0].get();
  ASSERT_EQ(leader->peer->status().epoch, 11u);
  auto snap = MakeSnapshot("api", 2'000'000, 5);
  leader->peer->Published(snap);
  ASSERT_TRUE(RunUntil(ioc_, [&] { return follower->Served("api") != nullptr; }));
  // A deposed leader (epoch 10) announces a newer forecast: refused.
  const auto zombie = EncodeSnapshot(*MakeSnapshot("api", 3'000'000, 9, 99), 10, "zombie");
  const auto rejected = follower->peer->status().snapshots_rejected;
  auto sent = Await(ioc_, client.Command("PUBLISH", leader->peer->keys().channel, zombie));
  ASSERT_TRUE(sent && *sent);
  ASSERT_TRUE(RunUntil(ioc_, [&] { return follower->peer->status().snapshots_rejected > rejected; }));
  EXPECT_EQ(follower->Served("api")->generated_at, snap->generated_at);
}

TEST_F(HaPeerTest, LeaderWhoseLeaseWasTakenCannotWriteAndStepsDown) {
  auto rs = StartReplicas(1);
  Replica* leader = Leader(rs);
  ASSERT_NE(leader, nullptr);
  RedisClient client(ioc_, RedisOptions{.port = server_->port()});
  const auto& keys = leader->peer->keys();
  ASSERT_TRUE(*Await(ioc_, client.Command("SET", keys.leader, "999:intruder", "PX", "60000")));
  leader->peer->Published(MakeSnapshot("api", 4'000'000, 1));
  ASSERT_TRUE(RunUntil(ioc_, [&] { return leader->role() == HaRole::kFollower; }));
  auto stored = Await(ioc_, client.Command("GET", keys.Snapshot("api")));
  ASSERT_TRUE(stored && *stored);
  EXPECT_TRUE((*stored)->is_nil());
  EXPECT_FALSE(leader->peer->ShouldForecast());
}

TEST_F(HaPeerTest, StandaloneWhileRedisIsAbsentThenJoins) {
  const unsigned short port = server_->port();
  server_->Stop();
  Replica r(ioc_, port, "lonely");
  r.Start();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunUntil(ioc_, [&] { return r.ready; }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(r.role(), HaRole::kStandalone);
  EXPECT_TRUE(r.peer->ShouldForecast());
  EXPECT_FALSE(r.peer->status().last_error.empty());
  ASSERT_TRUE(server_->Start());
  ASSERT_TRUE(RunUntil(ioc_, [&] { return r.role() == HaRole::kLeader; }));
  EXPECT_TRUE(r.peer->status().connected);
}

TEST_F(HaPeerTest, WarmRestartServesStoredSnapshotsBeforeItsFirstForecast) {
  auto rs = StartReplicas(1);
  Replica* leader = Leader(rs);
  ASSERT_NE(leader, nullptr);
  leader->peer->Published(MakeSnapshot("api", 5'000'000, 1, 4));
  leader->peer->Published(MakeSnapshot("worker", 5'000'000, 1, 6));
  ASSERT_TRUE(RunUntil(ioc_, [&] { return leader->peer->status().snapshots_published == 2; }));

  Replica fresh(ioc_, server_->port(), "fresh");
  fresh.Start();
  ASSERT_TRUE(RunUntil(ioc_, [&] { return fresh.ready; }));
  ASSERT_NE(fresh.Served("api"), nullptr);  // already there when on_ready ran
  ASSERT_NE(fresh.Served("worker"), nullptr);
  EXPECT_EQ(fresh.Served("worker")->replicas, (std::vector<int>{6, 6}));
  EXPECT_EQ(fresh.role(), HaRole::kFollower);
}

TEST_F(HaPeerTest, IndependentPeersAllForecastAndShare) {
  auto rs = StartReplicas(2, HaMode::kIndependent);
  for (auto& r : rs) {
    EXPECT_EQ(r->role(), HaRole::kIndependent);
    EXPECT_TRUE(r->peer->ShouldForecast());
  }
  rs[0]->peer->Published(MakeSnapshot("api", 6'000'000, 1));
  ASSERT_TRUE(RunUntil(ioc_, [&] { return rs[1]->Served("api") != nullptr; }));
  EXPECT_EQ(rs[1]->Served("api")->generated_at, TimePoint(Duration(6'000'000)));
}

TEST_F(HaPeerTest, AfterRedisRestartOneLeadsAndFollowersReceiveAgain) {
  auto rs = StartReplicas(3);
  server_->Stop();
  ASSERT_TRUE(server_->Start());  // empty: the lease and the epoch counter are gone
  RedisClient client(ioc_, RedisOptions{.port = server_->port()});
  // Settled: the new Redis holds a lease, its holder is the only leader, two follow.
  ASSERT_TRUE(RunUntil(ioc_, [&] {
    auto lease = Await(ioc_, client.Command("GET", rs[0]->peer->keys().leader), 500ms);
    if (!lease || !*lease || (*lease)->is_nil()) return false;
    Replica* leader = Leader(rs);
    int followers = 0;
    for (auto& r : rs) followers += r->role() == HaRole::kFollower;
    return leader && Leaders(rs) == 1 && followers == 2 &&
           (*lease)->str.ends_with(":" + leader->peer->peer_id());
  }, 5s));
  Replica* leader = Leader(rs);
  auto snap = MakeSnapshot("worker", 7'000'000, 1);
  leader->table.Publish(snap);
  leader->peer->Published(snap);
  ASSERT_TRUE(RunUntil(ioc_, [&] {
    for (auto& r : rs) if (!r->Served("worker")) return false;
    return true;
  }));
}

}  // namespace
}  // namespace kedastral::io
