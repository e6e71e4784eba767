// The Prometheus source against a real Prometheus: days of history backfilled with
// promtool, plus a small exporter served by the test that Prometheus scrapes every
// second, so new points keep arriving.
#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "externalscaler.grpc.pb.h"
#include "support/process_util.h"

#include "fake_http_server.h"
#include "io/http_client.h"
#include "io/prometheus_source.h"
#include "loop/history.h"

extern char** environ;

namespace kedastral::io {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace http = boost::beast::http;
using testing::FakeHttpServer;
using testing::FakeRequest;
using testing::FakeResponse;
using testing::RunToCompletion;
using std::chrono::seconds;

constexpr double kLiveValue = 4242;
constexpr Duration kHistoryStep{10000};
constexpr Duration kHistoryLength{40L * 3600 * 1000};

// Backfilled value at Unix second t (on the 10 s grid).
double HistoryValue(long long t) { return 100.0 + static_cast<double>((t / 10) % 360); }

unsigned short FreePort() {
  net::io_context ioc;
  net::ip::tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

int Spawn(const std::vector<std::string>& argv, const std::string& log, pid_t* pid_out = nullptr) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  if (pid_out != nullptr) {
    *pid_out = pid;
    return 0;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A blocking GET, for the test's own proxy (it runs on the fake server's thread).
FakeResponse Forward(unsigned short port, const std::string& target) {
  net::io_context ioc;
  boost::beast::tcp_stream stream(ioc);
  boost::system::error_code ec;
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return FakeResponse{.status = 502, .body = ec.message()};
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req, ec);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) return FakeResponse{.status = 502, .body = ec.message()};
  return FakeResponse{.status = static_cast<int>(res.result_int()), .body = res.body()};
}

class PrometheusIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (system("command -v prometheus >/dev/null && command -v promtool >/dev/null") != 0) return;
    dir_ = fs::temp_directory_path() / ("kedastral-prom-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "data");
    exporter_ = new FakeHttpServer([](const FakeRequest&) {
      return FakeResponse{.body = "# TYPE kedastral_it_load gauge\nkedastral_it_load " +
                                  std::to_string(kLiveValue) + "\n",
                          .content_type = "text/plain; version=0.0.4"};
    });
    // History up to a little before now, under the labels the scrape will carry, so
    // backfill and live scrapes are one series.
    const std::string labels = "{instance=\"127.0.0.1:" + std::to_string(exporter_->port()) +
                               "\",job=\"exporter\"}";
    const long long end_s = (Now().time_since_epoch().count() / 10000) * 10 - 10;
    const long long begin_s = end_s - kHistoryLength.count() / 1000;
    {
      std::ofstream om(dir_ / "history.om");
      om << "# TYPE kedastral_it_load gauge\n";
      for (long long t = begin_s; t <= end_s; t += kHistoryStep.count() / 1000) {
        om << "kedastral_it_load" << labels << ' ' << HistoryValue(t) << ' ' << t << '\n';
      }
      om << "# EOF\n";
    }
    const int rc = Spawn({"promtool", "tsdb", "create-blocks-from", "openmetrics",
                        "--max-block-duration=24h", (dir_ / "history.om").string(),
                        (dir_ / "data").string()},
                       (dir_ / "promtool.log").string());
    ASSERT_EQ(rc, 0) << "promtool failed, see " << (dir_ / "promtool.log");
    std::ofstream(dir_ / "p.yml") << "global:\n  scrape_interval: 1s\nscrape_configs:\n"
                                     "  - job_name: exporter\n    static_configs:\n"
                                     "      - targets: ['127.0.0.1:"
                                  << exporter_->port() << "']\n";
    port_ = FreePort();
    StartPrometheus();
  }

  static void StartPrometheus() {
    const std::vector<std::string> argv = {
        "prometheus", "--config.file=" + (dir_ / "p.yml").string(),
        "--storage.tsdb.path=" + (dir_ / "data").string(),
        "--web.listen-address=127.0.0.1:" + std::to_string(port_),
        "--storage.tsdb.retention.time=60d"};
    ASSERT_EQ(Spawn(argv, (dir_ / "prometheus.log").string(), &pid_), 0);
    // Ready within a few seconds; then wait for the first live scrape to land.
    net::io_context ioc;
    HttpClientOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port_);
    o.timeout = Duration(1000);
    auto client = std::move(*HttpClient::Create(ioc, o));
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    bool ready = false;
    while (!ready && std::chrono::steady_clock::now() < deadline) {
      auto r = RunToCompletion(ioc, client->Get("/api/v1/query?query=kedastral_it_load", {}));
      ready = r && r->status == 200 && r->body.find(std::to_string(static_cast<int>(kLiveValue))) != std::string::npos;
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll interval
    }
    ASSERT_TRUE(ready) << "Prometheus did not scrape the exporter; see " << (dir_ / "prometheus.log");
  }

  static void StopPrometheus() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  static void TearDownTestSuite() {
    StopPrometheus();
    delete exporter_;
    exporter_ = nullptr;
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void SetUp() override {
    if (pid_ <= 0) GTEST_SKIP() << "prometheus/promtool not installed (Debian package prometheus)";
  }

  SourceSpec Spec(const std::string& url) {
    SourceSpec s;
    s.name = "prom";
    s.type = SourceType::kPrometheus;
    s.url = url;
    s.timeout = Duration(5000);
    s.retry_backoff = Duration(50);
    return s;
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::unique_ptr<PrometheusSource> Open(const SourceSpec& spec) {
    auto s = PrometheusSource::Open(ioc_, spec, nullptr);
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
  }
  Result<Series> Fetch(PrometheusSource& s, TimePoint from, TimePoint to, Duration step) {
    loop::FetchRequest req{"it", "kedastral_it_load", from, to, step};
    return RunToCompletion(ioc_, s.Fetch(std::move(req)));
  }
  static TimePoint GridEnd(Duration step) {
    const auto now = Now().time_since_epoch().count();
    return TimePoint(Duration((now / step.count() + 1) * step.count()));
  }

  static inline fs::path dir_;
  static inline FakeHttpServer* exporter_ = nullptr;
  static inline unsigned short port_ = 0;
  static inline pid_t pid_ = 0;
  net::io_context ioc_{1};
};

TEST_F(PrometheusIntegrationTest, WarmStartHoldsTheWholeWindowInChunks) {
  auto source = Open(Spec(Url()));
  const Duration window(36L * 3600 * 1000);  // 12,960 steps of 10 s: two requests
  const TimePoint to = GridEnd(kHistoryStep);
  auto r = Fetch(*source, to - window, to, kHistoryStep);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(source->stats().requests, 2u);
  EXPECT_EQ(r->start, to - window);
  EXPECT_GE(r->size(), 12950u);  // the newest steps may not be scraped yet
  for (size_t i : {size_t{0}, size_t{1}, size_t{5000}, size_t{11000}, size_t{12000}}) {
    const long long t = r->TimeAt(i).time_since_epoch().count() / 1000;
    EXPECT_DOUBLE_EQ(r->values[i], HistoryValue(t)) << "at step " << i;
  }
  std::cout << "warm start: " << r->size() << " points, " << source->stats().bytes << " bytes in "
            << source->stats().requests << " requests\n";
}

TEST_F(PrometheusIntegrationTest, LaterCyclesFetchOnlyTheNewPoints) {
  auto source = Open(Spec(Url()));
  const Duration step(1000);
  const Duration window(600000);  // 600 points
  loop::History history(step, 600, 5);
  TimePoint to = GridEnd(step);
  auto warm = Fetch(*source, to - window, to, step);
  ASSERT_TRUE(warm) << warm.error().message;
  history.Merge(*warm);
  const auto warm_stats = source->stats();
  const TimePoint first_end = history.End();
  // Poll (bounded) until Prometheus has scraped a few more seconds of the exporter.
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  size_t last_points = 0;
  while (history.End() < first_end + 3 * step && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // poll interval
    to = GridEnd(step);
    const auto before = source->stats();
    auto inc = Fetch(*source, std::max(to - window, history.End() - 2 * step), to, step);
    ASSERT_TRUE(inc) << inc.error().message;
    last_points = source->stats().points - before.points;
    history.Merge(*inc);
  }
  ASSERT_GE(history.End(), first_end + 3 * step) << "no new points arrived";
  EXPECT_LE(last_points, 10u);
  EXPECT_GE(warm_stats.points, 590u);
  EXPECT_DOUBLE_EQ(history.Copy().values.back(), kLiveValue);
  std::cout << "incremental: " << last_points << " points in the last cycle vs " << warm_stats.points
            << " for the window\n";
}

TEST_F(PrometheusIntegrationTest, PathPrefixBearerTokenAndHeadersReachTheServer) {
  // A recording proxy in front, serving Prometheus under /select/0/prometheus.
  FakeHttpServer proxy([](const FakeRequest& req) {
    const std::string prefix = "/select/0/prometheus";
    if (req.target.rfind(prefix, 0) != 0) return FakeResponse{.status = 404, .body = "no prefix"};
    return Forward(port_, req.target.substr(prefix.size()));
  });
  SourceSpec spec = Spec(proxy.url() + "/select/0/prometheus");
  spec.bearer_token = "it-token";
  spec.headers = {{"X-Scope-OrgID", "team-a"}};
  auto source = Open(spec);
  const TimePoint to = GridEnd(kHistoryStep);
  auto r = Fetch(*source, to - Duration(3600000), to, kHistoryStep);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_GE(r->size(), 350u);
  const FakeRequest seen = proxy.requests().at(0);
  EXPECT_EQ(seen.headers.at("authorization"), "Bearer it-token");
  EXPECT_EQ(seen.headers.at("x-scope-orgid"), "team-a");
}

TEST_F(PrometheusIntegrationTest, StoppedPrometheusFailsFastThenRecovers) {
  SourceSpec spec = Spec(Url());
  spec.retries = 0;
  spec.circuit_breaker_failures = 2;
  spec.circuit_breaker_cooldown = Duration(200);
  auto source = Open(spec);
  const TimePoint to = GridEnd(kHistoryStep);
  ASSERT_TRUE(Fetch(*source, to - Duration(600000), to, kHistoryStep));
  StopPrometheus();
  const auto t0 = std::chrono::steady_clock::now();
  auto down = Fetch(*source, to - Duration(600000), to, kHistoryStep);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(2));
  EXPECT_FALSE(Fetch(*source, to - Duration(600000), to, kHistoryStep));
  EXPECT_TRUE(source->circuit_open());
  StartPrometheus();
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  Result<Series> back = Fail(Error::Unavailable("not tried"));
  while (!back && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll interval
    back = Fetch(*source, to - Duration(600000), to, kHistoryStep);
  }
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(source->circuit_open());
}

// The whole product against the real Prometheus: the binary forecasts from it, KEDA
// gets replicas; Prometheus dies: the last snapshot keeps serving until it is stale,
// then KEDA is told UNAVAILABLE (its fallback engages); Prometheus returns: recovery.
TEST_F(PrometheusIntegrationTest, TheBinaryServesForecastsFallsBackAndRecovers) {
  using kedastral::testing::Child;
  using kedastral::testing::HttpGet;
  using kedastral::testing::WaitFor;
  const int http_port = kedastral::testing::FreeLoopbackPort();
  const int grpc_port = kedastral::testing::FreeLoopbackPort();
  const fs::path cfg = dir_ / "kedastral.yaml";
  std::ofstream(cfg) << "server: {http: 127.0.0.1:" << http_port << ", grpc: 127.0.0.1:" << grpc_port
                     << "}\nlog: {level: info, format: text}\n"
                     << "sources: {prom: {type: prometheus, url: '" << Url()
                     << "', timeout: 1s, retries: 0, circuitBreakerFailures: 2, "
                        "circuitBreakerCooldown: 500ms}}\n"
                     << "workloads:\n  - {name: api, source: prom, query: kedastral_it_load, "
                        "step: 10s, window: 2h, horizon: 5m, interval: 1s, staleAfter: 4s, "
                        "leadTime: 1m, model: seasonal_naive, capacity: {targetPerPod: 100}}\n";
  Child server({KEDASTRAL_BINARY, "serve", "--config", cfg.string()},
               (dir_ / "serve.log").string());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port),
                                     grpc::InsecureChannelCredentials());
  auto get_metrics = [&](int64_t* value) {
    auto stub = externalscaler::ExternalScaler::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(2));
    externalscaler::GetMetricsRequest req;
    (*req.mutable_scaledobjectref()->mutable_scalermetadata())["workload"] = "api";
    externalscaler::GetMetricsResponse resp;
    grpc::Status st = stub->GetMetrics(&ctx, req, &resp);
    if (st.ok() && value != nullptr) *value = resp.metricvalues(0).metricvalue();
    return st.error_code();
  };

  ASSERT_TRUE(WaitFor([&] { return get_metrics(nullptr) == grpc::StatusCode::OK; }, seconds(30)))
      << server.Log() << HttpGet(http_port, "/forecast").body;
  const auto current = HttpGet(http_port, "/forecast/current?workload=api");
  EXPECT_EQ(current.status, 200);
  EXPECT_NE(current.body.find("\"stepSeconds\":10"), std::string::npos) << current.body;
  int64_t replicas = 0;
  ASSERT_EQ(get_metrics(&replicas), grpc::StatusCode::OK);
  EXPECT_GE(replicas, 1);

  StopPrometheus();
  EXPECT_TRUE(WaitFor([&] { return get_metrics(nullptr) == grpc::StatusCode::UNAVAILABLE; },
                      seconds(20)))
      << server.Log();
  EXPECT_EQ(HttpGet(http_port, "/healthz").status, 200);  // degraded, never crashed

  StartPrometheus();
  EXPECT_TRUE(WaitFor([&] { return get_metrics(nullptr) == grpc::StatusCode::OK; }, seconds(30)))
      << server.Log();
  EXPECT_EQ(server.Kill(SIGTERM), 0);
}

}  // namespace
}  // namespace kedastral::io
