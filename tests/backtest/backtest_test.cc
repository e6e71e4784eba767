#include "backtest/backtest.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "backtest/command.h"

namespace kedastral::backtest {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

Series Linear(size_t n, Duration step) {
  Series s;
  s.step = step;
  for (size_t i = 0; i < n; ++i) s.values.push_back(static_cast<double>(i));
  return s;
}

TEST(PlanOriginsTest, FollowsEvalProtocolAtFiveMinutes) {
  const auto plan = PlanOrigins(Linear(4040, minutes(5)), Options{});
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->horizon, 12u);
  EXPECT_EQ(plan->ppd, 288u);
  EXPECT_EQ(plan->start, 2424u);
  EXPECT_EQ(plan->window, 2016u);  // min(7 * 288, 2424)
  ASSERT_EQ(plan->origins.size(), 40u);
  EXPECT_EQ(plan->origins.front(), 2424u);
  EXPECT_EQ(plan->origins.back(), 4040u - 12u);
  EXPECT_EQ(plan->origins[1], 2424u + (1 * (4028u - 2424u)) / 39);
}

TEST(PlanOriginsTest, HorizonIsTwoStepsAtThirtyMinutes) {
  const auto plan = PlanOrigins(Linear(1000, minutes(30)), Options{});
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->horizon, 2u);
  EXPECT_EQ(plan->window, 336u);
}

TEST(PlanOriginsTest, DropsDuplicateOrigins) {
  const auto plan = PlanOrigins(Linear(40, hours(1)), Options{});  // e - s = 14
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->origins.size(), 15u);
}

TEST(PlanOriginsTest, OriginsFileReplacesEvenSpacing) {
  Options o;
  o.origin_indices = std::vector<size_t>{700, 650, 700};
  const auto plan = PlanOrigins(Linear(1000, minutes(5)), o);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->origins, (std::vector<size_t>{650, 700}));
}

TEST(PlanOriginsTest, RejectsOriginWhoseHorizonRunsPastTheEnd) {
  Options o;
  o.origin_indices = std::vector<size_t>{995};
  EXPECT_FALSE(PlanOrigins(Linear(1000, minutes(5)), o).has_value());
}

TEST(PlanOriginsTest, StrideSpacesOriginsFromTheStart) {
  Options o;
  o.stride = 100;
  const auto plan = PlanOrigins(Linear(1000, minutes(5)), o);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->origins, (std::vector<size_t>{600, 700, 800, 900}));
}

TEST(PlanOriginsTest, RejectsTooShortSeries) {
  EXPECT_FALSE(PlanOrigins(Linear(4, hours(1)), Options{}).has_value());
}

// Hourly y = i: naive misses by 1 and 2 at the two steps; the daily seasonal
// naive scale is 24, so MASE = 1.5 / 24 exactly.
TEST(ScoreSeriesTest, NaiveMaseOnLinearSeriesIsExact) {
  const Series s = Linear(400, hours(1));
  Options o;
  o.model = "naive";
  const auto plan = PlanOrigins(s, o);
  ASSERT_TRUE(plan.has_value());
  std::vector<OriginForecast> forecasts;
  for (size_t origin : plan->origins) forecasts.push_back(ForecastAt(s, *plan, origin, o));
  const auto report = ScoreSeries("linear", s, *plan, forecasts, o);
  ASSERT_TRUE(report.has_value());
  EXPECT_NEAR(report->mase, 1.5 / 24, 1e-12);
  EXPECT_NEAR(report->mae, 1.5, 1e-12);
  EXPECT_EQ(report->failed_origins, 0u);
}

TEST(ScoreSeriesTest, NaiveP50PlanEqualsReactiveAtStepOne) {
  const Series s = Linear(400, hours(1));
  Options o;
  o.model = "naive";
  const auto plan = PlanOrigins(s, o);
  std::vector<OriginForecast> forecasts;
  for (size_t origin : plan->origins) forecasts.push_back(ForecastAt(s, *plan, origin, o));
  const auto report = ScoreSeries("linear", s, *plan, forecasts, o);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->capacity_step1[0].policy, "p50");
  EXPECT_EQ(report->capacity_step1[2].policy, "reactive");
  EXPECT_DOUBLE_EQ(report->capacity_step1[0].under, report->capacity_step1[2].under);
  EXPECT_DOUBLE_EQ(report->capacity_step1[0].over, report->capacity_step1[2].over);
}

TEST(ScoreSeriesTest, FailsWhenEveryOriginFailed) {
  const Series s = Linear(400, hours(1));
  Options o;
  o.model = "no_such_model";
  const auto plan = PlanOrigins(s, o);
  std::vector<OriginForecast> forecasts;
  for (size_t origin : plan->origins) forecasts.push_back(ForecastAt(s, *plan, origin, o));
  EXPECT_FALSE(ScoreSeries("linear", s, *plan, forecasts, o).has_value());
}

TEST(RunAllTest, DumpsOneCsvPerSeriesWithEvalHeader) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("kedastral-backtest-" + std::to_string(::getpid()));
  Options o;
  o.model = "naive";
  const std::vector<NamedSeries> inputs{{"lin", Linear(400, hours(1))}};
  const auto reports = RunAll(inputs, o, 2, dir.string());
  ASSERT_TRUE(reports.has_value());
  std::ifstream in(dir / "lin.csv");
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  EXPECT_EQ(header, "origin_index,step,p50,p90,fit_ms");
  EXPECT_EQ(first.rfind("240,1,239,", 0), 0u) << first;
  std::filesystem::remove_all(dir);
}

TEST(RunAllTest, ParallelRunMatchesSerialRun) {
  Options o;
  o.model = "ets";
  Series s = Linear(600, minutes(5));
  for (size_t i = 0; i < s.size(); ++i) s.values[i] = 50 + 10 * std::sin(0.05 * i) + (i % 7);
  const std::vector<NamedSeries> inputs{{"a", s}, {"b", Linear(500, minutes(5))}};
  const auto serial = RunAll(inputs, o, 1, "");
  const auto parallel = RunAll(inputs, o, 4, "");
  ASSERT_TRUE(serial.has_value());
  ASSERT_TRUE(parallel.has_value());
  ASSERT_EQ(serial->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*serial)[i].mase, (*parallel)[i].mase);
    EXPECT_EQ((*serial)[i].quantiles[0].coverage, (*parallel)[i].quantiles[0].coverage);
  }
}

TEST(RunAllTest, JsonOutputHasSummaryAndSeries) {
  Options o;
  o.model = "naive";
  const auto reports = RunAll({{"lin", Linear(400, hours(1))}}, o, 1, "");
  ASSERT_TRUE(reports.has_value());
  std::ostringstream out;
  WriteJson(out, *reports, o);
  EXPECT_NE(out.str().find("\"gm_mase\""), std::string::npos);
  EXPECT_NE(out.str().find("\"name\":\"lin\""), std::string::npos);
}

TEST(ReadOriginsFileTest, SkipsCommentsAndRejectsGarbage) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("kedastral-origins-" + std::to_string(::getpid()));
  {
    std::ofstream(path) << "# origins\n10\n\n 20 \n";
  }
  const auto ok = ReadOriginsFile(path.string());
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, (std::vector<size_t>{10, 20}));
  {
    std::ofstream(path) << "10\nabc\n";
  }
  EXPECT_FALSE(ReadOriginsFile(path.string()).has_value());
  std::filesystem::remove(path);
}

// The shared nyc_taxi series: naive's MASE must match EVAL.md's reference (0.737),
// which checks the whole protocol (origins, window, scale) on real data.
TEST(SharedDatasetTest, NaiveMatchesEvalReferenceOnNycTaxi) {
  const std::string path = KEDASTRAL_SOURCE_DIR "/../shared/datasets/nab/nyc_taxi.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared datasets absent: " << path;
  const auto inputs = LoadInputs({path});
  ASSERT_TRUE(inputs.has_value());
  Options o;
  o.model = "naive";
  const auto reports = RunAll(*inputs, o, 2, "");
  ASSERT_TRUE(reports.has_value());
  EXPECT_NEAR(reports->front().mase, 0.737, 0.0005);
}

}  // namespace
}  // namespace kedastral::backtest
