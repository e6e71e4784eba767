#include "models/auto_model.h"

#include <gtest/gtest.h>

#include <chrono>

#include "models/describe.h"
#include "models/model.h"
#include "models/seasonal_naive.h"
#include "test_series.h"

namespace kedastral::models {
namespace {

using std::chrono::minutes;
using synth::DailySine;
using synth::MakeSeries;
using synth::Noise;

constexpr size_t kDay1m = 1440;

Series Seasonal(size_t n, unsigned seed) {
  Noise noise(2, seed);
  return MakeSeries(minutes(1), n,
                    [&](size_t i) { return DailySine(i, kDay1m, 100, 50) + noise(); });
}

// A steady climb with no daily shape: yesterday's value is 72 too low.
Series Trending(size_t n, unsigned seed) {
  Noise noise(1, seed);
  return MakeSeries(minutes(1), n, [&](size_t i) { return 10 + 0.05 * i + noise(); });
}

TEST(AutoModelTest, PicksSeasonalNaiveOnStronglySeasonalSeries) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Seasonal(3 * kDay1m, 1)).has_value());
  EXPECT_EQ(model.chosen(), "seasonal_naive");
}

TEST(AutoModelTest, PicksBaselineOnTrendingSeries) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Trending(3 * kDay1m, 2)).has_value());
  EXPECT_EQ(model.chosen(), "baseline");
}

TEST(AutoModelTest, NameStaysAuto) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Seasonal(3 * kDay1m, 3)).has_value());
  EXPECT_EQ(model.name(), "auto");
}

TEST(AutoModelTest, ChosenIsEmptyBeforeFit) {
  AutoModel model({});
  EXPECT_EQ(model.chosen(), "");
}

TEST(AutoModelTest, PredictsWithChosenModel) {
  const Series history = Seasonal(3 * kDay1m, 4);
  AutoModel automatic({});
  ASSERT_TRUE(automatic.Fit(history).has_value());
  SeasonalNaiveModel direct({});
  ASSERT_TRUE(direct.Fit(history).has_value());
  auto a = automatic.Predict(30);
  auto d = direct.Predict(30);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(a->p50, d->p50);
  EXPECT_EQ(a->quantiles[0].values, d->quantiles[0].values);
}

TEST(AutoModelTest, KeepsChoiceBetweenEvaluations) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Seasonal(3 * kDay1m, 5)).has_value());
  // Fits 2..10 only refit the chosen model, even on data where baseline wins.
  for (size_t fit = 2; fit <= AutoModel::kEvaluateEvery; ++fit) {
    ASSERT_TRUE(model.Fit(Trending(3 * kDay1m, 6)).has_value());
    EXPECT_EQ(model.chosen(), "seasonal_naive") << "fit " << fit;
  }
}

TEST(AutoModelTest, ReevaluatesOnEveryTenthFit) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Seasonal(3 * kDay1m, 7)).has_value());
  for (size_t fit = 2; fit <= AutoModel::kEvaluateEvery; ++fit) {
    ASSERT_TRUE(model.Fit(Trending(3 * kDay1m, 8)).has_value());
  }
  ASSERT_TRUE(model.Fit(Trending(3 * kDay1m, 8)).has_value());  // fit 11
  EXPECT_EQ(model.chosen(), "baseline");
}

TEST(AutoModelTest, ReevaluatesWhenHistoryLengthChangesALot) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Seasonal(2 * kDay1m, 9)).has_value());
  ASSERT_TRUE(model.Fit(Trending(3 * kDay1m, 10)).has_value());
  EXPECT_EQ(model.chosen(), "baseline");
}

TEST(AutoModelTest, PredictBeforeFitFails) {
  AutoModel model({});
  EXPECT_FALSE(model.Predict(5).has_value());
}

TEST(ModelLabelTest, ShowsAutoChoice) {
  auto model = MakeModel("auto", {});
  ASSERT_TRUE(model.has_value());
  ASSERT_TRUE((*model)->Fit(Seasonal(3 * kDay1m, 11)).has_value());
  EXPECT_EQ(ModelLabel(**model), "auto:seasonal_naive");
}

TEST(ModelLabelTest, IsPlainAutoBeforeFirstFit) {
  AutoModel model({});
  EXPECT_EQ(ModelLabel(model), "auto");
}

TEST(ModelLabelTest, IsNameForOtherModels) {
  auto model = MakeModel("baseline", {});
  ASSERT_TRUE(model.has_value());
  EXPECT_EQ(ModelLabel(**model), "baseline");
}

}  // namespace
}  // namespace kedastral::models
