// Synthetic series with known structure, for the forecasting models (ets, mstl,
// auto) and their helpers (seasonality detection, the optimiser).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include "models/auto_model.h"
#include "models/decomposition.h"
#include "models/ets.h"
#include "models/model.h"
#include "models/optimize.h"
#include "models/seasonality.h"
#include "test_series.h"

namespace kedastral::models {
namespace {

using std::chrono::minutes;
using synth::DailySine;
using synth::MakeSeries;
using synth::Noise;

constexpr size_t kDay1m = 1440;
constexpr size_t kDay5m = 288;

Forecast FitPredict(std::string_view name, const Series& history, size_t steps) {
  auto model = MakeModel(name, {});
  EXPECT_TRUE(model.has_value());
  EXPECT_TRUE((*model)->Fit(history).has_value()) << name;
  auto forecast = (*model)->Predict(steps);
  EXPECT_TRUE(forecast.has_value()) << name;
  return *forecast;
}

TEST(OptimizeTest, NelderMeadFindsMinimumOfShiftedQuadratic) {
  const auto f = [](const std::vector<double>& x) {
    return (x[0] - 0.3) * (x[0] - 0.3) + 2 * (x[1] - 0.7) * (x[1] - 0.7);
  };
  const Minimum m = NelderMead(f, {0.9, 0.1}, {0, 0}, {1, 1}, 0.2, 1e-12, 500);
  EXPECT_NEAR(m.x[0], 0.3, 1e-3);
  EXPECT_NEAR(m.x[1], 0.7, 1e-3);
}

TEST(OptimizeTest, NelderMeadStaysInsideTheBox) {
  const auto f = [](const std::vector<double>& x) { return x[0]; };
  const Minimum m = NelderMead(f, {0.5}, {0.2}, {1}, 0.2, 1e-12, 200);
  EXPECT_NEAR(m.x[0], 0.2, 1e-9);
}

TEST(SeasonalityTest, DetectsDailyCycle) {
  Noise noise(3, 1);
  const Series s = MakeSeries(minutes(5), 7 * kDay5m,
                              [&](size_t i) { return DailySine(i, kDay5m, 100, 40) + noise(); });
  const auto periods = DetectPeriods(s.values, s.step);
  EXPECT_NE(std::find(periods.begin(), periods.end(), kDay5m), periods.end());
}

TEST(SeasonalityTest, FindsNothingInWhiteNoise) {
  Noise noise(3, 2);
  const Series s = MakeSeries(minutes(5), 7 * kDay5m, [&](size_t) { return 100 + noise(); });
  EXPECT_TRUE(DetectPeriods(s.values, s.step).empty());
}

TEST(SeasonalityTest, SkipsPeriodsLongerThanHalfTheHistory) {
  const Series s = MakeSeries(minutes(5), kDay5m + 10,
                              [&](size_t i) { return DailySine(i, kDay5m, 100, 40); });
  const auto periods = DetectPeriods(s.values, s.step);
  EXPECT_EQ(std::find(periods.begin(), periods.end(), kDay5m), periods.end());
}

TEST(MstlTest, RecoversPureDailySeason) {
  const Series s = MakeSeries(minutes(1), 4 * kDay1m,
                              [&](size_t i) { return DailySine(i, kDay1m, 100, 50); });
  const Forecast f = FitPredict("mstl", s, 120);
  for (size_t k = 0; k < f.p50.size(); ++k) {
    EXPECT_NEAR(f.p50[k], DailySine(s.size() + k, kDay1m, 100, 50), 1.0) << "step " << k + 1;
  }
}

TEST(MstlTest, EstimatesWeeklyProfileWithTwoWeeks) {
  constexpr size_t kWeek5m = 7 * kDay5m;
  const Series s = MakeSeries(minutes(5), 2 * kWeek5m, [&](size_t i) {
    return 100 + 30 * std::sin(2 * std::numbers::pi * static_cast<double>(i) / kWeek5m);
  });
  const auto profiles = EstimateProfiles(s.values, {kWeek5m});
  ASSERT_EQ(profiles.size(), 1u);
  EXPECT_NEAR(profiles[0].value[kWeek5m / 4], 30, 3);
}

TEST(EtsTest, ExtrapolatesLinearTrend) {
  const Series s = MakeSeries(minutes(5), 2000, [](size_t i) { return 10 + 0.5 * i; });
  const Forecast f = FitPredict("ets", s, 12);
  // A damped trend bends slightly below the line; a few steps stay within 2%.
  for (size_t k = 0; k < 6; ++k) {
    const double truth = 10 + 0.5 * static_cast<double>(s.size() + k);
    EXPECT_NEAR(f.p50[k], truth, 0.02 * truth) << "step " << k + 1;
  }
}

TEST(EtsTest, AdaptsToLevelShiftWithinAFewSteps) {
  Noise noise(1, 3);
  const size_t n = 2000;
  const Series s = MakeSeries(minutes(5), n, [&](size_t i) {
    return (i < n - 8 ? 100.0 : 200.0) + noise();
  });
  const Forecast f = FitPredict("ets", s, 6);
  EXPECT_NEAR(f.p50[0], 200, 10);
}

TEST(EtsTest, WarmStartKeepsParametersOnSameData) {
  Noise noise(1, 4);
  const Series s = MakeSeries(minutes(5), 2000, [&](size_t i) { return 50 + 0.01 * i + noise(); });
  EtsModel model({});
  ASSERT_TRUE(model.Fit(s).has_value());
  const EtsParams first = model.params();
  ASSERT_TRUE(model.Fit(s).has_value());
  EXPECT_NEAR(model.params().alpha, first.alpha, 0.05);
}

TEST(EtsTest, UsesDailySeasonWhenPresent) {
  Noise noise(1, 5);
  const Series s = MakeSeries(minutes(5), 4 * kDay5m,
                              [&](size_t i) { return DailySine(i, kDay5m, 100, 40) + noise(); });
  EtsModel model({});
  ASSERT_TRUE(model.Fit(s).has_value());
  EXPECT_EQ(model.period(), kDay5m);
  auto f = model.Predict(12);
  ASSERT_TRUE(f.has_value());
  EXPECT_NEAR(f->p50[6], DailySine(s.size() + 6, kDay5m, 100, 40), 6);
}

class ForecastShapeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ForecastShapeTest, ConstantSeriesGivesConstantForecast) {
  const Series s = MakeSeries(minutes(1), 3 * kDay1m, [](size_t) { return 42.0; });
  const Forecast f = FitPredict(GetParam(), s, 60);
  for (double v : f.p50) EXPECT_NEAR(v, 42.0, 1e-6);
  for (const auto& q : f.quantiles) {
    for (double v : q.values) EXPECT_NEAR(v, 42.0, 1e-6);
  }
}

TEST_P(ForecastShapeTest, BurstyNearZeroSeriesGivesFiniteNonNegativeOutput) {
  Noise noise(5, 6);
  const Series s = MakeSeries(minutes(5), 3 * kDay5m, [&](size_t i) {
    const double burst = i % 97 == 0 ? 500.0 : 0.0;
    return std::max(0.0, 1 + noise() + burst);
  });
  const Forecast f = FitPredict(GetParam(), s, 12);
  for (double v : f.p50) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, 0.0);
  }
  for (const auto& q : f.quantiles) {
    for (size_t k = 0; k < q.values.size(); ++k) {
      EXPECT_TRUE(std::isfinite(q.values[k]));
      EXPECT_GE(q.values[k], f.p50[k]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(NewModels, ForecastShapeTest,
                         ::testing::Values("ets", "mstl", "naive", "auto", "arima"),
                         [](const auto& info) { return info.param; });

// Coverage of p90 on white noise around a level, over many independent fits:
// the conformal offsets should cover about 90% of held-out points.
TEST(CoverageTest, AutoP90CoversAboutNinetyPercentOfNoise) {
  size_t covered = 0, total = 0;
  for (unsigned seed = 0; seed < 60; ++seed) {
    Noise noise(10, 100 + seed);
    const size_t n = 600 + 6;
    const Series full = MakeSeries(minutes(5), n, [&](size_t) { return 100 + noise(); });
    AutoModel model({});
    ASSERT_TRUE(model.Fit(synth::Prefix(full, n - 6)).has_value());
    auto f = model.Predict(6);
    ASSERT_TRUE(f.has_value());
    const std::vector<double>* p90 = f->At(0.9);
    ASSERT_NE(p90, nullptr);
    for (size_t k = 0; k < 6; ++k) {
      covered += full.values[n - 6 + k] <= (*p90)[k];
      ++total;
    }
  }
  const double coverage = static_cast<double>(covered) / static_cast<double>(total);
  EXPECT_GE(coverage, 0.87);
  EXPECT_LE(coverage, 0.93);
}

}  // namespace
}  // namespace kedastral::models
