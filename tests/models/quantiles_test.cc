#include "models/quantiles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

namespace kedastral::models {
namespace {

using ::testing::ElementsAre;

// Errors with `origins` origins and the given per-step samples.
HorizonErrors Errors(size_t origins, std::vector<std::vector<double>> by_step) {
  HorizonErrors e;
  e.origins = origins;
  e.by_step = std::move(by_step);
  return e;
}

std::vector<double> OneTo(size_t n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

// Forecasts the origin index itself at every step (a model whose error is known).
class OriginEcho : public OriginForecaster {
 public:
  size_t MinOrigin() const override { return 2; }
  void ForecastOrigins(std::span<const size_t> origins, size_t steps,
                       std::vector<double>* out) const override {
    out->clear();
    for (size_t o : origins) out->insert(out->end(), steps, static_cast<double>(o));
  }
};

TEST(PlanOriginsTest, EndsAtNewestPointAndIsDenseOverRecentRegion) {
  const auto origins = PlanOrigins(10000, 30, 1440);
  ASSERT_EQ(origins.size(), 180u);  // max(6 * 30, 96) points, stride 1
  EXPECT_EQ(origins.front(), 10000u - 180);
  EXPECT_EQ(origins.back(), 9999u);
}

TEST(PlanOriginsTest, RespectsMinOrigin) {
  const auto origins = PlanOrigins(1450, 30, 1440);
  ASSERT_FALSE(origins.empty());
  EXPECT_EQ(origins.front(), 1440u);
  EXPECT_EQ(origins.size(), 10u);
}

TEST(PlanOriginsTest, IsEmptyWhenHistoryTooShort) {
  EXPECT_TRUE(PlanOrigins(1440, 30, 1440).empty());
}

TEST(PlanOriginsTest, StridesLongHorizonsToBoundTheCost) {
  const auto origins = PlanOrigins(100000, 1000, 1);
  EXPECT_LE(origins.size(), 256u);
  EXPECT_EQ(origins.back(), 99999u);
  EXPECT_EQ(origins[1] - origins[0], 24u);  // ceil(6000 / 256)
}

TEST(RollingOriginErrorsTest, ScoresEachStepAgainstLaterActuals) {
  std::vector<double> y(20);
  std::iota(y.begin(), y.end(), 0.0);  // y[i] = i
  OriginEcho model;
  const std::vector<size_t> origins{17, 18, 19};
  const HorizonErrors e = RollingOriginErrors(model, y, 2, origins);
  // From origin o, step k targets o + k - 1 and the forecast is o: error k - 1.
  EXPECT_EQ(e.origins, 3u);
  EXPECT_THAT(e.by_step[0], ElementsAre(0, 0, 0));
  EXPECT_THAT(e.by_step[1], ElementsAre(1, 1));  // origin 19's step 2 is past the end
  EXPECT_DOUBLE_EQ(e.mae, 2.0 / 5.0);
}

TEST(BuildQuantilesTest, UsesConformalRankOfSignedErrors) {
  std::vector<double> p50{10};
  const auto q = BuildQuantiles(&p50, Errors(100, {OneTo(99)}), {}, {0.9});
  // ceil(0.9 * 100) = 90th smallest of 1..99.
  EXPECT_THAT(q[0].values, ElementsAre(100));
}

TEST(BuildQuantilesTest, UsesLargestErrorWhenRankExceedsSample) {
  std::vector<double> p50{10};
  const auto q = BuildQuantiles(&p50, Errors(50, {OneTo(50)}), {}, {0.99});
  EXPECT_THAT(q[0].values, ElementsAre(60));
}

TEST(BuildQuantilesTest, PoolsAdjacentStepsWhenSparse) {
  std::vector<double> p50{0, 0, 0};
  // 20 errors per step: step 2 pools steps 1..3 (60 errors, values 1..60).
  const auto q = BuildQuantiles(
      &p50, Errors(20, {std::vector<double>(20, 0), std::vector<double>(20, 0), OneTo(20)}), {},
      {0.9});
  std::vector<double> pooled = OneTo(20);
  pooled.resize(60, 0.0);
  std::sort(pooled.begin(), pooled.end());
  EXPECT_DOUBLE_EQ(q[0].values[1], pooled[static_cast<size_t>(std::ceil(0.9 * 61)) - 1]);
}

TEST(BuildQuantilesTest, OffsetsNeverShrinkWithTheHorizon) {
  std::vector<double> p50{0, 0, 0};
  // Step 2's errors are smaller than step 1's: its offset is raised to step 1's.
  const auto q =
      BuildQuantiles(&p50,
                     Errors(100, {std::vector<double>(100, 9), std::vector<double>(100, 4),
                                  std::vector<double>(100, 12)}),
                     {}, {0.9});
  EXPECT_THAT(q[0].values, ElementsAre(9, 9, 12));
}

TEST(BuildQuantilesTest, KeepsLevelsMonotoneAndAboveP50) {
  std::vector<double> p50{10};
  // All errors negative: the model over-forecasts, so raw quantiles fall below p50.
  std::vector<double> errors(100, -3);
  const auto q = BuildQuantiles(&p50, Errors(100, {errors}), {}, {0.9, 0.95});
  EXPECT_THAT(q[0].values, ElementsAre(10));
  EXPECT_THAT(q[1].values, ElementsAre(10));
}

TEST(BuildQuantilesTest, ClampsP50AtZeroAndOffsetsFromRawForecast) {
  std::vector<double> p50{-5};
  const auto q = BuildQuantiles(&p50, Errors(100, {std::vector<double>(100, 8)}), {}, {0.9});
  EXPECT_THAT(p50, ElementsAre(0));
  EXPECT_THAT(q[0].values, ElementsAre(3));
}

TEST(BuildQuantilesTest, FallsBackToOneStepSpreadGrowingWithSqrtSteps) {
  std::vector<double> p50{0, 0, 0, 0};
  const std::vector<double> y{0, 2, 0, 2, 0};  // |changes| all 2
  const auto q = BuildQuantiles(&p50, Errors(3, {{}, {}, {}, {}}), y, {0.9});
  EXPECT_DOUBLE_EQ(q[0].values[0], 2);
  EXPECT_DOUBLE_EQ(q[0].values[3], 4);  // 2 * sqrt(4)
}

}  // namespace
}  // namespace kedastral::models
