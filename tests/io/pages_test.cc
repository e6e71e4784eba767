#include "io/pages.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>

#include "core/config.h"
#include "core/snapshot.h"

namespace kedastral::io {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-22T10:00:00Z: now, and the forecast's first step.
const TimePoint kNow = std::chrono::time_point_cast<Duration>(
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + hours{10});

std::shared_ptr<WorkloadSpec> MakeSpec(std::string name) {
  auto spec = std::make_shared<WorkloadSpec>();
  spec->name = std::move(name);
  spec->query = "rps";
  spec->source = "demo";
  spec->lead_time = minutes(2);
  spec->interval = seconds(30);
  spec->stale_after = minutes(5);
  spec->capacity.target_per_pod = 20;
  return spec;
}

// Five one-minute steps from now; two hours of actual values before it; one earlier
// forecast; and a 1 h accuracy record.
std::shared_ptr<Snapshot> MakeSnapshot(std::string workload) {
  auto s = std::make_shared<Snapshot>();
  s->workload = std::move(workload);
  s->generated_at = kNow - seconds(20);
  s->start = kNow;
  s->step = minutes(1);
  s->values = {100, 120, 140, 130, 110};
  s->quantiles = {{0.9, {110, 135, 160, 150, 125}}};
  s->replicas = {6, 7, 8, 8, 7};
  s->model = "auto:seasonal_naive";
  s->actuals.start = kNow - hours(2);
  s->actuals.step = minutes(1);
  s->actuals.values.assign(120, 90.0);
  PastForecast earlier;
  earlier.generated_at = kNow - minutes(30);
  earlier.p50 = Series{kNow - minutes(30), minutes(1), std::vector<double>(30, 95.0)};
  s->earlier_forecasts = {earlier};
  AccuracyStats hour;
  hour.window = hours(1);
  hour.points = 60;
  hour.mase = 0.8;
  hour.mape = 7.25;
  hour.p90_coverage = 0.9;
  hour.underprovision_seconds = 120;
  AccuracyStats day = hour;
  day.window = hours(24);
  s->accuracy = {hour, day};
  s->mase_scale = "in-sample one-step naive";
  return s;
}

SnapshotTable::Entry Entry(std::shared_ptr<WorkloadSpec> spec, std::shared_ptr<Snapshot> s) {
  return {std::move(spec), std::move(s)};
}

bool Has(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

size_t Count(const std::string& text, const std::string& fragment) {
  size_t n = 0;
  for (size_t p = text.find(fragment); p != std::string::npos; p = text.find(fragment, p + 1)) ++n;
  return n;
}

TEST(HtmlEscapeTest, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(HtmlEscape(R"(<a href="x">'&'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST(FormatNumberTest, KeepsAFewSignificantDecimals) {
  EXPECT_EQ(FormatNumber(1234.4), "1234");
  EXPECT_EQ(FormatNumber(12.34), "12.3");
  EXPECT_EQ(FormatNumber(1.5), "1.5");
  EXPECT_EQ(FormatNumber(0.1234), "0.123");
  EXPECT_EQ(FormatNumber(0), "0");
  EXPECT_EQ(FormatNumber(AccuracyStats::kNaN), "\u2013");
}

TEST(ForecastChartTest, DrawsEverySeriesAndTheLeadWindow) {
  auto spec = MakeSpec("api");
  std::string svg = RenderForecastChart(*spec, *MakeSnapshot("api"), kNow);
  EXPECT_TRUE(Has(svg, "<svg id=\"forecast-chart\""));
  EXPECT_TRUE(Has(svg, "class=\"actual\""));
  EXPECT_TRUE(Has(svg, "class=\"forecast-p50\""));
  EXPECT_TRUE(Has(svg, "class=\"p90-band\""));
  EXPECT_TRUE(Has(svg, "class=\"replicas\""));
  EXPECT_TRUE(Has(svg, "class=\"lead-window\""));
  EXPECT_TRUE(Has(svg, "class=\"earlier-forecast\" data-generated=\"2026-11-22T09:30:00Z\""));
  EXPECT_TRUE(Has(svg, ">lead time 2m<"));
  EXPECT_TRUE(Has(svg, ">time (UTC)<"));
  EXPECT_TRUE(Has(svg, ">replicas<"));
  EXPECT_TRUE(Has(svg, "20 per pod"));
}

TEST(ForecastChartTest, TimeLabelsAreRoundUtcTimesAcrossTheRange) {
  // The range is 08:00 .. 10:05, 125 minutes: 15-minute labels (at most 9).
  std::string svg = RenderForecastChart(*MakeSpec("api"), *MakeSnapshot("api"), kNow);
  EXPECT_EQ(Count(svg, "class=\"x-tick\""), 8u);
  EXPECT_TRUE(Has(svg, ">08:15</text>"));
  EXPECT_TRUE(Has(svg, ">10:00</text>"));
  EXPECT_FALSE(Has(svg, ">10:15</text>"));
}

TEST(ForecastChartTest, AxesEndOnNiceNumbersAboveTheLargestValue) {
  // Largest value 160 (p90): x1.05 = 168, 5 ticks of 50 -> 0..200; replicas up to 8:
  // x1.1 = 8.8, step 2 -> 0..10.
  std::string svg = RenderForecastChart(*MakeSpec("api"), *MakeSnapshot("api"), kNow);
  EXPECT_EQ(Count(svg, "class=\"y-tick\""), 5u);
  EXPECT_TRUE(Has(svg, ">200</text>"));
  EXPECT_EQ(Count(svg, "class=\"y2-tick\""), 6u);
  EXPECT_TRUE(Has(svg, ">10</text>"));
}

TEST(ForecastChartTest, LeadWindowSpansTheLeadTimeOnTheTimeAxis) {
  // Plot width 864 over 125 minutes; 2 minutes -> 13.824 units, from x = 72 + 864 * 120/125.
  std::string svg = RenderForecastChart(*MakeSpec("api"), *MakeSnapshot("api"), kNow);
  EXPECT_TRUE(Has(svg, "class=\"lead-window\" x=\"901.4\" y=\"44.0\" width=\"13.8\""));
}

TEST(ForecastChartTest, ReplicasAreAStepLineHeldOverEachStep) {
  std::string svg = RenderForecastChart(*MakeSpec("api"), *MakeSnapshot("api"), kNow);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("class=\"replicas\" d=\"([^\"]*)\"")));
  const std::string d = m[1];
  EXPECT_EQ(Count(d, "M"), 1u);
  EXPECT_EQ(Count(d, "L"), 9u);  // two points per step, joined
}

TEST(IndexPageTest, ShowsEachWorkloadsStateNumbersAndAccuracy) {
  auto spec = MakeSpec("api");
  std::string html = RenderIndexPage({Entry(spec, MakeSnapshot("api"))}, kNow);
  EXPECT_TRUE(Has(html, "<meta http-equiv=\"refresh\" content=\"30\">"));
  EXPECT_TRUE(Has(html, "href=\"/ui/workload?name=api\""));
  EXPECT_TRUE(Has(html, "<span class=\"badge ok\">ok</span>"));
  EXPECT_TRUE(Has(html, "auto:seasonal_naive"));
  EXPECT_TRUE(Has(html, "<td class=\"num\">20s</td>"));       // forecast age
  EXPECT_TRUE(Has(html, "<td class=\"num\">6</td>"));         // replicas now
  EXPECT_TRUE(Has(html, "<td class=\"num planned\">8</td>"));  // max over 2 min
  EXPECT_TRUE(Has(html, "<td class=\"num\">0.8</td>"));       // MASE 1h
  EXPECT_TRUE(Has(html, "<td class=\"num\">7.25%</td>"));     // MAPE 1h
  EXPECT_TRUE(Has(html, "<td class=\"num\">90%</td>"));       // p90 coverage 1h
  EXPECT_TRUE(Has(html, "<td class=\"num\">120 s</td>"));     // underprovisioned 24h
}

TEST(IndexPageTest, ReplicasNowIsTheFirstStepBeforeTheForecastStarts) {
  auto s = MakeSnapshot("api");
  std::string html = RenderIndexPage({Entry(MakeSpec("api"), s)}, kNow - seconds(10));
  EXPECT_TRUE(Has(html, "<td class=\"num\">6</td>"));
}

TEST(IndexPageTest, ShadowWorkloadsSayKedaGetsZero) {
  auto spec = MakeSpec("watcher");
  spec->mode = WorkloadMode::kShadow;
  std::string html = RenderIndexPage({Entry(spec, MakeSnapshot("watcher"))}, kNow);
  EXPECT_TRUE(Has(html, "badge shadow"));
  EXPECT_TRUE(Has(html, "(KEDA gets 0)"));
}

TEST(IndexPageTest, EscapesNamesAndErrorsAndEncodesLinks) {
  auto spec = MakeSpec("<script>x</script>");
  auto s = MakeSnapshot(spec->name);
  s->last_error = "fetch: <b>boom</b> & more";
  std::string html = RenderIndexPage({Entry(spec, s)}, kNow);
  EXPECT_FALSE(Has(html, "<script>"));
  EXPECT_FALSE(Has(html, "<b>boom"));
  EXPECT_TRUE(Has(html, "&lt;script&gt;x&lt;/script&gt;"));
  EXPECT_TRUE(Has(html, "fetch: &lt;b&gt;boom&lt;/b&gt; &amp; more"));
  EXPECT_TRUE(Has(html, "name=%3Cscript%3Ex%3C%2Fscript%3E"));
  EXPECT_TRUE(Has(html, "badge error"));
}

TEST(IndexPageTest, WorkloadWithoutSnapshotIsWaiting) {
  std::string html = RenderIndexPage({Entry(MakeSpec("new"), nullptr)}, kNow);
  EXPECT_TRUE(Has(html, "<span class=\"badge waiting\">waiting</span>"));
}

TEST(WorkloadPageTest, ShowsTheNumbersTheChartAndTheAccuracyTable) {
  std::string html = RenderWorkloadPage(Entry(MakeSpec("api"), MakeSnapshot("api")), kNow);
  EXPECT_TRUE(Has(html, "id=\"desired-replicas\">8<"));
  EXPECT_TRUE(Has(html, "id=\"keda-value\">8<"));
  EXPECT_TRUE(Has(html, "id=\"p50-now\">100<"));
  EXPECT_TRUE(Has(html, "id=\"p90-now\">110<"));
  EXPECT_TRUE(Has(html, "id=\"actual-now\">90<"));
  EXPECT_TRUE(Has(html, "id=\"replicas-now\">6<"));
  EXPECT_TRUE(Has(html, "<b id=\"model\">auto:seasonal_naive</b>"));
  EXPECT_TRUE(Has(html, "<svg id=\"forecast-chart\""));
  EXPECT_TRUE(Has(html, "<table id=\"accuracy\">"));
  EXPECT_TRUE(Has(html, "in-sample one-step naive"));
}

TEST(WorkloadPageTest, InShadowModeKedaGetsZero) {
  auto spec = MakeSpec("api");
  spec->mode = WorkloadMode::kShadow;
  std::string html = RenderWorkloadPage(Entry(spec, MakeSnapshot("api")), kNow);
  EXPECT_TRUE(Has(html, "id=\"keda-value\">0<"));
  EXPECT_TRUE(Has(html, "id=\"desired-replicas\">8<"));
}

TEST(WorkloadPageTest, WithoutForecastShowsTheError) {
  auto s = std::make_shared<Snapshot>();
  s->workload = "api";
  s->last_error = "source \"x\" is not available";
  s->consecutive_failures = 3;
  std::string html = RenderWorkloadPage(Entry(MakeSpec("api"), s), kNow);
  EXPECT_TRUE(Has(html, "No forecast yet."));
  EXPECT_TRUE(Has(html, "(3 in a row): source &quot;x&quot; is not available"));
  EXPECT_FALSE(Has(html, "<svg"));
}

TEST(WorkloadPageTest, LoadsNothingFromElsewhere) {
  std::string html = RenderWorkloadPage(Entry(MakeSpec("api"), MakeSnapshot("api")), kNow) +
                     RenderIndexPage({Entry(MakeSpec("api"), MakeSnapshot("api"))}, kNow);
  EXPECT_FALSE(Has(html, "<script"));
  EXPECT_FALSE(Has(html, "<link"));
  EXPECT_FALSE(Has(html, "src="));
  EXPECT_FALSE(Has(html, "@import"));
  EXPECT_FALSE(Has(html, "https://"));
  // The only absolute URL is the SVG namespace name, which is never fetched.
  EXPECT_EQ(Count(html, "http://"), 1u);
}

}  // namespace
}  // namespace kedastral::io
