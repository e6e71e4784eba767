#include "loop/scheduler.h"

#include <atomic>
#include <cmath>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

namespace kedastral::loop {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

// Serves a daily sine on whatever grid is asked, up to the wall clock's now, and
// records every request. Can be told to fail.
class FakeSource : public Source {
 public:
  boost::asio::awaitable<Result<Series>> Fetch(FetchRequest req) override {
    requests.push_back(req);
    if (fail) co_return Fail(Error::Unavailable("fake source is down"));
    Series s;
    s.step = req.step;
    const long step = req.step.count();
    s.start = TimePoint(Duration((req.from.time_since_epoch().count() + step - 1) / step * step));
    for (TimePoint t = s.start; t < req.to && t <= Now(); t += req.step) {
      const double day = static_cast<double>(t.time_since_epoch().count() % 86'400'000) / 86'400'000;
      s.values.push_back(100 + 50 * std::sin(2 * M_PI * day));
    }
    co_return s;
  }
  std::vector<FetchRequest> requests;
  bool fail = false;
};

class CountingProbe : public Probe {
 public:
  void CycleDone(std::string_view w, double, bool ok) override {
    std::lock_guard lock(mu);
    (ok ? ok_cycles : failed_cycles)[std::string(w)]++;
  }
  void WorkloadRemoved(std::string_view w) override {
    std::lock_guard lock(mu);
    removed.emplace_back(w);
  }
  int Ok(const std::string& w) {
    std::lock_guard lock(mu);
    return ok_cycles[w];
  }
  int Failed(const std::string& w) {
    std::lock_guard lock(mu);
    return failed_cycles[w];
  }
  std::mutex mu;
  std::map<std::string, int> ok_cycles, failed_cycles;
  std::vector<std::string> removed;
};

std::shared_ptr<const WorkloadSpec> Spec(std::string name, std::string source) {
  auto s = std::make_shared<WorkloadSpec>();
  s->name = std::move(name);
  s->source = std::move(source);
  s->query = "load";
  s->model = "seasonal_naive";
  s->step = minutes(1);
  s->window = minutes(3 * 1440);
  s->horizon = minutes(30);
  s->interval = milliseconds(40);
  s->stale_after = minutes(1);
  s->capacity.target_per_pod = 20;
  s->capacity.max_replicas = 50;
  return s;
}

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerOptions Options() {
    SchedulerOptions o;
    o.first_delay_max = milliseconds(5);
    o.retry_after = milliseconds(20);
    o.seed = 42;
    return o;
  }

  // Runs the loop until `done` holds or five seconds pass (a watchdog, not a sleep).
  template <class Pred>
  bool RunUntil(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      ioc.run_one_for(milliseconds(10));
    }
    return true;
  }

  boost::asio::io_context ioc;
  boost::asio::thread_pool pool{2};
  SnapshotTable table;
  CountingProbe probe;
};

TEST_F(SchedulerTest, PublishesAForecastAndPlanForEachWorkload) {
  FakeSource src;
  Scheduler s(ioc, pool, table, probe, Options());
  s.Apply({Spec("a", "src"), Spec("b", "src")}, {{"src", &src}});
  ASSERT_TRUE(RunUntil([&] {
    auto a = table.Get("a"), b = table.Get("b");
    return a->snapshot && a->snapshot->has_forecast() && b->snapshot && b->snapshot->has_forecast();
  }));
  auto snap = table.Get("a")->snapshot;
  EXPECT_EQ(snap->values.size(), 30u);
  EXPECT_EQ(snap->replicas.size(), 30u);
  EXPECT_EQ(snap->step, minutes(1));
  EXPECT_TRUE(snap->last_error.empty());
  EXPECT_EQ(snap->model, "seasonal_naive");
  for (int r : snap->replicas) {
    EXPECT_GE(r, 1);
    EXPECT_LE(r, 50);
  }
  // The forecast starts one step after the newest point, which is at or before now.
  EXPECT_GT(snap->start, snap->generated_at - minutes(1));
  EXPECT_LE(snap->start, snap->generated_at + minutes(1));
  s.Stop();
}

TEST_F(SchedulerTest, FetchesTheWindowFirstThenOnlyNewPoints) {
  FakeSource src;
  Scheduler s(ioc, pool, table, probe, Options());
  s.Apply({Spec("a", "src")}, {{"src", &src}});
  ASSERT_TRUE(RunUntil([&] { return src.requests.size() >= 2; }));
  EXPECT_EQ(src.requests[0].to - src.requests[0].from, minutes(3 * 1440));
  EXPECT_LE(src.requests[1].to - src.requests[1].from, minutes(4));
  s.Stop();
}

TEST_F(SchedulerTest, AFailingWorkloadDoesNotStopTheOthers) {
  FakeSource good, bad;
  bad.fail = true;
  Scheduler s(ioc, pool, table, probe, Options());
  s.Apply({Spec("good", "good"), Spec("bad", "bad")}, {{"good", &good}, {"bad", &bad}});
  ASSERT_TRUE(RunUntil([&] { return probe.Ok("good") >= 3 && probe.Failed("bad") >= 3; }));
  auto b = table.Get("bad")->snapshot;
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->has_forecast());
  EXPECT_NE(b->last_error.find("fake source is down"), std::string::npos);
  EXPECT_GE(b->consecutive_failures, 3u);
  EXPECT_TRUE(table.Get("good")->snapshot->has_forecast());
  s.Stop();
}

TEST_F(SchedulerTest, AFailureKeepsTheLastForecastAndRecordsTheError) {
  FakeSource src;
  Scheduler s(ioc, pool, table, probe, Options());
  s.Apply({Spec("a", "src")}, {{"src", &src}});
  ASSERT_TRUE(RunUntil([&] { return probe.Ok("a") >= 1; }));
  src.fail = true;
  ASSERT_TRUE(RunUntil([&] { return probe.Failed("a") >= 1; }));
  auto snap = table.Get("a")->snapshot;
  EXPECT_TRUE(snap->has_forecast());
  EXPECT_FALSE(snap->last_error.empty());
  src.fail = false;
  ASSERT_TRUE(RunUntil([&] { return table.Get("a")->snapshot->last_error.empty(); }));
  s.Stop();
}

TEST_F(SchedulerTest, MissingSourceIsReportedOnTheSnapshot) {
  Scheduler s(ioc, pool, table, probe, Options());
  s.Apply({Spec("a", "nowhere")}, {});
  ASSERT_TRUE(RunUntil([&] { return table.Get("a")->snapshot != nullptr; }));
  EXPECT_NE(table.Get("a")->snapshot->last_error.find("nowhere"), std::string::npos);
  s.Stop();
}

TEST_F(SchedulerTest, UnknownModelIsReportedOnTheSnapshot) {
  FakeSource src;
  auto spec = std::make_shared<WorkloadSpec>(*Spec("a", "src"));
  spec->model = "crystal_ball";
  Scheduler s(ioc, pool, table, probe, Options());
  s.Apply({spec}, {{"src", &src}});
  ASSERT_TRUE(RunUntil([&] { return table.Get("a")->snapshot != nullptr; }));
  EXPECT_NE(table.Get("a")->snapshot->last_error.find("model"), std::string::npos);
  s.Stop();
}

TEST_F(SchedulerTest, RemovedWorkloadStopsAndOthersKeepTheirHistory) {
  FakeSource src;
  Scheduler s(ioc, pool, table, probe, Options());
  s.Apply({Spec("a", "src"), Spec("b", "src")}, {{"src", &src}});
  ASSERT_TRUE(RunUntil([&] { return probe.Ok("a") >= 1 && probe.Ok("b") >= 1; }));
  s.Apply({Spec("a", "src")}, {{"src", &src}});
  EXPECT_FALSE(table.Get("b").has_value());
  EXPECT_EQ(probe.removed, std::vector<std::string>{"b"});
  const size_t before = src.requests.size();
  ASSERT_TRUE(RunUntil([&] { return src.requests.size() >= before + 3; }));
  for (size_t i = before; i < src.requests.size(); ++i) {
    EXPECT_EQ(src.requests[i].workload, "a");
    // "a" kept its history: incremental fetches only.
    EXPECT_LE(src.requests[i].to - src.requests[i].from, minutes(4));
  }
  s.Stop();
}

// Serves a constant 100 on the grid up to a time the test moves, so the test decides
// when actual values "arrive".
class SteppedSource : public Source {
 public:
  boost::asio::awaitable<Result<Series>> Fetch(FetchRequest req) override {
    Series s;
    s.step = req.step;
    const long step = req.step.count();
    s.start = TimePoint(Duration((req.from.time_since_epoch().count() + step - 1) / step * step));
    for (TimePoint t = s.start; t < req.to && t <= until; t += req.step) s.values.push_back(100);
    co_return s;
  }
  TimePoint until{};
};

TEST_F(SchedulerTest, ScoresEarlierForecastsAsActualValuesArrive) {
  const TimePoint t0 = std::chrono::time_point_cast<Duration>(
      std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + std::chrono::hours{10});
  std::atomic<long> offset_ms{0};
  SteppedSource src;
  src.until = t0;
  SchedulerOptions o = Options();
  o.clock = [&] { return t0 + Duration(offset_ms.load()); };
  o.jitter = 0;
  Scheduler s(ioc, pool, table, probe, o);
  auto spec = std::make_shared<WorkloadSpec>(*Spec("a", "src"));
  spec->capacity.target_per_pod = 20;  // 100 -> 5 replicas planned
  s.Apply({spec}, {{"src", &src}});
  ASSERT_TRUE(RunUntil([&] { return probe.Ok("a") >= 1; }));
  auto first = table.Get("a")->snapshot;
  EXPECT_EQ(first->accuracy.size(), 2u);
  EXPECT_EQ(first->accuracy[0].points, 0u);
  EXPECT_FALSE(first->actuals.empty());
  EXPECT_LE(first->actuals.size(), 720u);

  // Three more minutes of data arrive: the first forecast's steps 0..2 are scored.
  src.until = t0 + minutes(3);
  offset_ms = 3 * 60'000 + 500;
  const int before = probe.Ok("a");
  ASSERT_TRUE(RunUntil([&] { return probe.Ok("a") >= before + 1; }));
  auto snap = table.Get("a")->snapshot;
  ASSERT_EQ(snap->accuracy.size(), 2u);
  EXPECT_EQ(snap->accuracy[0].points, 3u);
  EXPECT_EQ(snap->accuracy[0].underprovision_seconds, 0.0);  // constant load, 5 x 20 planned
  EXPECT_EQ(snap->mase_scale, "in-sample one-step naive");
  EXPECT_EQ(snap->earlier_forecasts.size(), 1u);
  s.Stop();
}

// Stands in for the HA peer: the test decides who leads and sees what is shared.
class FakeMirror : public Mirror {
 public:
  bool ShouldForecast() const override { return leading; }
  void Published(std::shared_ptr<const Snapshot> s) override { shared.push_back(std::move(s)); }
  bool leading = false;
  std::vector<std::shared_ptr<const Snapshot>> shared;
};

TEST_F(SchedulerTest, AFollowerNeitherFetchesNorForecasts) {
  FakeSource src;
  FakeMirror mirror;
  SchedulerOptions o = Options();
  o.mirror = &mirror;
  Scheduler s(ioc, pool, table, probe, o);
  s.Apply({Spec("a", "src")}, {{"src", &src}});
  ioc.run_for(milliseconds(300));
  EXPECT_TRUE(src.requests.empty());
  EXPECT_EQ(table.Get("a")->snapshot, nullptr);
  EXPECT_TRUE(mirror.shared.empty());
  s.Stop();
}

TEST_F(SchedulerTest, ALeaderSharesEveryForecastItPublishes) {
  FakeSource src;
  FakeMirror mirror;
  mirror.leading = true;
  SchedulerOptions o = Options();
  o.mirror = &mirror;
  Scheduler s(ioc, pool, table, probe, o);
  s.Apply({Spec("a", "src")}, {{"src", &src}});
  ASSERT_TRUE(RunUntil([&] { return mirror.shared.size() >= 2; }));
  EXPECT_EQ(mirror.shared.back(), table.Get("a")->snapshot);
  s.Stop();
}

TEST_F(SchedulerTest, ANewLeaderBuildsOnTheMirroredSnapshot) {
  FakeSource src;
  src.fail = true;
  FakeMirror mirror;
  SchedulerOptions o = Options();
  o.mirror = &mirror;
  Scheduler s(ioc, pool, table, probe, o);
  s.Apply({Spec("a", "src")}, {{"src", &src}});
  // The former leader's forecast, installed by the mirror while we followed.
  auto mirrored = std::make_shared<Snapshot>();
  mirrored->workload = "a";
  mirrored->generated_at = Now();
  mirrored->start = Now();
  mirrored->values.assign(30, 10.0);
  mirrored->replicas.assign(30, 4);
  mirrored->sequence = 77;
  table.Publish(mirrored);
  mirror.leading = true;  // failover; our first own cycle fails
  ASSERT_TRUE(RunUntil([&] { return probe.Failed("a") >= 1; }));
  auto now = table.Get("a")->snapshot;
  EXPECT_TRUE(now->has_forecast());  // the mirrored forecast is kept
  EXPECT_EQ(now->replicas, mirrored->replicas);
  EXPECT_FALSE(now->last_error.empty());
  EXPECT_GT(now->sequence, 77u);
  s.Stop();
}

TEST_F(SchedulerTest, StopEndsEveryWorkloadCoroutine) {
  FakeSource src;
  Scheduler s(ioc, pool, table, probe, Options());
  s.Apply({Spec("a", "src"), Spec("b", "src")}, {{"src", &src}});
  ASSERT_TRUE(RunUntil([&] { return probe.Ok("a") >= 1; }));
  EXPECT_EQ(s.running(), 2u);
  s.Stop();
  ASSERT_TRUE(RunUntil([&] { return s.running() == 0; }));
}

}  // namespace
}  // namespace kedastral::loop
