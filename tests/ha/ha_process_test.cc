// High availability with real processes: two or three `kedastral serve` replicas share
// one real redis-server; KEDA's view (GetMetrics through a real gRPC client) must not
// see a failed call when the leader is killed.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "externalscaler.grpc.pb.h"
#include "redis_server.h"
#include "support/process_util.h"

namespace kedastral::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

// One replica: its own ports and config, the shared Redis and replay data.
class Replica {
 public:
  Replica(const fs::path& dir, const std::string& name, int redis_port, const std::string& csv)
      : http_(FreeLoopbackPort()), grpc_(FreeLoopbackPort()) {
    const fs::path cfg = dir / (name + ".yaml");
    std::ofstream(cfg) << "server: {http: 127.0.0.1:" << http_ << ", grpc: 127.0.0.1:" << grpc_ << "}\n"
                       << "log: {level: info, format: text}\n"
                       << "defaults: {step: 1m, window: 1d, horizon: 30m, interval: 1s, "
                          "staleAfter: 10s, model: seasonal_naive, capacity: {targetPerPod: 20}}\n"
                       << "sources: {demo: {type: replay, file: " << csv << "}}\n"
                       << "redis: {address: 127.0.0.1:" << redis_port
                       << ", cluster: hatest, leaseTtl: 1500ms, snapshotTtl: 1h}\n"
                       << "workloads: [{name: api, source: demo, query: rps}]\n";
    child_ = std::make_unique<Child>(
        std::vector<std::string>{KEDASTRAL_BINARY, "serve", "--config", cfg.string()},
        (dir / (name + ".log")).string());
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_),
                                   grpc::InsecureChannelCredentials());
  }

  bool Ready() const { return HttpGet(http_, "/readyz").status == 200; }
  std::string Metrics() const { return HttpGet(http_, "/metrics").body; }
  bool Leads() const { return Metrics().find("\nkedastral_ha_leader 1") != std::string::npos; }
  bool HasRole(const std::string& role) const {
    return Metrics().find("kedastral_ha_role{role=\"" + role + "\"} 1") != std::string::npos;
  }

  grpc::Status GetMetrics(int64_t* value) const {
    auto stub = externalscaler::ExternalScaler::NewStub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(2));
    externalscaler::GetMetricsRequest req;
    req.mutable_scaledobjectref()->set_name("api");
    req.mutable_scaledobjectref()->set_namespace_("default");
    externalscaler::GetMetricsResponse resp;
    grpc::Status st = stub->GetMetrics(&ctx, req, &resp);
    if (st.ok() && value != nullptr) *value = resp.metricvalues(0).metricvalue();
    return st;
  }

  Child& child() { return *child_; }
  int http_port() const { return http_; }

 private:
  int http_, grpc_;
  std::unique_ptr<Child> child_;
  std::shared_ptr<grpc::Channel> channel_;
};

class HaProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available()) GTEST_SKIP() << "redis-server is not installed";
    char tmpl[] = "/tmp/kedastral-ha-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  std::string Csv() const { return KEDASTRAL_SOURCE_DIR "/examples/demo.csv"; }

  fs::path dir_;
};

TEST_F(HaProcessTest, LeaderKilledFollowerTakesOverWithoutAFailedCall) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  Replica a(dir_, "a", redis.port(), Csv());
  Replica b(dir_, "b", redis.port(), Csv());
  ASSERT_TRUE(WaitFor([&] { return a.Ready() && b.Ready(); }, seconds(30)))
      << a.child().Log() << b.child().Log();
  ASSERT_TRUE(WaitFor([&] { return a.Leads() != b.Leads(); }, seconds(10)));
  Replica& leader = a.Leads() ? a : b;
  Replica& survivor = a.Leads() ? b : a;
  int64_t before = 0;
  ASSERT_TRUE(survivor.GetMetrics(&before).ok());

  // KEDA keeps asking the survivor every 100 ms while the leader dies.
  std::atomic<bool> stop{false};
  std::atomic<int> calls{0}, failures{0};
  std::string first_failure;
  std::thread keda([&] {
    while (!stop) {
      grpc::Status st = survivor.GetMetrics(nullptr);
      ++calls;
      if (!st.ok() && failures++ == 0) first_failure = st.error_message();
      std::this_thread::sleep_for(milliseconds(100));  // KEDA's own polling period, scaled down
    }
  });
  const auto killed_at = std::chrono::steady_clock::now();
  leader.child().Kill(SIGKILL);
  // Lease TTL (1.5 s) plus one interval (1 s), with slack for a busy machine.
  const bool took_over = WaitFor([&] { return survivor.Leads(); }, seconds(6));
  const double takeover_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  // Keep calling a little after the takeover: the new leader's own forecasts take over.
  std::this_thread::sleep_for(seconds(2));
  stop = true;
  keda.join();
  EXPECT_TRUE(took_over) << survivor.child().Log();
  EXPECT_LT(takeover_s, 6.0);
  EXPECT_GT(calls.load(), 30);
  EXPECT_EQ(failures.load(), 0) << first_failure;
  int64_t after = 0;
  EXPECT_TRUE(survivor.GetMetrics(&after).ok());
  EXPECT_GE(after, 1);
}

TEST_F(HaProcessTest, FreshReplicaServesMirroredSnapshotsItCannotComputeItself) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start());
  Replica a(dir_, "a", redis.port(), Csv());
  ASSERT_TRUE(WaitFor([&] { return a.Ready() && a.Leads(); }, seconds(30))) << a.child().Log();
  // Its own source is broken, so any forecast it serves came from the leader via Redis.
  Replica c(dir_, "c", redis.port(), (dir_ / "missing.csv").string());
  ASSERT_TRUE(WaitFor([&] { return c.Ready(); }, seconds(15))) << c.child().Log();
  int64_t from_a = 0, from_c = 0;
  ASSERT_TRUE(a.GetMetrics(&from_a).ok());
  grpc::Status st = c.GetMetrics(&from_c);
  ASSERT_TRUE(st.ok()) << st.error_message() << c.child().Log();
  EXPECT_NEAR(from_c, from_a, 1);
  // Role metrics refresh every second.
  EXPECT_TRUE(WaitFor([&] { return c.HasRole("follower"); }, seconds(5))) << c.Metrics();
}

TEST_F(HaProcessTest, RedisAbsentAtStartServesStandaloneThenJoins) {
  const unsigned short port = RedisServer::FreePort();
  Replica a(dir_, "a", port, Csv());
  ASSERT_TRUE(WaitFor([&] { return a.Ready(); }, seconds(30))) << a.child().Log();
  EXPECT_TRUE(WaitFor([&] { return a.HasRole("standalone"); }, seconds(5))) << a.Metrics();
  // ...and says so in /readyz, which stays ready.
  HttpReply ready = HttpGet(a.http_port(), "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("standalone"), std::string::npos) << ready.body;
  EXPECT_TRUE(a.GetMetrics(nullptr).ok());
  RedisServer redis({}, port);
  ASSERT_TRUE(redis.Start());
  EXPECT_TRUE(WaitFor([&] { return a.Leads(); }, seconds(15))) << a.child().Log();
}

}  // namespace
}  // namespace kedastral::testing
