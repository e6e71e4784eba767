#include "io/http_handlers.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/snapshot.h"
#include "core/snapshot_table.h"
#include "io/metrics.h"

namespace kedastral::io {
namespace {

namespace json = boost::json;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-11-22T10:00:00Z: the forecast's first step.
const TimePoint kStart = std::chrono::time_point_cast<Duration>(
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + std::chrono::hours{10});
// Requests happen 90 s into the forecast, i.e. in step 1.
const TimePoint kNow = kStart + seconds(90);

std::shared_ptr<WorkloadSpec> MakeSpec(std::string name) {
  auto spec = std::make_shared<WorkloadSpec>();
  spec->name = name;
  spec->metric_name = "kedastral-" + name;
  spec->step = minutes(1);
  spec->lead_time = minutes(2);
  spec->stale_after = minutes(5);
  return spec;
}

// Five one-minute steps; over [kNow, kNow + 2m] (steps 1..3) the plan peaks at 5,
// while steps 0 and 4 hold values that would change the answer if wrongly included.
std::shared_ptr<Snapshot> MakeSnapshot(std::string workload) {
  auto s = std::make_shared<Snapshot>();
  s->workload = workload;
  s->metric = "sum(rate(http_requests_total[1m]))";
  s->generated_at = kStart - seconds(30);
  s->start = kStart;
  s->step = minutes(1);
  s->horizon = minutes(5);
  s->values = {100, 200, 300, 250, 150.5};
  s->quantiles = {{0.9, {110, 220, 330, 275, 165}}, {0.99, {120, 240, 360, 300, 180}}};
  s->replicas = {1, 2, 5, 3, 7};
  s->model = "seasonal_naive";
  s->sequence = 1;
  return s;
}

class HttpHandlersTest : public ::testing::Test {
 protected:
  HttpHandlersTest() : metrics_(table_) {}

  void Configure(std::vector<std::shared_ptr<const WorkloadSpec>> specs) {
    table_.SetWorkloads(specs);
  }

  HttpResponse Get(std::string target, TimePoint now = kNow) {
    return HandleRequest({"GET", std::move(target)}, table_, metrics_, now);
  }

  static json::object Body(const HttpResponse& r) { return json::parse(r.body).as_object(); }

  SnapshotTable table_;
  Metrics metrics_;
};

TEST_F(HttpHandlersTest, ForecastCurrentHasEveryField) {
  Configure({MakeSpec("checkout")});
  table_.Publish(MakeSnapshot("checkout"));

  HttpResponse r = Get("/forecast/current?workload=checkout");

  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  json::object o = Body(r);
  EXPECT_EQ(o.at("workload"), "checkout");
  EXPECT_EQ(o.at("metric"), "sum(rate(http_requests_total[1m]))");
  EXPECT_EQ(o.at("metricName"), "kedastral-checkout");
  EXPECT_EQ(o.at("mode"), "active");
  EXPECT_EQ(o.at("generatedAt"), "2026-11-22T09:59:30Z");
  EXPECT_EQ(o.at("start"), "2026-11-22T10:00:00Z");
  EXPECT_EQ(o.at("stepSeconds").to_number<double>(), 60);
  EXPECT_EQ(o.at("horizonSeconds").to_number<double>(), 300);
  EXPECT_EQ(o.at("values"), json::parse("[100, 200, 300, 250, 150.5]"));
  EXPECT_EQ(o.at("replicas"), json::parse("[1, 2, 5, 3, 7]"));
  EXPECT_EQ(o.at("desiredReplicas").to_number<int>(), 5);
  EXPECT_EQ(o.at("leadTimeSeconds").to_number<double>(), 120);
  EXPECT_EQ(o.at("model"), "seasonal_naive");
  EXPECT_EQ(o.at("stale"), false);
  EXPECT_EQ(o.at("ageSeconds").to_number<double>(), 120);
  EXPECT_FALSE(o.contains("namespace"));
  EXPECT_FALSE(o.contains("lastError"));
}

TEST_F(HttpHandlersTest, ForecastCurrentKeysQuantilesByName) {
  Configure({MakeSpec("checkout")});
  table_.Publish(MakeSnapshot("checkout"));

  json::object q = Body(Get("/forecast/current?workload=checkout")).at("quantiles").as_object();

  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q.at("p90"), json::parse("[110, 220, 330, 275, 165]"));
  EXPECT_EQ(q.at("p99"), json::parse("[120, 240, 360, 300, 180]"));
}

TEST_F(HttpHandlersTest, ForecastCurrentShowsNamespaceWhenSet) {
  auto spec = MakeSpec("checkout");
  spec->ns = "shop";
  Configure({spec});
  table_.Publish(MakeSnapshot("checkout"));

  EXPECT_EQ(Body(Get("/forecast/current?workload=checkout")).at("namespace"), "shop");
}

TEST_F(HttpHandlersTest, ForecastCurrentInShadowModeShowsThePlan) {
  auto spec = MakeSpec("checkout");
  spec->mode = WorkloadMode::kShadow;
  Configure({spec});
  table_.Publish(MakeSnapshot("checkout"));

  json::object o = Body(Get("/forecast/current?workload=checkout"));

  EXPECT_EQ(o.at("mode"), "shadow");
  EXPECT_EQ(o.at("desiredReplicas").to_number<int>(), 5);
}

TEST_F(HttpHandlersTest, ForecastCurrentIsStaleWhenOlderThanStaleAfter) {
  auto spec = MakeSpec("checkout");
  spec->stale_after = seconds(60);  // the forecast is 120 s old at kNow
  Configure({spec});
  table_.Publish(MakeSnapshot("checkout"));

  EXPECT_EQ(Body(Get("/forecast/current?workload=checkout")).at("stale"), true);
}

TEST_F(HttpHandlersTest, ForecastCurrentDesiredReplicasIsNullAfterForecastEnds) {
  Configure({MakeSpec("checkout")});
  table_.Publish(MakeSnapshot("checkout"));

  json::object o = Body(Get("/forecast/current?workload=checkout", kStart + minutes(10)));

  EXPECT_TRUE(o.at("desiredReplicas").is_null());
}

TEST_F(HttpHandlersTest, ForecastCurrentCarriesTheNewestCycleError) {
  Configure({MakeSpec("checkout")});
  auto s = MakeSnapshot("checkout");
  s->last_error = "prometheus: timeout";
  s->last_error_at = kStart + seconds(60);
  s->consecutive_failures = 3;
  table_.Publish(s);

  HttpResponse r = Get("/forecast/current?workload=checkout");

  ASSERT_EQ(r.status, 200);
  json::object o = Body(r);
  EXPECT_EQ(o.at("lastError"), "prometheus: timeout");
  EXPECT_EQ(o.at("lastErrorAt"), "2026-11-22T10:01:00Z");
  EXPECT_EQ(o.at("consecutiveFailures").to_number<int>(), 3);
}

TEST_F(HttpHandlersTest, ForecastCurrentWithoutWorkloadParameterIs400) {
  Configure({MakeSpec("checkout")});

  HttpResponse r = Get("/forecast/current");

  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  json::object o = Body(r);
  EXPECT_EQ(o.at("status").to_number<int>(), 400);
  EXPECT_NE(o.at("error").as_string().find("workload"), json::string::npos);
}

TEST_F(HttpHandlersTest, ForecastCurrentWithEmptyWorkloadIs400) {
  Configure({MakeSpec("checkout")});

  EXPECT_EQ(Get("/forecast/current?workload=").status, 400);
}

TEST_F(HttpHandlersTest, ForecastCurrentOfUnknownWorkloadIs404) {
  Configure({MakeSpec("checkout")});

  HttpResponse r = Get("/forecast/current?workload=nope");

  EXPECT_EQ(r.status, 404);
  json::object o = Body(r);
  EXPECT_EQ(o.at("status").to_number<int>(), 404);
  EXPECT_EQ(o.at("error"), "unknown workload: nope");
}

TEST_F(HttpHandlersTest, ForecastCurrentBeforeFirstForecastIs503) {
  Configure({MakeSpec("checkout")});

  HttpResponse r = Get("/forecast/current?workload=checkout");

  EXPECT_EQ(r.status, 503);
  json::object o = Body(r);
  EXPECT_EQ(o.at("error"), "no forecast yet");
  EXPECT_EQ(o.at("status").to_number<int>(), 503);
  EXPECT_FALSE(o.contains("lastError"));
}

TEST_F(HttpHandlersTest, ForecastCurrentBeforeFirstForecastShowsTheError) {
  Configure({MakeSpec("checkout")});
  auto s = std::make_shared<Snapshot>();
  s->workload = "checkout";
  s->last_error = "history too short";
  s->last_error_at = kStart;
  s->consecutive_failures = 1;
  table_.Publish(s);

  HttpResponse r = Get("/forecast/current?workload=checkout");

  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Body(r).at("lastError"), "history too short");
}

TEST_F(HttpHandlersTest, ForecastCurrentPercentDecodesTheWorkload) {
  Configure({MakeSpec("a b/c")});
  table_.Publish(MakeSnapshot("a b/c"));

  EXPECT_EQ(Get("/forecast/current?workload=a%20b%2Fc").status, 200);
  EXPECT_EQ(Get("/forecast/current?workload=a+b%2fc").status, 200);
  EXPECT_EQ(Get("/forecast/current?x=1&workload=a%20b%2Fc&workload=other").status, 200);
}

TEST_F(HttpHandlersTest, ForecastCurrentRejectsMalformedEscapesWith400) {
  Configure({MakeSpec("checkout")});

  HttpResponse r = Get("/forecast/current?workload=check%zzout");

  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r).at("status").to_number<int>(), 400);
  EXPECT_EQ(Get("/forecast/current?workload=checkout%4").status, 400);
}

TEST_F(HttpHandlersTest, ForecastListIsInConfigOrder) {
  Configure({MakeSpec("zeta"), MakeSpec("alpha"), MakeSpec("mid")});
  table_.Publish(MakeSnapshot("alpha"));

  HttpResponse r = Get("/forecast");

  ASSERT_EQ(r.status, 200);
  json::array list = Body(r).at("workloads").as_array();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].at("name"), "zeta");
  EXPECT_EQ(list[1].at("name"), "alpha");
  EXPECT_EQ(list[2].at("name"), "mid");
}

TEST_F(HttpHandlersTest, ForecastListDescribesAWorkloadWithAForecast) {
  auto spec = MakeSpec("checkout");
  spec->ns = "shop";
  Configure({spec});
  auto s = MakeSnapshot("checkout");
  s->last_error = "boom";
  table_.Publish(s);

  json::object w = Body(Get("/forecast")).at("workloads").as_array().at(0).as_object();

  EXPECT_EQ(w.at("namespace"), "shop");
  EXPECT_EQ(w.at("mode"), "active");
  EXPECT_EQ(w.at("model"), "seasonal_naive");
  EXPECT_EQ(w.at("generatedAt"), "2026-11-22T09:59:30Z");
  EXPECT_EQ(w.at("ageSeconds").to_number<double>(), 120);
  EXPECT_EQ(w.at("stale"), false);
  EXPECT_EQ(w.at("desiredReplicas").to_number<int>(), 5);
  EXPECT_EQ(w.at("lastError"), "boom");
  EXPECT_EQ(w.at("hasForecast"), true);
}

TEST_F(HttpHandlersTest, ForecastListShowsNullsForAWorkloadWithoutForecast) {
  Configure({MakeSpec("checkout")});

  json::object w = Body(Get("/forecast")).at("workloads").as_array().at(0).as_object();

  EXPECT_EQ(w.at("hasForecast"), false);
  EXPECT_EQ(w.at("stale"), true);
  EXPECT_TRUE(w.at("generatedAt").is_null());
  EXPECT_TRUE(w.at("desiredReplicas").is_null());
  EXPECT_TRUE(w.at("lastError").is_null());
}

TEST_F(HttpHandlersTest, ReadyzIs503ListingWorkloadsWithoutSnapshot) {
  Configure({MakeSpec("a"), MakeSpec("b")});
  table_.Publish(MakeSnapshot("a"));

  HttpResponse r = Get("/readyz");

  EXPECT_EQ(r.status, 503);
  json::object o = Body(r);
  EXPECT_EQ(o.at("ready"), false);
  EXPECT_EQ(o.at("pending"), json::parse(R"(["b"])"));
}

TEST_F(HttpHandlersTest, ReadyzIs200OnceEveryWorkloadHasASnapshot) {
  Configure({MakeSpec("a"), MakeSpec("b")});
  table_.Publish(MakeSnapshot("a"));
  auto failed = std::make_shared<Snapshot>();
  failed->workload = "b";
  failed->last_error = "source down";
  table_.Publish(failed);

  HttpResponse r = Get("/readyz");

  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r).at("ready"), true);
}

TEST_F(HttpHandlersTest, HealthzIsPlainOk) {
  HttpResponse r = Get("/healthz");

  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u);
}

TEST_F(HttpHandlersTest, MetricsUsesThePrometheusTextFormat) {
  Configure({MakeSpec("checkout")});
  table_.Publish(MakeSnapshot("checkout"));

  HttpResponse r = Get("/metrics");

  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(r.body.find("kedastral_desired_replicas{workload=\"checkout\"} 5"), std::string::npos);
}

TEST_F(HttpHandlersTest, HeadHasTheGetHeadersAndNoBody) {
  Configure({MakeSpec("checkout")});
  table_.Publish(MakeSnapshot("checkout"));
  HttpResponse get = Get("/forecast/current?workload=checkout");

  HttpResponse head =
      HandleRequest({"HEAD", "/forecast/current?workload=checkout"}, table_, metrics_, kNow);

  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_type, get.content_type);
  EXPECT_TRUE(head.body.empty());
  ASSERT_EQ(head.headers.size(), 1u);
  EXPECT_EQ(head.headers[0].first, "Content-Length");
  EXPECT_EQ(head.headers[0].second, std::to_string(get.body.size()));
}

TEST_F(HttpHandlersTest, OtherMethodsOnAKnownPathAre405WithAllow) {
  HttpResponse r = HandleRequest({"POST", "/forecast"}, table_, metrics_, kNow);

  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Body(r).at("status").to_number<int>(), 405);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(r.headers[0].second, "GET, HEAD");
}

TEST_F(HttpHandlersTest, UnknownPathIs404Json) {
  HttpResponse r = Get("/forecast/current/extra");

  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Body(r).at("status").to_number<int>(), 404);
}

TEST_F(HttpHandlersTest, UnknownPathWithOtherMethodIs404) {
  EXPECT_EQ(HandleRequest({"DELETE", "/nope"}, table_, metrics_, kNow).status, 404);
}

TEST_F(HttpHandlersTest, ForecastCurrentCarriesTheRollingAccuracy) {
  Configure({MakeSpec("a")});
  auto s = MakeSnapshot("a");
  AccuracyStats hour;
  hour.window = std::chrono::hours(1);
  hour.points = 60;
  hour.mase = 0.5;
  hour.underprovision_seconds = 120;
  s->accuracy = {hour};
  s->mase_scale = "in-sample one-step naive";
  s->underprovision_seconds_total = 240;
  table_.Publish(s);
  json::object a = Body(Get("/forecast/current?workload=a")).at("accuracy").as_object();
  json::object w = a.at("windows").as_array().at(0).as_object();
  EXPECT_EQ(w.at("windowSeconds").to_number<double>(), 3600);
  EXPECT_EQ(w.at("points").to_number<double>(), 60);
  EXPECT_EQ(w.at("mase").to_number<double>(), 0.5);
  EXPECT_TRUE(w.at("mapePercent").is_null());
  EXPECT_EQ(w.at("underprovisionSeconds").to_number<double>(), 120);
  EXPECT_EQ(a.at("underprovisionSecondsTotal").to_number<double>(), 240);
  EXPECT_EQ(a.at("maseScale").as_string(), "in-sample one-step naive");
}

TEST_F(HttpHandlersTest, IndexIsAnHtmlPageListingEveryWorkload) {
  Configure({MakeSpec("a"), MakeSpec("b")});
  table_.Publish(MakeSnapshot("a"));
  HttpResponse r = Get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("href=\"/ui/workload?name=a\""), std::string::npos);
  EXPECT_NE(r.body.find("href=\"/ui/workload?name=b\""), std::string::npos);
}

TEST_F(HttpHandlersTest, UiWorkloadIsThePageWithTheChart) {
  Configure({MakeSpec("a")});
  table_.Publish(MakeSnapshot("a"));
  HttpResponse r = Get("/ui/workload?name=a");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<svg id=\"forecast-chart\""), std::string::npos);
}

TEST_F(HttpHandlersTest, UiWorkloadErrorsAreHtml) {
  Configure({MakeSpec("a")});
  HttpResponse missing = Get("/ui/workload");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.content_type, "text/html; charset=utf-8");
  HttpResponse unknown = Get("/ui/workload?name=%3Cb%3Enope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("&lt;b&gt;nope"), std::string::npos);
  EXPECT_EQ(unknown.body.find("<b>nope"), std::string::npos);
}

TEST_F(HttpHandlersTest, PagesAnswerHeadAndRejectPost) {
  Configure({MakeSpec("a")});
  HttpResponse head = HandleRequest({"HEAD", "/"}, table_, metrics_, kNow);
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(HandleRequest({"POST", "/ui/workload?name=a"}, table_, metrics_, kNow).status, 405);
}

TEST(PercentDecodeTest, DecodesEscapesOfEitherCase) {
  EXPECT_EQ(PercentDecode("a%2Fb%2fc%41", false).value(), "a/b/cA");
}

TEST(PercentDecodeTest, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(PercentDecode("a+b", true).value(), "a b");
  EXPECT_EQ(PercentDecode("a+b", false).value(), "a+b");
  EXPECT_EQ(PercentDecode("a%2Bb", true).value(), "a+b");
}

TEST(PercentDecodeTest, DecodesMultibyteUtf8) {
  EXPECT_EQ(PercentDecode("caf%C3%A9", false).value(), "caf\xC3\xA9");
}

TEST(PercentDecodeTest, RejectsMalformedEscapes) {
  for (std::string_view bad : {"%", "%4", "a%g0", "%0g", "x%"}) {
    auto r = PercentDecode(bad, false);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(ParseQueryTest, SplitsDecodedPairsInOrder) {
  auto q = ParseQuery("b=2&a=x%20y&flag&&c=");

  ASSERT_TRUE(q.has_value());
  ASSERT_EQ(q->size(), 4u);
  EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"b", "2"}));
  EXPECT_EQ((*q)[1], (std::pair<std::string, std::string>{"a", "x y"}));
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ((*q)[3], (std::pair<std::string, std::string>{"c", ""}));
}

TEST(ParseQueryTest, FailsOnAMalformedName) { EXPECT_FALSE(ParseQuery("ok=1&b%x=2").has_value()); }

TEST(RouteLabelTest, IsTheMatchedRouteOrOther) {
  EXPECT_EQ(RouteLabel("/forecast/current?workload=a"), "/forecast/current");
  EXPECT_EQ(RouteLabel("/forecast"), "/forecast");
  EXPECT_EQ(RouteLabel("/metrics"), "/metrics");
  EXPECT_EQ(RouteLabel("/random/path/123"), "other");
  EXPECT_EQ(RouteLabel("/"), "/");
  EXPECT_EQ(RouteLabel("/ui/workload?name=<anything>"), "/ui/workload");
}

}  // namespace
}  // namespace kedastral::io
