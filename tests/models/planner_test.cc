#include "models/planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace kedastral::models {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A policy with no effective limits, so each test switches on only what it checks.
CapacityPolicy Unlimited(double target_per_pod = 1) {
  CapacityPolicy p;
  p.target_per_pod = target_per_pod;
  p.headroom = 1;
  p.min_replicas = 0;
  p.max_replicas = 1000;
  p.up_max_factor = 1000;
  p.down_max_percent = 100;
  return p;
}

std::vector<int> PlanOk(const std::vector<double>& demand, const CapacityPolicy& policy,
                        int previous) {
  auto plan = PlanReplicas(demand, policy, previous);
  EXPECT_TRUE(plan.has_value()) << (plan ? "" : plan.error().message);
  return plan ? *plan : std::vector<int>{};
}

void ExpectInvalid(const CapacityPolicy& policy, const char* fragment) {
  auto plan = PlanReplicas(std::vector<double>{1, 2}, policy, 1);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(plan.error().message, HasSubstr(fragment));
}

TEST(PlannerTest, GoldenVectorWithHeadroomAndLimits) {
  CapacityPolicy p;
  p.target_per_pod = 50;
  p.headroom = 1.2;
  p.min_replicas = 1;
  p.max_replicas = 100;
  p.up_max_factor = 2.0;
  p.down_max_percent = 50;
  // Demands 144, 156, 150, 168, 120 -> 2.88, 3.12, 3.0, 3.36, 2.4 pods.
  EXPECT_THAT(PlanOk({120, 130, 125, 140, 100}, p, 2), ElementsAre(3, 4, 3, 4, 3));
}

TEST(PlannerTest, HonoursUpMaxFactor) {
  CapacityPolicy p = Unlimited();
  p.up_max_factor = 2.0;
  EXPECT_THAT(PlanOk(std::vector<double>(6, 40), p, 1), ElementsAre(2, 4, 8, 16, 32, 40));
}

TEST(PlannerTest, HonoursDownMaxPercent) {
  CapacityPolicy p = Unlimited();
  p.min_replicas = 1;
  p.down_max_percent = 50;
  // ceil(40 * 0.5) = 20, 10, 5, ceil(2.5) = 3, ceil(1.5) = 2, ceil(1) = 1.
  EXPECT_THAT(PlanOk(std::vector<double>(6, 1), p, 40), ElementsAre(20, 10, 5, 3, 2, 1));
}

TEST(PlannerTest, DownLimitIgnoresFloatNoise) {
  CapacityPolicy p = Unlimited();
  p.down_max_percent = 70;
  // 10 * (1 - 0.7) is 3.0000000000000004 in doubles; the limit is 3, not 4.
  EXPECT_THAT(PlanOk({0}, p, 10), ElementsAre(3));
}

TEST(PlannerTest, UnknownPreviousHasNoLimitAtStepZero) {
  CapacityPolicy p = Unlimited();
  p.up_max_factor = 2.0;
  EXPECT_THAT(PlanOk({40, 40}, p, -1), ElementsAre(40, 40));
}

TEST(PlannerTest, UnknownPreviousStillLimitsLaterSteps) {
  CapacityPolicy p = Unlimited();
  p.up_max_factor = 2.0;
  EXPECT_THAT(PlanOk({1, 40}, p, -1), ElementsAre(1, 2));
}

TEST(PlannerTest, ScalesUpFromZeroReplicas) {
  CapacityPolicy p = Unlimited();
  p.up_max_factor = 2.0;
  EXPECT_THAT(PlanOk({10, 10, 10, 10}, p, 0), ElementsAre(2, 4, 8, 10));
}

TEST(PlannerTest, PrewarmPlansForPeakOfNextSteps) {
  CapacityPolicy p = Unlimited();
  p.prewarm_steps = 2;
  EXPECT_THAT(PlanOk({1, 1, 1, 5, 1, 1}, p, -1), ElementsAre(1, 5, 5, 5, 1, 1));
}

TEST(PlannerTest, PrewarmWindowStopsAtForecastEnd) {
  CapacityPolicy p = Unlimited();
  p.prewarm_steps = 10;
  EXPECT_THAT(PlanOk({3, 1, 2}, p, -1), ElementsAre(3, 2, 2));
}

TEST(PlannerTest, QuantilePolicyUsesQuantileSeriesWithoutHeadroom) {
  Forecast f;
  f.p50 = {100, 100};
  f.quantiles = {{0.9, {200, 300}}, {0.95, {400, 500}}};
  CapacityPolicy p = Unlimited(50);
  p.quantile = 0.9;
  p.headroom = 3;  // ignored when planning on a quantile
  auto plan = PlanReplicas(f, p, -1);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_THAT(*plan, ElementsAre(4, 6));
}

TEST(PlannerTest, HeadroomPolicyUsesP50) {
  Forecast f;
  f.p50 = {100, 100};
  f.quantiles = {{0.9, {200, 300}}};
  CapacityPolicy p = Unlimited(50);
  p.headroom = 1.5;
  auto plan = PlanReplicas(f, p, -1);
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_THAT(*plan, ElementsAre(3, 3));
}

TEST(PlannerTest, MissingQuantileFails) {
  Forecast f;
  f.p50 = {100};
  f.quantiles = {{0.9, {200}}};
  CapacityPolicy p = Unlimited();
  p.quantile = 0.95;
  auto plan = PlanReplicas(f, p, 1);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(plan.error().message, HasSubstr("p95"));
}

TEST(PlannerTest, VectorOverloadRejectsUpperQuantilePolicy) {
  CapacityPolicy p = Unlimited();
  p.quantile = 0.9;
  auto plan = PlanReplicas(std::vector<double>{1}, p, 1);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::kInvalidArgument);
}

TEST(PlannerTest, ClampsToMinReplicas) {
  CapacityPolicy p = Unlimited();
  p.min_replicas = 3;
  EXPECT_THAT(PlanOk({0, 1, 5}, p, -1), ElementsAre(3, 3, 5));
}

TEST(PlannerTest, ClampsToMaxReplicas) {
  CapacityPolicy p = Unlimited();
  p.max_replicas = 7;
  EXPECT_THAT(PlanOk({5, 100}, p, -1), ElementsAre(5, 7));
}

TEST(PlannerTest, BoundsWinOverRateLimits) {
  CapacityPolicy p = Unlimited();
  p.max_replicas = 5;
  p.down_max_percent = 50;  // from 20 the limit would be 10
  EXPECT_THAT(PlanOk({1}, p, 20), ElementsAre(5));
}

TEST(PlannerTest, CeilRoundsExactQuotientWithoutAddingReplica) {
  CapacityPolicy p = Unlimited(50);
  p.headroom = 1.2;
  // 125 * 1.2 / 50 is 3 up to float noise; (0.1 + 0.2) / 0.1 is 3.0000000000000004.
  EXPECT_THAT(PlanOk({125}, p, -1), ElementsAre(3));
  EXPECT_THAT(PlanOk({0.1 + 0.2}, Unlimited(0.1), -1), ElementsAre(3));
}

TEST(PlannerTest, CeilRoundsFractionUp) {
  EXPECT_THAT(PlanOk({2.01, 2.5}, Unlimited(), -1), ElementsAre(3, 3));
}

TEST(PlannerTest, FloorRoundsDownButNotBelowExactQuotient) {
  CapacityPolicy p = Unlimited(0.1);
  p.rounding = Rounding::kFloor;
  // 0.3 / 0.1 is 2.9999999999999996 in doubles.
  EXPECT_THAT(PlanOk({0.3, 0.29}, p, -1), ElementsAre(3, 2));
}

TEST(PlannerTest, RoundRoundsHalvesUp) {
  CapacityPolicy p = Unlimited();
  p.rounding = Rounding::kRound;
  EXPECT_THAT(PlanOk({2.5, 2.49, 3.5}, p, -1), ElementsAre(3, 2, 4));
}

TEST(PlannerTest, NegativeDemandPlansMinimum) {
  CapacityPolicy p = Unlimited();
  p.min_replicas = 1;
  EXPECT_THAT(PlanOk({-5}, p, -1), ElementsAre(1));
}

TEST(PlannerTest, NonFiniteDemandFails) {
  auto plan = PlanReplicas(std::vector<double>{1, std::numeric_limits<double>::quiet_NaN()},
                           Unlimited(), 1);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::kInvalidArgument);
}

TEST(PlannerTest, HugeDemandClampsWithoutOverflow) {
  CapacityPolicy p = Unlimited();
  EXPECT_THAT(PlanOk({1e300}, p, -1), ElementsAre(1000));
}

TEST(PlannerTest, EmptyForecastGivesEmptyPlan) { EXPECT_TRUE(PlanOk({}, Unlimited(), 3).empty()); }

TEST(PlannerTest, RejectsNonPositiveTargetPerPod) {
  CapacityPolicy p;
  p.target_per_pod = 0;
  ExpectInvalid(p, "targetPerPod");
}

TEST(PlannerTest, RejectsNonPositiveHeadroom) {
  CapacityPolicy p;
  p.headroom = 0;
  ExpectInvalid(p, "headroom");
}

TEST(PlannerTest, RejectsQuantileOutOfRange) {
  CapacityPolicy p;
  p.quantile = 1.0;
  ExpectInvalid(p, "quantile");
}

TEST(PlannerTest, RejectsNegativeMinReplicas) {
  CapacityPolicy p;
  p.min_replicas = -1;
  ExpectInvalid(p, "minReplicas");
}

TEST(PlannerTest, RejectsMinAboveMax) {
  CapacityPolicy p;
  p.min_replicas = 5;
  p.max_replicas = 4;
  ExpectInvalid(p, "maxReplicas must be >= minReplicas");
}

TEST(PlannerTest, RejectsZeroMaxReplicas) {
  CapacityPolicy p;
  p.min_replicas = 0;
  p.max_replicas = 0;
  ExpectInvalid(p, "maxReplicas must be >= 1");
}

TEST(PlannerTest, RejectsUpFactorBelowOne) {
  CapacityPolicy p;
  p.up_max_factor = 0.5;
  ExpectInvalid(p, "upMaxFactor");
}

TEST(PlannerTest, RejectsDownPercentOutOfRange) {
  CapacityPolicy p;
  p.down_max_percent = 101;
  ExpectInvalid(p, "downMaxPercent");
}

TEST(PlannerTest, RejectsNegativePrewarm) {
  CapacityPolicy p;
  p.prewarm_steps = -1;
  ExpectInvalid(p, "prewarmSteps");
}

TEST(PlannerTest, ListsEveryPolicyProblem) {
  CapacityPolicy p;
  p.target_per_pod = -1;
  p.prewarm_steps = -1;
  ExpectInvalid(p, "targetPerPod must be > 0; prewarmSteps must be >= 0");
}

}  // namespace
}  // namespace kedastral::models
