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

// A random walk: the last value is the best forecast there is.
Series RandomWalk(size_t n, unsigned seed) {
  Noise noise(1, seed);
  double level = 100;
  return MakeSeries(minutes(1), n, [&](size_t) { return level += noise(); });
}

double WeightOf(const AutoModel& model, const std::string& name) {
  for (const auto& [n, w] : model.weights()) {
    if (n == name) return w;
  }
  return -1;
}

TEST(AutoModelTest, LeavesNaiveOutOnStronglySeasonalSeries) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Seasonal(3 * kDay1m, 1)).has_value());
  EXPECT_EQ(WeightOf(model, "naive"), 0.0);
  EXPECT_GT(WeightOf(model, "mstl") + WeightOf(model, "seasonal_naive"), 0.5);
}

TEST(AutoModelTest, LeavesSeasonalNaiveOutOnTrendingSeries) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Trending(3 * kDay1m, 2)).has_value());
  EXPECT_EQ(WeightOf(model, "seasonal_naive"), 0.0);
}

TEST(AutoModelTest, WeightsSumToOne) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(RandomWalk(3 * kDay1m, 3)).has_value());
  double total = 0;
  for (const auto& [n, w] : model.weights()) {
    EXPECT_GE(w, 0.0) << n;
    total += w;
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
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

TEST(AutoModelTest, ShortHistoryFallsBackToLastValue) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(RandomWalk(20, 4)).has_value());
  EXPECT_EQ(model.chosen(), "naive");
}

TEST(AutoModelTest, KeepsWeightsBetweenEvaluations) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Seasonal(3 * kDay1m, 5)).has_value());
  const auto first = model.weights();
  for (size_t fit = 2; fit <= AutoModel::kEvaluateEvery; ++fit) {
    ASSERT_TRUE(model.Fit(Trending(3 * kDay1m, 6)).has_value());
    EXPECT_EQ(model.weights(), first) << "fit " << fit;
  }
}

TEST(AutoModelTest, ReevaluatesOnEveryTenthFit) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Seasonal(3 * kDay1m, 7)).has_value());
  ASSERT_GT(WeightOf(model, "seasonal_naive") + WeightOf(model, "mstl"), 0.5);
  for (size_t fit = 2; fit <= AutoModel::kEvaluateEvery + 1; ++fit) {
    ASSERT_TRUE(model.Fit(Trending(3 * kDay1m, 8)).has_value());
  }
  EXPECT_EQ(WeightOf(model, "seasonal_naive"), 0.0);
}

TEST(AutoModelTest, ReevaluatesWhenHistoryLengthChangesALot) {
  AutoModel model({});
  ASSERT_TRUE(model.Fit(Seasonal(2 * kDay1m, 9)).has_value());
  ASSERT_TRUE(model.Fit(Trending(3 * kDay1m, 10)).has_value());
  EXPECT_EQ(WeightOf(model, "seasonal_naive"), 0.0);
}

TEST(AutoModelTest, PredictBeforeFitFails) {
  AutoModel model({});
  EXPECT_FALSE(model.Predict(5).has_value());
}

TEST(ModelLabelTest, ShowsAutoChoice) {
  auto model = MakeModel("auto", {});
  ASSERT_TRUE(model.has_value());
  ASSERT_TRUE((*model)->Fit(Seasonal(3 * kDay1m, 11)).has_value());
  const auto* automatic = dynamic_cast<const AutoModel*>(model->get());
  ASSERT_NE(automatic, nullptr);
  EXPECT_EQ(ModelLabel(**model), "auto:" + std::string(automatic->chosen()));
  EXPECT_FALSE(automatic->chosen().empty());
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
