#include "io/prometheus_source.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "fake_http_server.h"
#include "loop/history.h"

namespace kedastral::io {
namespace {

using testing::FakeHttpServer;
using testing::FakeRequest;
using testing::FakeResponse;
using testing::RunToCompletion;
using std::chrono::minutes;

constexpr long long kT0s = 1'699'999'980;  // a multiple of 60
const TimePoint kT0 = TimePoint(Duration(kT0s * 1000));

// The decoded query parameter `name` of a request target.
std::string Param(const std::string& target, std::string_view name) {
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return "";
  auto it = u->params().find(name);
  return it == u->params().end() ? "" : std::string((*it).value);
}

// A query_range answer for the request's grid, value(t) per step (NaN: no sample),
// from Unix second `from_s` on.
std::string Answer(const FakeRequest& req, const std::function<double(long long)>& value,
                   long long from_s = 0) {
  const long long start = std::stoll(Param(req.target, "start"));
  const long long end = std::stoll(Param(req.target, "end"));
  const long long step = std::stoll(Param(req.target, "step"));
  std::string values;
  for (long long t = std::max(start, from_s); t <= end; t += step) {
    const double v = value(t);
    if (std::isnan(v)) continue;
    if (!values.empty()) values += ',';
    values += "[" + std::to_string(t) + ",\"" + std::to_string(v) + "\"]";
  }
  return R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[)" +
         values + "]}]}}";
}

double Linear(long long t) { return static_cast<double>((t / 60) % 1000); }

FakeResponse Prometheus(const FakeRequest& req) { return FakeResponse{.body = Answer(req, Linear)}; }

class PrometheusSourceTest : public ::testing::Test {
 protected:
  SourceSpec Spec(const std::string& url) {
    SourceSpec s;
    s.name = "prom";
    s.type = SourceType::kPrometheus;
    s.url = url;
    s.timeout = Duration(3000);
    s.retry_backoff = Duration(10);
    return s;
  }
  std::unique_ptr<PrometheusSource> Open(const SourceSpec& spec) {
    auto s = PrometheusSource::Open(ioc_, spec, &registry_);
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
  }
  Result<Series> Fetch(PrometheusSource& s, TimePoint from, TimePoint to, Duration step = minutes(1),
                       std::string query = "up") {
    loop::FetchRequest req{"w", std::move(query), from, to, step};
    return RunToCompletion(ioc_, s.Fetch(std::move(req)));
  }
  std::string Metrics() {
    return ::prometheus::TextSerializer().Serialize(registry_.Collect());
  }

  boost::asio::io_context ioc_{1};
  ::prometheus::Registry registry_;
};

TEST_F(PrometheusSourceTest, AsksForTheStepGridInsideFromTo) {
  FakeHttpServer server(Prometheus);
  auto source = Open(Spec(server.url()));
  auto r = Fetch(*source, kT0 + Duration(1), kT0 + minutes(10) + Duration(1));
  ASSERT_TRUE(r) << r.error().message;
  const FakeRequest req = server.requests().at(0);
  EXPECT_EQ(Param(req.target, "start"), std::to_string(kT0s + 60));
  EXPECT_EQ(Param(req.target, "end"), std::to_string(kT0s + 600));
  EXPECT_EQ(Param(req.target, "step"), "60");
  EXPECT_EQ(Param(req.target, "query"), "up");
  EXPECT_EQ(r->start, kT0 + minutes(1));
  EXPECT_EQ(r->size(), 10u);
  EXPECT_EQ(r->values[0], Linear(kT0s + 60));
}

TEST_F(PrometheusSourceTest, SplitsAWarmStartIntoChunksOfAtMost11000Points) {
  FakeHttpServer server(Prometheus);
  auto source = Open(Spec(server.url()));
  auto r = Fetch(*source, kT0, kT0 + minutes(25000));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 25000u);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  size_t asked = 0;
  for (const auto& q : reqs) {
    const long long n = (std::stoll(Param(q.target, "end")) - std::stoll(Param(q.target, "start"))) / 60 + 1;
    EXPECT_LE(n, 11000);
    asked += static_cast<size_t>(n);
  }
  EXPECT_EQ(asked, 25000u);
  for (size_t i = 0; i < r->size(); ++i) {
    ASSERT_EQ(r->values[i], Linear(kT0s + 60 * static_cast<long long>(i))) << i;
  }
  EXPECT_EQ(source->stats().points, 25000u);
}

TEST_F(PrometheusSourceTest, KeepsTheUrlPathPrefixAndEncodesTheQuery) {
  FakeHttpServer server(Prometheus);
  auto source = Open(Spec(server.url() + "/select/0/prometheus/"));
  const std::string query = R"(sum(rate(http_requests_total{job="a b"}[1m])) + 1)";
  ASSERT_TRUE(Fetch(*source, kT0, kT0 + minutes(2), minutes(1), query));
  const FakeRequest req = server.requests().at(0);
  EXPECT_EQ(req.target.rfind("/select/0/prometheus/api/v1/query_range?", 0), 0u) << req.target;
  EXPECT_EQ(Param(req.target, "query"), query);
  EXPECT_NE(req.target.find("%2B"), std::string::npos) << "a literal + must be encoded";
}

TEST_F(PrometheusSourceTest, SendsTheConfiguredHeadersAndInlineBearerToken) {
  FakeHttpServer server(Prometheus);
  SourceSpec spec = Spec(server.url());
  spec.bearer_token = "s3cret";
  spec.headers = {{"X-Scope-OrgID", "team-a"}};
  auto source = Open(spec);
  ASSERT_TRUE(Fetch(*source, kT0, kT0 + minutes(2)));
  const FakeRequest req = server.requests().at(0);
  EXPECT_EQ(req.headers.at("authorization"), "Bearer s3cret");
  EXPECT_EQ(req.headers.at("x-scope-orgid"), "team-a");
}

TEST_F(PrometheusSourceTest, RereadsTheBearerTokenFileWhenItChanges) {
  FakeHttpServer server(Prometheus);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("kedastral-token-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "token";
  std::ofstream(path) << "first\n";
  SourceSpec spec = Spec(server.url());
  spec.bearer_token_file = path.string();
  auto source = Open(spec);
  ASSERT_TRUE(Fetch(*source, kT0, kT0 + minutes(2)));
  // A rotation swaps the file; give it a distinct modification time.
  std::ofstream(path.string() + ".new") << "second\n";
  std::filesystem::rename(path.string() + ".new", path);
  std::filesystem::last_write_time(path, std::filesystem::last_write_time(path) + std::chrono::seconds(1));
  ASSERT_TRUE(Fetch(*source, kT0, kT0 + minutes(2)));
  const auto reqs = server.requests();
  EXPECT_EQ(reqs.at(0).headers.at("authorization"), "Bearer first");
  EXPECT_EQ(reqs.at(1).headers.at("authorization"), "Bearer second");
  std::filesystem::remove_all(dir);
}

TEST_F(PrometheusSourceTest, SendsBasicAuth) {
  FakeHttpServer server(Prometheus);
  const auto path = std::filesystem::temp_directory_path() /
                    ("kedastral-password-" + std::to_string(::getpid()));
  std::ofstream(path) << "pass\n";
  SourceSpec spec = Spec(server.url());
  spec.basic_auth_user = "user";
  spec.basic_auth_password_file = path.string();
  auto source = Open(spec);
  ASSERT_TRUE(Fetch(*source, kT0, kT0 + minutes(2)));
  EXPECT_EQ(server.requests().at(0).headers.at("authorization"), "Basic dXNlcjpwYXNz");
  std::filesystem::remove(path);
}

TEST_F(PrometheusSourceTest, Retries5xxWithBackoffThenSucceeds) {
  std::atomic<int> calls{0};
  FakeHttpServer server([&](const FakeRequest& req) {
    if (calls++ < 2) return FakeResponse{.status = 503, .body = "overloaded"};
    return Prometheus(req);
  });
  auto source = Open(Spec(server.url()));
  auto r = Fetch(*source, kT0, kT0 + minutes(2));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_NE(Metrics().find(R"(kedastral_source_requests_total{outcome="http_5xx",source="prom"} 2)"),
            std::string::npos);
}

TEST_F(PrometheusSourceTest, GivesUpAfterTheConfiguredRetriesWithTheServersWords) {
  FakeHttpServer server([](const FakeRequest&) {
    return FakeResponse{.status = 503,
                        .body = R"({"status":"error","errorType":"unavailable","error":"tsdb down"})"};
  });
  SourceSpec spec = Spec(server.url());
  spec.retries = 1;
  auto source = Open(spec);
  auto r = Fetch(*source, kT0, kT0 + minutes(2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("HTTP 503: prometheus error unavailable: tsdb down"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(PrometheusSourceTest, BadQueryIsNotRetried) {
  FakeHttpServer server([](const FakeRequest&) {
    return FakeResponse{.status = 400,
                        .body = R"({"status":"error","errorType":"bad_data","error":"parse error"})"};
  });
  auto source = Open(Spec(server.url()));
  auto r = Fetch(*source, kT0, kT0 + minutes(2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("bad_data: parse error"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(PrometheusSourceTest, StatusErrorInA200IsSurfaced) {
  FakeHttpServer server([](const FakeRequest&) {
    return FakeResponse{.body = R"({"status":"error","errorType":"execution","error":"too many samples"})"};
  });
  SourceSpec spec = Spec(server.url());
  spec.retries = 0;
  auto source = Open(spec);
  auto r = Fetch(*source, kT0, kT0 + minutes(2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "prometheus error execution: too many samples");
  EXPECT_NE(Metrics().find(R"(kedastral_source_requests_total{outcome="prometheus_error",source="prom"} 1)"),
            std::string::npos);
}

TEST_F(PrometheusSourceTest, MalformedJsonIsAParseErrorAndNotRetried) {
  FakeHttpServer server([](const FakeRequest&) { return FakeResponse{.body = R"({"status":"succ)"}; });
  auto source = Open(Spec(server.url()));
  auto r = Fetch(*source, kT0, kT0 + minutes(2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(PrometheusSourceTest, SlowServerTimesOut) {
  FakeHttpServer server([](const FakeRequest& req) {
    FakeResponse r = Prometheus(req);
    r.delay = std::chrono::milliseconds(2000);
    return r;
  });
  SourceSpec spec = Spec(server.url());
  spec.timeout = Duration(150);
  spec.retries = 0;
  auto source = Open(spec);
  auto r = Fetch(*source, kT0, kT0 + minutes(2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_NE(Metrics().find(R"(kedastral_source_requests_total{outcome="timeout",source="prom"} 1)"),
            std::string::npos);
}

TEST_F(PrometheusSourceTest, BodyOverTheSizeLimitFailsWithoutRetry) {
  FakeHttpServer server(Prometheus);
  SourceSpec spec = Spec(server.url());
  spec.max_response_bytes = 2048;
  auto source = Open(spec);
  auto r = Fetch(*source, kT0, kT0 + minutes(500));
  ASSERT_FALSE(r);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_NE(Metrics().find(R"(kedastral_source_requests_total{outcome="too_large",source="prom"} 1)"),
            std::string::npos);
}

TEST_F(PrometheusSourceTest, NonFiniteValuesNeverReachTheHistory) {
  FakeHttpServer server([](const FakeRequest& req) {
    return FakeResponse{.body = Answer(req, [](long long t) {
      const long long i = (t - kT0s) / 60;
      return i == 2 ? NAN : i == 3 ? INFINITY : static_cast<double>(i);
    })};
  });
  auto source = Open(Spec(server.url()));
  auto r = Fetch(*source, kT0, kT0 + minutes(6));
  ASSERT_TRUE(r);
  loop::History history(minutes(1), 100, 5);
  history.Merge(*r);
  const Series s = history.Copy();
  ASSERT_EQ(s.size(), 6u);
  for (double v : s.values) EXPECT_TRUE(std::isfinite(v));
  EXPECT_DOUBLE_EQ(s.values[2], 2);  // bridged linearly between 1 and 4
  EXPECT_DOUBLE_EQ(s.values[3], 3);
}

TEST_F(PrometheusSourceTest, APartialWindowStartsAtTheFirstPointTheServerHas) {
  FakeHttpServer server([](const FakeRequest& req) {
    return FakeResponse{.body = Answer(req, Linear, kT0s + 600)};
  });
  auto source = Open(Spec(server.url()));
  auto r = Fetch(*source, kT0, kT0 + minutes(20));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->start, kT0 + minutes(10));
  EXPECT_EQ(r->size(), 10u);
}

TEST_F(PrometheusSourceTest, CircuitOpensAfterFailuresInARowAndFailsFast) {
  FakeHttpServer server([](const FakeRequest&) { return FakeResponse{.status = 502}; });
  SourceSpec spec = Spec(server.url());
  spec.retries = 0;
  spec.circuit_breaker_failures = 2;
  spec.circuit_breaker_cooldown = Duration(60000);
  auto source = Open(spec);
  EXPECT_FALSE(Fetch(*source, kT0, kT0 + minutes(2)));
  EXPECT_FALSE(Fetch(*source, kT0, kT0 + minutes(2)));
  EXPECT_TRUE(source->circuit_open());
  auto r = Fetch(*source, kT0, kT0 + minutes(2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("circuit open"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_NE(Metrics().find(R"(kedastral_source_circuit_open{source="prom"} 1)"), std::string::npos);
}

TEST_F(PrometheusSourceTest, CircuitClosesWhenTheServerAnswersAfterTheCooldown) {
  std::atomic<bool> healthy{false};
  FakeHttpServer server([&](const FakeRequest& req) {
    return healthy ? Prometheus(req) : FakeResponse{.status = 502};
  });
  SourceSpec spec = Spec(server.url());
  spec.retries = 0;
  spec.circuit_breaker_failures = 1;
  spec.circuit_breaker_cooldown = Duration(100);
  auto source = Open(spec);
  EXPECT_FALSE(Fetch(*source, kT0, kT0 + minutes(2)));
  ASSERT_TRUE(source->circuit_open());
  healthy = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (source->circuit_open() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  auto r = Fetch(*source, kT0, kT0 + minutes(2));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(source->circuit_open());
}

TEST_F(PrometheusSourceTest, NeverHasMoreThanMaxConcurrentQueriesInFlight) {
  FakeHttpServer server([](const FakeRequest& req) {
    FakeResponse r = Prometheus(req);
    r.delay = std::chrono::milliseconds(50);
    return r;
  });
  SourceSpec spec = Spec(server.url());
  spec.max_concurrent_queries = 2;
  auto source = Open(spec);
  int done = 0;
  for (int i = 0; i < 6; ++i) {
    loop::FetchRequest req{"w" + std::to_string(i), "up", kT0, kT0 + minutes(2), minutes(1)};
    boost::asio::co_spawn(ioc_, source->Fetch(std::move(req)), [&](std::exception_ptr, Result<Series> r) {
      EXPECT_TRUE(r);
      ++done;
    });
  }
  ioc_.run_for(std::chrono::seconds(10));
  EXPECT_EQ(done, 6);
  EXPECT_EQ(server.requests().size(), 6u);
  EXPECT_EQ(server.connections(), 2u);  // one connection per slot, reused
}

TEST_F(PrometheusSourceTest, CountsPointsAndBytesInMetrics) {
  FakeHttpServer server(Prometheus);
  auto source = Open(Spec(server.url()));
  ASSERT_TRUE(Fetch(*source, kT0, kT0 + minutes(5)));
  const std::string m = Metrics();
  EXPECT_NE(m.find(R"(kedastral_source_points_fetched_total{source="prom"} 5)"), std::string::npos) << m;
  EXPECT_NE(m.find(R"(kedastral_source_requests_total{outcome="ok",source="prom"} 1)"), std::string::npos);
  EXPECT_NE(m.find(R"(kedastral_source_last_success_timestamp_seconds{source="prom",workload="w"})"),
            std::string::npos);
  EXPECT_NE(m.find("kedastral_source_request_duration_seconds_count{source=\"prom\"} 1"), std::string::npos);
  EXPECT_GT(source->stats().bytes, 100u);
}

}  // namespace
}  // namespace kedastral::io
