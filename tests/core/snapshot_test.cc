#include "core/snapshot.h"

#include <gtest/gtest.h>

#include "core/config.h"

namespace kedastral {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

Snapshot Plan(std::vector<int> replicas) {
  Snapshot s;
  s.start = TimePoint(Duration(1'000'000'000'000));
  s.generated_at = s.start;
  s.step = minutes(1);
  s.replicas = std::move(replicas);
  s.values.assign(s.replicas.size(), 1.0);
  return s;
}

TEST(SnapshotTest, MaxReplicasCoversStepsOverlappingTheWindow) {
  Snapshot s = Plan({1, 2, 9, 3, 4, 8});
  // From 0:30 with a 5-minute lead the window ends at 5:30, inside step 5.
  EXPECT_EQ(MaxReplicasInWindow(s, s.start + seconds(30), minutes(5)), 9);
  EXPECT_EQ(MaxReplicasInWindow(s, s.start + minutes(3), minutes(3)), 8);
  EXPECT_EQ(MaxReplicasInWindow(s, s.start + minutes(3), minutes(1)), 4);
  EXPECT_EQ(MaxReplicasInWindow(s, s.start + minutes(3), minutes(0)), 3);
}

TEST(SnapshotTest, MaxReplicasFromBeforeStartCountsFromFirstStep) {
  Snapshot s = Plan({5, 1});
  EXPECT_EQ(MaxReplicasInWindow(s, s.start - minutes(2), minutes(2)), 5);
  EXPECT_EQ(MaxReplicasInWindow(s, s.start - minutes(3), minutes(1)), -1);
}

TEST(SnapshotTest, MaxReplicasPastTheEndIsMinusOne) {
  Snapshot s = Plan({5, 1});
  EXPECT_EQ(MaxReplicasInWindow(s, s.start + minutes(2), minutes(5)), -1);
  EXPECT_EQ(MaxReplicasInWindow(s, s.start + minutes(1), minutes(5)), 1);
}

// Found by fuzz_scaler_logic (UBSan): leadTime "9223372036854775807ms" in trigger
// metadata overflowed from + lead, so the window wrapped to before the forecast.
TEST(SnapshotTest, MaxReplicasWithTheLongestLeadCoversEveryLaterStep) {
  Snapshot s = Plan({1, 7, 2});
  EXPECT_EQ(MaxReplicasInWindow(s, s.start + seconds(30), Duration::max()), 7);
  EXPECT_EQ(MaxReplicasInWindow(s, s.start + minutes(2), Duration::max()), 2);
}

TEST(SnapshotTest, ReplicasAtPicksTheContainingStep) {
  Snapshot s = Plan({5, 6, 7});
  EXPECT_EQ(ReplicasAt(s, s.start + seconds(90)), 6);
  EXPECT_EQ(ReplicasAt(s, s.start - seconds(1)), -1);
  EXPECT_EQ(ReplicasAt(s, s.start + minutes(3)), -1);
}

TEST(SnapshotTest, StalenessFollowsTheSpecLimit) {
  Snapshot s = Plan({1});
  WorkloadSpec spec;
  spec.stale_after = seconds(90);
  EXPECT_FALSE(IsStale(&s, spec, s.generated_at + seconds(90)));
  EXPECT_TRUE(IsStale(&s, spec, s.generated_at + seconds(91)));
  EXPECT_TRUE(IsStale(nullptr, spec, s.generated_at));
  Snapshot empty;
  EXPECT_TRUE(IsStale(&empty, spec, empty.generated_at));
}

TEST(SnapshotTest, AgeIsNeverNegative) {
  Snapshot s = Plan({1});
  EXPECT_EQ(ForecastAge(s, s.generated_at + seconds(5)), seconds(5));
  EXPECT_EQ(ForecastAge(s, s.generated_at - seconds(5)), Duration::zero());
}

TEST(SeriesTest, QuantileNames) {
  EXPECT_EQ(QuantileName(0.9), "p90");
  EXPECT_EQ(QuantileName(0.5), "p50");
  EXPECT_EQ(QuantileName(0.995), "p99.5");
}

TEST(SeriesTest, ForecastAtFindsLevels) {
  Forecast f;
  f.p50 = {1};
  f.quantiles = {{0.9, {2}}, {0.99, {3}}};
  EXPECT_EQ((*f.At(0.5))[0], 1);
  EXPECT_EQ((*f.At(0.9))[0], 2);
  EXPECT_EQ(f.At(0.95), nullptr);
}

}  // namespace
}  // namespace kedastral
