#include "models/model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include "core/config.h"
#include "models/baseline.h"
#include "models/seasonal_naive.h"
#include "test_series.h"

namespace kedastral::models {
namespace {

using std::chrono::minutes;
using synth::DailySine;
using synth::MakeSeries;
using synth::Noise;
using synth::Prefix;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr size_t kDay1m = 1440;
constexpr size_t kDay5m = 288;

std::unique_ptr<Model> Make(const std::string& name, const ModelOptions& options = {}) {
  auto model = MakeModel(name, options);
  EXPECT_TRUE(model.has_value()) << (model ? "" : model.error().message);
  return model ? std::move(*model) : nullptr;
}

Forecast FitPredict(Model& model, const Series& history, size_t steps) {
  auto fit = model.Fit(history);
  EXPECT_TRUE(fit.has_value()) << (fit ? "" : fit.error().message);
  auto forecast = model.Predict(steps);
  EXPECT_TRUE(forecast.has_value()) << (forecast ? "" : forecast.error().message);
  return forecast ? *forecast : Forecast{};
}

// p50 >= 0, every quantile >= p50 and >= the level below it, step by step.
void ExpectMonotoneNonNegative(const Forecast& f) {
  for (size_t k = 0; k < f.p50.size(); ++k) {
    EXPECT_GE(f.p50[k], 0.0) << "step " << k;
    double below = f.p50[k];
    for (const QuantileSeries& q : f.quantiles) {
      ASSERT_EQ(q.values.size(), f.p50.size());
      EXPECT_GE(q.values[k], below) << QuantileName(q.level) << " step " << k;
      below = q.values[k];
    }
  }
}

Series SineDays(size_t days, double sigma, unsigned seed) {
  Noise noise(sigma, seed);
  return MakeSeries(minutes(1), days * kDay1m,
                    [&](size_t i) { return DailySine(i, kDay1m, 100, 50) + noise(); });
}

// Series with rare large spikes on a low, noisy floor (never negative).
Series Spiky(size_t n, unsigned seed) {
  Noise noise(1, seed);
  return MakeSeries(minutes(1), n, [&](size_t i) {
    const double spike = (i % 97 == 13 || i % 331 == 7) ? 500 : 0;
    return std::max(0.0, 2 + noise()) + spike;
  });
}

// --- Factory ---------------------------------------------------------------

TEST(MakeModelTest, ListsItsNames) {
  EXPECT_THAT(ModelNames(),
              ElementsAre("arima", "auto", "baseline", "ets", "mstl", "naive", "seasonal_naive"));
}

// core/config.cc keeps its own copy of the names (core cannot depend on models).
TEST(MakeModelTest, ConfigAcceptsExactlyTheseNames) {
  auto config_with = [](const std::string& model) {
    return ParseConfig("sources: {s: {type: replay, file: x.csv}}\n"
                       "workloads: [{name: w, source: s, model: " + model + "}]\n",
                       "cfg.yaml", ".");
  };
  for (const std::string& name : ModelNames()) {
    EXPECT_TRUE(config_with(name).has_value()) << name;
  }
  EXPECT_FALSE(config_with("not_a_model").has_value());
}

TEST(MakeModelTest, CreatesEveryListedModelUnderItsName) {
  for (const std::string& name : ModelNames()) {
    auto model = Make(name);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->name(), name);
  }
}

TEST(MakeModelTest, RejectsUnknownName) {
  auto model = MakeModel("prophet", {});
  ASSERT_FALSE(model.has_value());
  EXPECT_EQ(model.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(model.error().message, HasSubstr("seasonal_naive"));
}

TEST(MakeModelTest, RejectsQuantileLevelOutsideUpperHalf) {
  ModelOptions options;
  options.quantile_levels = {0.4};
  auto model = MakeModel("baseline", options);
  ASSERT_FALSE(model.has_value());
  EXPECT_EQ(model.error().code, ErrorCode::kInvalidArgument);
}

TEST(MakeModelTest, RejectsUnsortedQuantileLevels) {
  ModelOptions options;
  options.quantile_levels = {0.95, 0.9};
  EXPECT_FALSE(MakeModel("baseline", options).has_value());
}

TEST(MakeModelTest, RejectsZeroSeasonalPeriod) {
  ModelOptions options;
  options.seasonal_periods = {0};
  EXPECT_FALSE(MakeModel("seasonal_naive", options).has_value());
}

// --- Contract, for every model ---------------------------------------------

class ModelContractTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelContractTest, PredictBeforeFitFails) {
  auto model = Make(GetParam());
  auto forecast = model->Predict(10);
  ASSERT_FALSE(forecast.has_value());
  EXPECT_EQ(forecast.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(ModelContractTest, TooShortHistoryFailsCleanly) {
  auto model = Make(GetParam());
  auto fit = model->Fit(MakeSeries(minutes(1), 2, [](size_t) { return 1.0; }));
  ASSERT_FALSE(fit.has_value());
  EXPECT_EQ(fit.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(model->Predict(5).has_value());
}

TEST_P(ModelContractTest, NonFiniteHistoryFails) {
  auto model = Make(GetParam());
  auto history = MakeSeries(minutes(1), 100, [](size_t) { return 1.0; });
  history.values[50] = std::numeric_limits<double>::infinity();
  auto fit = model->Fit(history);
  ASSERT_FALSE(fit.has_value());
  EXPECT_EQ(fit.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(ModelContractTest, FailedFitForgetsEarlierFit) {
  auto model = Make(GetParam());
  ASSERT_TRUE(model->Fit(SineDays(2, 1, 1)).has_value());
  ASSERT_FALSE(model->Fit(MakeSeries(minutes(1), 1, [](size_t) { return 1.0; })).has_value());
  EXPECT_FALSE(model->Predict(5).has_value());
}

TEST_P(ModelContractTest, ForecastStartsAfterHistoryWithRequestedShape) {
  ModelOptions options;
  options.quantile_levels = {0.8, 0.9, 0.99};
  auto model = Make(GetParam(), options);
  const Series history = SineDays(2, 2, 2);
  const Forecast f = FitPredict(*model, history, 30);
  EXPECT_EQ(f.start, history.End());
  EXPECT_EQ(f.step, history.step);
  EXPECT_EQ(f.p50.size(), 30u);
  ASSERT_EQ(f.quantiles.size(), 3u);
  EXPECT_DOUBLE_EQ(f.quantiles[0].level, 0.8);
  EXPECT_DOUBLE_EQ(f.quantiles[1].level, 0.9);
  EXPECT_DOUBLE_EQ(f.quantiles[2].level, 0.99);
}

TEST_P(ModelContractTest, ZerosGiveZeroForecastAndQuantiles) {
  auto model = Make(GetParam());
  const Forecast f =
      FitPredict(*model, MakeSeries(minutes(1), 3000, [](size_t) { return 0.0; }), 30);
  ExpectMonotoneNonNegative(f);
  for (double v : f.p50) EXPECT_EQ(v, 0.0);
  for (const auto& q : f.quantiles) {
    for (double v : q.values) EXPECT_EQ(v, 0.0);
  }
}

TEST_P(ModelContractTest, SpikyQuantilesAreMonotoneAndNonNegative) {
  auto model = Make(GetParam());
  const Forecast f = FitPredict(*model, Spiky(3 * kDay1m, 3), 60);
  ExpectMonotoneNonNegative(f);
}

TEST_P(ModelContractTest, DecliningSeriesNeverForecastsBelowZero) {
  auto model = Make(GetParam());
  const Forecast f =
      FitPredict(*model, MakeSeries(minutes(1), 200, [](size_t i) { return 200.0 - i; }), 30);
  ExpectMonotoneNonNegative(f);
}

TEST_P(ModelContractTest, ShortHistoryStillForecastsWithFallbackSpread) {
  auto model = Make(GetParam());
  const Forecast f = FitPredict(
      *model, MakeSeries(minutes(1), 5, [](size_t i) { return 10.0 + (i % 2 ? 2 : -2); }), 4);
  ASSERT_EQ(f.p50.size(), 4u);
  ExpectMonotoneNonNegative(f);
  EXPECT_GT(f.quantiles[0].values[0], f.p50[0]);
}

INSTANTIATE_TEST_SUITE_P(AllModels, ModelContractTest, ::testing::ValuesIn(ModelNames()),
                         [](const auto& info) { return info.param; });

// --- Seasonal naive --------------------------------------------------------

TEST(SeasonalNaiveTest, DefaultPeriodIsOneDayOnTheGrid) {
  EXPECT_EQ(SeasonalNaivePeriod({}, 10 * kDay1m, minutes(1)), kDay1m);
  EXPECT_EQ(SeasonalNaivePeriod({}, 10 * kDay5m, minutes(5)), kDay5m);
}

TEST(SeasonalNaiveTest, UsesGivenSeasonalPeriod) {
  ModelOptions options;
  options.seasonal_periods = {7};
  EXPECT_EQ(SeasonalNaivePeriod(options, 100, minutes(1)), 7u);
}

TEST(SeasonalNaiveTest, FallsBackToOneHourWhenShorterThanADay) {
  EXPECT_EQ(SeasonalNaivePeriod({}, 100, minutes(1)), 60u);
}

TEST(SeasonalNaiveTest, FallsBackToADayWhenShorterThanGivenPeriod) {
  ModelOptions options;
  options.seasonal_periods = {7 * kDay1m};
  EXPECT_EQ(SeasonalNaivePeriod(options, 2 * kDay1m, minutes(1)), kDay1m);
}

TEST(SeasonalNaiveTest, FallsBackToLastValueWhenShorterThanAnHour) {
  EXPECT_EQ(SeasonalNaivePeriod({}, 30, minutes(1)), 1u);
}

TEST(SeasonalNaiveTest, RepeatsLastPeriodWrappingForward) {
  ModelOptions options;
  options.seasonal_periods = {4};
  SeasonalNaiveModel model(options);
  const Forecast f =
      FitPredict(model, MakeSeries(minutes(1), 10, [](size_t i) { return i * 10.0; }), 10);
  // Last period is 60, 70, 80, 90.
  EXPECT_THAT(f.p50, ElementsAre(60, 70, 80, 90, 60, 70, 80, 90, 60, 70));
}

TEST(SeasonalNaiveTest, DailySineP50IsCloseToTruth) {
  const double sigma = 3;
  const Series all = SineDays(3, sigma, 7);
  SeasonalNaiveModel model({});
  const size_t origin = all.size() - 120;
  const Forecast f = FitPredict(model, Prefix(all, origin), 60);
  double abs_sum = 0;
  for (size_t k = 0; k < f.p50.size(); ++k) {
    const double truth = DailySine(origin + k, kDay1m, 100, 50);
    EXPECT_NEAR(f.p50[k], truth, 5 * sigma) << "step " << k;
    abs_sum += std::abs(f.p50[k] - truth);
  }
  // The forecast's error is one day-old noise: mean |N(0, sigma)| = 0.8 sigma.
  EXPECT_LT(abs_sum / static_cast<double>(f.p50.size()), 1.2 * sigma);
}

TEST(SeasonalNaiveTest, DailySineP90CoversHeldOutPointsAtAboutNinetyPercent) {
  const Series all = SineDays(3, 3, 11);
  SeasonalNaiveModel model({});
  size_t covered = 0;
  size_t total = 0;
  // 12 origins over the last 6 hours, each scored on the 30 points after it.
  for (size_t j = 0; j < 12; ++j) {
    const size_t origin = all.size() - 360 + j * 25;
    const Forecast f = FitPredict(model, Prefix(all, origin), 30);
    const std::vector<double>* p90 = f.At(0.9);
    ASSERT_NE(p90, nullptr);
    for (size_t k = 0; k < 30 && origin + k < all.size(); ++k, ++total) {
      if (all.values[origin + k] <= (*p90)[k]) ++covered;
    }
  }
  const double coverage = static_cast<double>(covered) / static_cast<double>(total);
  EXPECT_GE(coverage, 0.75);
  EXPECT_LE(coverage, 0.99);
}

// --- Baseline --------------------------------------------------------------

TEST(BaselineTest, FollowsLinearTrendAtFiveMinuteSteps) {
  // Slope 2 per 5-minute point. The Go original scaled its per-point slope by
  // 1/60 per second, i.e. by 5 per point at this step: +120 instead of +24 an hour out.
  Noise noise(1, 5);
  const Series history =
      MakeSeries(minutes(5), 2 * kDay5m, [&](size_t i) { return 20 + 2.0 * i + noise(); });
  BaselineModel model({});
  const Forecast f = FitPredict(model, history, 12);
  for (size_t k = 0; k < 12; ++k) {
    const double truth = 20 + 2.0 * static_cast<double>(history.size() + k);
    EXPECT_NEAR(f.p50[k], truth, 5) << "step " << k;
  }
}

TEST(BaselineTest, DoesNotExtrapolateTrendBeyondItsWindow) {
  const Series history = MakeSeries(minutes(5), 2 * kDay5m, [](size_t i) { return 20 + 2.0 * i; });
  BaselineModel model({});
  const Forecast f = FitPredict(model, history, 48);
  // The trend is measured over the last hour (12 points) and extrapolated at most
  // that far, so steps 12..48 stay at the one-hour-ahead level.
  EXPECT_NEAR(f.p50[47], f.p50[11], 1e-6);
}

TEST(BaselineTest, UsesHourOfDayBuckets) {
  // Flat 10, except 50 during UTC hours 12 and 13, for three days at 5 minutes.
  const Series all = MakeSeries(minutes(5), 3 * kDay5m, [](size_t i) {
    const size_t hour = (i % kDay5m) / 12;
    return hour == 12 || hour == 13 ? 50.0 : 10.0;
  });
  // Fit up to 11:00 on day 3; step 1 is 11:00, step 13 is 12:00.
  const size_t origin = 2 * kDay5m + 11 * 12;
  BaselineModel model({});
  const Forecast f = FitPredict(model, Prefix(all, origin), 24);
  EXPECT_LT(f.p50[5], 20);   // 11:25
  EXPECT_GT(f.p50[18], 40);  // 12:30
}

TEST(BaselineTest, FitRecomputesBucketsFromGivenHistoryOnly) {
  Noise noise(2, 9);
  const Series a = SineDays(3, 2, 13);
  const Series b = MakeSeries(minutes(1), 2 * kDay1m, [&](size_t i) {
    return DailySine(i + 300, kDay1m, 40, 20) + 0.01 * i + noise();
  });
  BaselineModel reused({});
  ASSERT_TRUE(reused.Fit(a).has_value());
  const Forecast after_a = FitPredict(reused, b, 30);
  BaselineModel fresh({});
  const Forecast only_b = FitPredict(fresh, b, 30);
  EXPECT_EQ(after_a.p50, only_b.p50);
  ASSERT_EQ(after_a.quantiles.size(), only_b.quantiles.size());
  for (size_t l = 0; l < after_a.quantiles.size(); ++l) {
    EXPECT_EQ(after_a.quantiles[l].values, only_b.quantiles[l].values);
  }
}

TEST(BaselineTest, OriginForecastUsesOnlyEarlierData) {
  // Forecasting from origin o must not depend on values at or after o.
  const Series a = SineDays(3, 2, 17);
  Series b = a;
  const size_t origin = a.size() - 200;
  for (size_t i = origin; i < b.size(); ++i) b.values[i] += 1000;
  BaselineModel ma({});
  BaselineModel mb({});
  ASSERT_TRUE(ma.Fit(a).has_value());
  ASSERT_TRUE(mb.Fit(b).has_value());
  const std::vector<size_t> origins{origin};
  std::vector<double> fa, fb;
  ma.ForecastOrigins(origins, 30, &fa);
  mb.ForecastOrigins(origins, 30, &fb);
  EXPECT_EQ(fa, fb);
}

}  // namespace
}  // namespace kedastral::models
