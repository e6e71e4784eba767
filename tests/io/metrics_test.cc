#include "io/metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "core/snapshot.h"
#include "core/snapshot_table.h"

namespace kedastral::io {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kStart = std::chrono::time_point_cast<Duration>(
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + std::chrono::hours{10});

std::shared_ptr<WorkloadSpec> MakeSpec(std::string name) {
  auto spec = std::make_shared<WorkloadSpec>();
  spec->name = name;
  spec->lead_time = minutes(2);
  return spec;
}

std::shared_ptr<Snapshot> MakeSnapshot(std::string workload) {
  auto s = std::make_shared<Snapshot>();
  s->workload = workload;
  s->generated_at = kStart - seconds(30);
  s->start = kStart;
  s->step = minutes(1);
  s->values = {100, 200, 300, 250, 150};
  s->quantiles = {{0.9, {110, 220, 330, 275, 165}}};
  s->replicas = {1, 2, 5, 3, 7};
  s->model = "seasonal_naive";
  return s;
}

// The value of the sample written exactly as `series` (name plus labels as the text
// format prints them), or nullopt when the exposition has no such line.
std::optional<double> Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

bool Mentions(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest() : metrics_(table_) {}

  SnapshotTable table_;
  Metrics metrics_;
};

TEST_F(MetricsTest, PredictedValueIsTheStepContainingNowPerQuantile) {
  table_.SetWorkloads({MakeSpec("a")});
  table_.Publish(MakeSnapshot("a"));

  std::string text = metrics_.Serialize(kStart + seconds(130));  // step 2

  EXPECT_EQ(Sample(text, R"(kedastral_predicted_value{quantile="p50",workload="a"})"), 300);
  EXPECT_EQ(Sample(text, R"(kedastral_predicted_value{quantile="p90",workload="a"})"), 330);
}

TEST_F(MetricsTest, PredictedValueBeforeTheForecastStartsIsTheFirstStep) {
  table_.SetWorkloads({MakeSpec("a")});
  table_.Publish(MakeSnapshot("a"));

  std::string text = metrics_.Serialize(kStart - seconds(20));

  EXPECT_EQ(Sample(text, R"(kedastral_predicted_value{quantile="p50",workload="a"})"), 100);
}

TEST_F(MetricsTest, PredictedValueIsAbsentAfterTheForecastEnds) {
  table_.SetWorkloads({MakeSpec("a")});
  table_.Publish(MakeSnapshot("a"));

  std::string text = metrics_.Serialize(kStart + minutes(5));  // one past the last step

  EXPECT_FALSE(Mentions(text, "kedastral_predicted_value{"));
}

TEST_F(MetricsTest, DesiredReplicasIsTheMaxOverTheLeadTime) {
  table_.SetWorkloads({MakeSpec("a")});
  table_.Publish(MakeSnapshot("a"));

  // [90 s, 210 s] overlaps steps 1..3: max(2, 5, 3).
  std::string text = metrics_.Serialize(kStart + seconds(90));

  EXPECT_EQ(Sample(text, R"(kedastral_desired_replicas{workload="a"})"), 5);
}

TEST_F(MetricsTest, ForecastAgeIsMeasuredAtScrapeTime) {
  table_.SetWorkloads({MakeSpec("a")});
  table_.Publish(MakeSnapshot("a"));

  EXPECT_EQ(Sample(metrics_.Serialize(kStart), R"(kedastral_forecast_age_seconds{workload="a"})"),
            30);
  EXPECT_EQ(Sample(metrics_.Serialize(kStart + seconds(45)),
                   R"(kedastral_forecast_age_seconds{workload="a"})"),
            75);
}

TEST_F(MetricsTest, WorkloadWithoutForecastHasNoScrapeTimeSeries) {
  table_.SetWorkloads({MakeSpec("a")});

  std::string text = metrics_.Serialize(kStart);

  EXPECT_FALSE(Mentions(text, R"(workload="a")"));
  EXPECT_TRUE(Mentions(text, "# TYPE kedastral_desired_replicas gauge"));
}

TEST_F(MetricsTest, ScrapeTimeSeriesVanishWhenTheWorkloadLeavesTheTable) {
  table_.SetWorkloads({MakeSpec("a"), MakeSpec("b")});
  table_.Publish(MakeSnapshot("a"));
  table_.Publish(MakeSnapshot("b"));
  ASSERT_TRUE(Mentions(metrics_.Serialize(kStart), R"(kedastral_desired_replicas{workload="a"})"));

  table_.SetWorkloads({MakeSpec("b")});
  std::string text = metrics_.Serialize(kStart);

  EXPECT_FALSE(Mentions(text, R"(workload="a")"));
  EXPECT_TRUE(Mentions(text, R"(kedastral_desired_replicas{workload="b"})"));
}

std::shared_ptr<Snapshot> WithAccuracy(std::shared_ptr<Snapshot> s) {
  AccuracyStats hour;
  hour.window = std::chrono::hours(1);
  hour.points = 60;
  hour.mase = 0.75;
  hour.mape = 12.5;
  hour.p90_coverage = 0.9;
  hour.underprovision_seconds = 120;
  AccuracyStats day;  // nothing scored yet in this one: errors undefined
  day.window = std::chrono::hours(24);
  s->accuracy = {hour, day};
  s->underprovision_seconds_total = 300;
  s->actuals.start = kStart - minutes(3);
  s->actuals.values = {90, 95, 97};
  return s;
}

TEST_F(MetricsTest, ForecastErrorIsReportedPerMeasureAndWindow) {
  table_.SetWorkloads({MakeSpec("a")});
  table_.Publish(WithAccuracy(MakeSnapshot("a")));
  std::string text = metrics_.Serialize(kStart);

  EXPECT_EQ(Sample(text, R"(kedastral_forecast_error{metric="mase",window="1h",workload="a"})"),
            0.75);
  EXPECT_EQ(Sample(text, R"(kedastral_forecast_error{metric="mape",window="1h",workload="a"})"),
            12.5);
  EXPECT_EQ(
      Sample(text, R"(kedastral_forecast_error{metric="p90_coverage",window="1h",workload="a"})"),
      0.9);
  // Undefined measures have no sample rather than NaN.
  EXPECT_FALSE(Mentions(text, R"(metric="mase",window="24h")"));
}

TEST_F(MetricsTest, UnderprovisionSecondsAreACounterAndPerWindowGauges) {
  table_.SetWorkloads({MakeSpec("a")});
  table_.Publish(WithAccuracy(MakeSnapshot("a")));
  std::string text = metrics_.Serialize(kStart);

  EXPECT_TRUE(Mentions(text, "# TYPE kedastral_underprovision_seconds_total counter"));
  EXPECT_EQ(Sample(text, R"(kedastral_underprovision_seconds_total{workload="a"})"), 300);
  EXPECT_EQ(Sample(text, R"(kedastral_underprovision_seconds{window="1h",workload="a"})"), 120);
  EXPECT_EQ(Sample(text, R"(kedastral_underprovision_seconds{window="24h",workload="a"})"), 0);
}

TEST_F(MetricsTest, ModelInfoAndActualValueDescribeTheNewestSnapshot) {
  table_.SetWorkloads({MakeSpec("a")});
  auto s = WithAccuracy(MakeSnapshot("a"));
  s->model = "auto:seasonal_naive";
  table_.Publish(s);
  std::string text = metrics_.Serialize(kStart);

  EXPECT_EQ(Sample(text, R"(kedastral_model_info{model="auto:seasonal_naive",workload="a"})"), 1);
  EXPECT_EQ(Sample(text, R"(kedastral_actual_value{workload="a"})"), 97);
}

TEST_F(MetricsTest, AccuracySeriesVanishWhenTheWorkloadLeavesTheTable) {
  table_.SetWorkloads({MakeSpec("a"), MakeSpec("b")});
  table_.Publish(WithAccuracy(MakeSnapshot("a")));
  table_.Publish(WithAccuracy(MakeSnapshot("b")));
  ASSERT_TRUE(Mentions(metrics_.Serialize(kStart),
                       R"(kedastral_forecast_error{metric="mase",window="1h",workload="a"})"));

  table_.SetWorkloads({MakeSpec("b")});
  std::string text = metrics_.Serialize(kStart);

  EXPECT_FALSE(Mentions(text, R"(workload="a")"));
  EXPECT_TRUE(Mentions(text, R"(kedastral_underprovision_seconds_total{workload="b"})"));
  EXPECT_TRUE(Mentions(text, R"(kedastral_model_info{model="seasonal_naive",workload="b"})"));
}

TEST_F(MetricsTest, CycleDoneCountsByResult) {
  metrics_.CycleDone("a", 0.5, true);
  metrics_.CycleDone("a", 0.5, true);
  metrics_.CycleDone("a", 1.0, false);

  std::string text = metrics_.Serialize(kStart);

  EXPECT_EQ(Sample(text, R"(kedastral_cycles_total{result="ok",workload="a"})"), 2);
  EXPECT_EQ(Sample(text, R"(kedastral_cycles_total{result="error",workload="a"})"), 1);
}

TEST_F(MetricsTest, CycleDoneObservesTheDuration) {
  metrics_.CycleDone("a", 0.5, true);
  metrics_.CycleDone("a", 1.5, false);

  std::string text = metrics_.Serialize(kStart);

  EXPECT_EQ(Sample(text, R"(kedastral_cycle_duration_seconds_count{workload="a"})"), 2);
  EXPECT_EQ(Sample(text, R"(kedastral_cycle_duration_seconds_sum{workload="a"})"), 2.0);
}

TEST_F(MetricsTest, FitDoneLabelsTheModel) {
  metrics_.FitDone("a", "holt_winters", 0.2);

  std::string text = metrics_.Serialize(kStart);

  EXPECT_EQ(
      Sample(text, R"(kedastral_fit_duration_seconds_count{model="holt_winters",workload="a"})"),
      1);
}

TEST_F(MetricsTest, FitDoneKeepsTheModelLabelBounded) {
  for (size_t i = 0; i < Metrics::kMaxModelsPerWorkload + 5; ++i) {
    metrics_.FitDone("a", "model_" + std::to_string(i), 0.1);
  }
  metrics_.FitDone("a", "not a model name!", 0.1);

  std::string text = metrics_.Serialize(kStart);

  size_t series = 0;
  for (size_t pos = 0;
       (pos = text.find("kedastral_fit_duration_seconds_count{", pos)) != std::string::npos;
       ++pos) {
    ++series;
  }
  EXPECT_EQ(series, Metrics::kMaxModelsPerWorkload);
  EXPECT_EQ(Sample(text, R"(kedastral_fit_duration_seconds_count{model="other",workload="a"})"), 7);
}

TEST_F(MetricsTest, FetchDoneCountsBySourceAndResult) {
  metrics_.FetchDone("prom", 0.1, true, 100);
  metrics_.FetchDone("prom", 0.2, false, 0);

  std::string text = metrics_.Serialize(kStart);

  EXPECT_EQ(Sample(text, R"(kedastral_source_fetch_total{result="ok",source="prom"})"), 1);
  EXPECT_EQ(Sample(text, R"(kedastral_source_fetch_total{result="error",source="prom"})"), 1);
  EXPECT_EQ(Sample(text, R"(kedastral_source_fetch_duration_seconds_count{source="prom"})"), 2);
}

TEST_F(MetricsTest, WorkloadRemovedDropsItsEventSeries) {
  metrics_.CycleDone("a", 0.5, true);
  metrics_.FitDone("a", "baseline", 0.1);
  metrics_.CycleDone("b", 0.5, true);

  metrics_.WorkloadRemoved("a");
  std::string text = metrics_.Serialize(kStart);

  EXPECT_FALSE(Mentions(text, R"(workload="a")"));
  EXPECT_EQ(Sample(text, R"(kedastral_cycles_total{result="ok",workload="b"})"), 1);
}

TEST_F(MetricsTest, WorkloadReportedAfterRemovalStartsFromZero) {
  metrics_.CycleDone("a", 0.5, true);
  metrics_.WorkloadRemoved("a");

  metrics_.CycleDone("a", 0.5, true);

  EXPECT_EQ(
      Sample(metrics_.Serialize(kStart), R"(kedastral_cycles_total{result="ok",workload="a"})"), 1);
}

TEST_F(MetricsTest, HttpRequestDoneCountsRouteAndCode) {
  metrics_.HttpRequestDone("/forecast", 200, 0.001);
  metrics_.HttpRequestDone("/forecast", 200, 0.001);
  metrics_.HttpRequestDone("/forecast", 404, 0.001);

  std::string text = metrics_.Serialize(kStart);

  EXPECT_EQ(Sample(text, R"(kedastral_http_requests_total{code="200",route="/forecast"})"), 2);
  EXPECT_EQ(Sample(text, R"(kedastral_http_requests_total{code="404",route="/forecast"})"), 1);
  EXPECT_EQ(Sample(text, R"(kedastral_http_request_duration_seconds_count{route="/forecast"})"), 3);
}

TEST_F(MetricsTest, GrpcRequestDoneNamesTheStatusCode) {
  metrics_.GrpcRequestDone("GetMetrics", 0, 0.0001);
  metrics_.GrpcRequestDone("GetMetrics", 14, 0.0001);
  metrics_.GrpcRequestDone("GetMetrics", 99, 0.0001);

  std::string text = metrics_.Serialize(kStart);

  EXPECT_EQ(Sample(text, R"(kedastral_grpc_requests_total{code="OK",method="GetMetrics"})"), 1);
  EXPECT_EQ(
      Sample(text, R"(kedastral_grpc_requests_total{code="UNAVAILABLE",method="GetMetrics"})"), 1);
  EXPECT_EQ(Sample(text, R"(kedastral_grpc_requests_total{code="UNKNOWN",method="GetMetrics"})"),
            1);
  EXPECT_EQ(Sample(text, R"(kedastral_grpc_request_duration_seconds_count{method="GetMetrics"})"),
            3);
}

TEST_F(MetricsTest, ConcurrentReportsAreAllCounted) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        metrics_.CycleDone("a", 0.1, true);
        metrics_.CycleDone("gone" + std::to_string(t), 0.1, true);
        metrics_.WorkloadRemoved("gone" + std::to_string(t));
        metrics_.HttpRequestDone("/healthz", 200, 0.001);
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::string text = metrics_.Serialize(kStart);

  EXPECT_EQ(Sample(text, R"(kedastral_cycles_total{result="ok",workload="a"})"),
            kThreads * kPerThread);
  EXPECT_EQ(Sample(text, R"(kedastral_http_requests_total{code="200",route="/healthz"})"),
            kThreads * kPerThread);
  EXPECT_FALSE(Mentions(text, "gone"));
}

}  // namespace
}  // namespace kedastral::io
