#include "loop/accuracy.h"

#include <cmath>

#include <gtest/gtest.h>

namespace kedastral::loop {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kT0 = std::chrono::time_point_cast<Duration>(
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + hours{10});

Snapshot Forecast(TimePoint generated, TimePoint start, std::vector<double> p50,
                  std::vector<double> p90, std::vector<int> replicas) {
  Snapshot s;
  s.workload = "w";
  s.generated_at = generated;
  s.start = start;
  s.step = minutes(1);
  s.values = std::move(p50);
  if (!p90.empty()) s.quantiles = {{0.9, std::move(p90)}, {0.99, std::vector<double>(s.values.size(), 1e9)}};
  s.replicas = std::move(replicas);
  return s;
}

Series History(TimePoint start, std::vector<double> values) {
  Series h;
  h.start = start;
  h.step = minutes(1);
  h.values = std::move(values);
  return h;
}

// Two forecasts, the second replacing the first's records for the times still ahead,
// scored as the history grows (targetPerPod 20):
//   time   actual  p50  p90  replicas  capacity  |err|  APE%     covered  under
//   T0     110     100  120  5         100       10     9.0909   yes      60 s
//   T0+1   125     100  120  5         100       25     20       no       60 s
//   T0+2   150     130  140  7         140       20     13.3333  no       60 s
//   T0+3   135     130  140  7         140       5      3.7037   yes      0
// History diffs 10,10,15,25,15 -> one-step naive scale 15; mean |err| 15 -> MASE 1.
class AccuracyScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    tracker.RecordForecast(Forecast(kT0 - seconds(30), kT0, {100, 100, 100, 100},
                                    {120, 120, 120, 120}, {5, 5, 5, 5}),
                           20);
    tracker.Observe(History(kT0 - minutes(2), {90, 100, 110, 125}));
    tracker.RecordForecast(
        Forecast(kT0 + seconds(90), kT0 + minutes(2), {130, 130}, {140, 140}, {7, 7}), 20);
    tracker.Observe(History(kT0 - minutes(2), {90, 100, 110, 125, 150, 135}));
  }
  AccuracyTracker tracker;
};

TEST_F(AccuracyScenario, MaseUsesTheInSampleOneStepNaiveScale) {
  EXPECT_DOUBLE_EQ(tracker.mase_scale(), 15.0);
  auto stats = tracker.Stats(kT0 + minutes(3));
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].window, hours(1));
  EXPECT_EQ(stats[1].window, hours(24));
  EXPECT_EQ(stats[0].points, 4u);
  EXPECT_DOUBLE_EQ(stats[0].mase, 1.0);
}

TEST_F(AccuracyScenario, MapeIsTheMeanAbsolutePercentageError) {
  auto stats = tracker.Stats(kT0 + minutes(3));
  const double expected = (10.0 / 110 + 25.0 / 125 + 20.0 / 150 + 5.0 / 135) / 4 * 100;
  EXPECT_NEAR(stats[0].mape, expected, 1e-9);
  EXPECT_NEAR(stats[0].mape, 11.532, 1e-3);
}

TEST_F(AccuracyScenario, P90CoverageIsTheShareOfActualsAtOrBelowP90) {
  EXPECT_DOUBLE_EQ(tracker.Stats(kT0 + minutes(3))[0].p90_coverage, 0.5);
}

TEST_F(AccuracyScenario, UnderprovisionCountsStepsWhereActualExceededPlannedCapacity) {
  EXPECT_DOUBLE_EQ(tracker.Stats(kT0 + minutes(3))[0].underprovision_seconds, 180.0);
  EXPECT_DOUBLE_EQ(tracker.underprovision_seconds_total(), 180.0);
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST_F(AccuracyScenario, AScoredTimeIsNeverScoredAgain) {
  // A late forecast over already scored times, then the same history again.
  tracker.RecordForecast(Forecast(kT0 + minutes(5), kT0, {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 1, 1, 1}),
                         20);
  tracker.Observe(History(kT0 - minutes(2), {90, 100, 110, 125, 150, 135}));
  auto stats = tracker.Stats(kT0 + minutes(3));
  EXPECT_EQ(stats[0].points, 4u);
  EXPECT_DOUBLE_EQ(tracker.underprovision_seconds_total(), 180.0);
}

TEST_F(AccuracyScenario, WindowsEndAtNow) {
  // 1 h 1 min later the four points have left the 1 h window but not the 24 h one.
  auto stats = tracker.Stats(kT0 + minutes(64));
  EXPECT_EQ(stats[0].points, 0u);
  EXPECT_TRUE(std::isnan(stats[0].mase));
  EXPECT_TRUE(std::isnan(stats[0].mape));
  EXPECT_TRUE(std::isnan(stats[0].p90_coverage));
  EXPECT_EQ(stats[0].underprovision_seconds, 0.0);
  EXPECT_EQ(stats[1].points, 4u);
  EXPECT_DOUBLE_EQ(stats[1].underprovision_seconds, 180.0);
}

TEST(AccuracyTrackerTest, PendingTimesWaitForTheirActualValue) {
  AccuracyTracker t;
  t.RecordForecast(Forecast(kT0, kT0, {10, 10, 10}, {}, {1, 1, 1}), 100);
  t.Observe(History(kT0 - minutes(1), {10, 12}));  // has T0 only
  EXPECT_EQ(t.pending(), 2u);
  EXPECT_EQ(t.Stats(kT0)[0].points, 1u);
}

TEST(AccuracyTrackerTest, ZeroActualsAreLeftOutOfMapeAndNoP90MeansNoCoverage) {
  AccuracyTracker t;
  t.RecordForecast(Forecast(kT0, kT0, {1, 4}, {}, {1, 1}), 100);
  t.Observe(History(kT0, {0, 5}));
  auto st = t.Stats(kT0 + minutes(1))[0];
  EXPECT_EQ(st.points, 2u);
  EXPECT_DOUBLE_EQ(st.mape, 20.0);  // only 5 vs 4
  EXPECT_TRUE(std::isnan(st.p90_coverage));
  EXPECT_DOUBLE_EQ(st.mase, 1.0 / 5.0);  // mean |err| 1, scale |5 - 0| = 5
}

TEST(AccuracyTrackerTest, TimesBeforeTheHistoryAreDroppedUnscored) {
  AccuracyTracker t;
  t.RecordForecast(Forecast(kT0, kT0, {1, 1, 1}, {}, {1, 1, 1}), 100);
  t.Observe(History(kT0 + minutes(2), {1}));  // a gap swallowed T0 and T0+1
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_EQ(t.Stats(kT0 + minutes(2))[0].points, 1u);
}

TEST(AccuracyTrackerTest, MaskedStepsAreDroppedUnscored) {
  AccuracyTracker t;
  t.RecordForecast(Forecast(kT0, kT0, {1, 1, 1}, {}, {1, 1, 1}), 100);
  t.Observe(History(kT0, {1, 7, 1}), {false, true, false});
  EXPECT_EQ(t.pending(), 0u);
  auto st = t.Stats(kT0 + minutes(2))[0];
  EXPECT_EQ(st.points, 2u);
  EXPECT_DOUBLE_EQ(st.mape, 0.0);
}

TEST(AccuracyTrackerTest, KeepsSpacedEarlierForecastsUpToTheLimit) {
  AccuracyOptions o;
  o.max_earlier = 3;
  o.earlier_spacing = minutes(10);
  AccuracyTracker t(o);
  for (int m = 0; m <= 60; m += 5) {
    t.RecordForecast(Forecast(kT0 + minutes(m), kT0 + minutes(m + 1), {double(m)}, {}, {1}), 1);
  }
  ASSERT_EQ(t.earlier().size(), 3u);
  EXPECT_EQ(t.earlier()[0].generated_at, kT0 + minutes(40));
  EXPECT_EQ(t.earlier()[2].generated_at, kT0 + minutes(60));
  EXPECT_EQ(t.earlier()[2].p50.values, std::vector<double>{60});
}

TEST(AccuracyTrackerTest, FillCarriesStatsActualsAndOnlyForecastsOlderThanTheSnapshot) {
  AccuracyOptions o;
  o.earlier_spacing = minutes(1);
  AccuracyTracker t(o);
  t.RecordForecast(Forecast(kT0, kT0 + minutes(1), {5}, {}, {1}), 1);
  Snapshot current = Forecast(kT0 + minutes(1), kT0 + minutes(2), {6}, {}, {1});
  t.RecordForecast(current, 1);
  t.Fill(current, History(kT0 - minutes(1), {1, 2, 3}), kT0 + minutes(1));
  ASSERT_EQ(current.earlier_forecasts.size(), 1u);
  EXPECT_EQ(current.earlier_forecasts[0].generated_at, kT0);
  EXPECT_EQ(current.actuals.values, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(current.accuracy.size(), 2u);
  EXPECT_EQ(current.mase_scale, AccuracyTracker::kMaseScale);
}

TEST(RecentActualsTest, KeepsTheSpanAndAveragesDownToTheLimit) {
  Series h = History(kT0, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  Series last = RecentActuals(h, minutes(5), 100);
  EXPECT_EQ(last.start, kT0 + minutes(5));
  EXPECT_EQ(last.values, (std::vector<double>{6, 7, 8, 9, 10}));

  Series down = RecentActuals(h, hours(1), 4);  // groups of ceil(10 / 4) = 3
  EXPECT_EQ(down.start, kT0);
  EXPECT_EQ(down.step, minutes(3));
  EXPECT_EQ(down.values, (std::vector<double>{2, 5, 8, 10}));
}

TEST(NaiveScaleTest, IsTheMeanAbsoluteOneStepChange) {
  EXPECT_DOUBLE_EQ(NaiveScale(History(kT0, {1, 3, 2, 6})), 7.0 / 3);
  EXPECT_TRUE(std::isnan(NaiveScale(History(kT0, {1}))));
}

}  // namespace
}  // namespace kedastral::loop
