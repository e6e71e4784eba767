// End to end: starts the real `kedastral` binary on a replay config with free
// loopback ports, then talks to it as KEDA (a real gRPC client), as a person
// (HTTP JSON) and as Prometheus (/metrics), and finally stops it with SIGTERM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <boost/json.hpp>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "externalscaler.grpc.pb.h"
#include "support/process_util.h"

extern char** environ;

namespace kedastral {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

using testing::HttpReply;

int FreePort() { return testing::FreeLoopbackPort(); }
HttpReply Http(int port, const std::string& method, const std::string& target) {
  return testing::HttpRequest(port, method, target);
}

json::value Json(const HttpReply& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  EXPECT_FALSE(ec) << "not JSON: " << r.body;
  return v;
}

struct Exit {
  int code = -1;
  std::string output;
};

// Runs the binary to completion with `args`, capturing stdout and stderr.
Exit RunBinary(const std::vector<std::string>& args, const fs::path& dir) {
  const fs::path out = dir / "run.out";
  std::string cmd = KEDASTRAL_BINARY;
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " >'" + out.string() + "' 2>&1";
  Exit e;
  int status = std::system(cmd.c_str());
  e.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  e.output = ss.str();
  return e;
}

class E2ETest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("kedastral-e2e-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    http_port_ = FreePort();
    grpc_port_ = FreePort();
    std::ofstream cfg(dir_ / "kedastral.yaml");
    cfg << "server:\n"
        << "  http: 127.0.0.1:" << http_port_ << "\n"
        << "  grpc: 127.0.0.1:" << grpc_port_ << "\n"
        << "log: {level: info, format: json}\n"
        << "defaults:\n"
        << "  step: 1m\n  window: 2d\n  horizon: 30m\n  interval: 30s\n  leadTime: 5m\n"
        << "  model: seasonal_naive\n"
        << "  capacity: {targetPerPod: 20, quantile: 0.9, minReplicas: 1, maxReplicas: 30}\n"
        << "sources:\n"
        << "  demo: {type: replay, file: " << KEDASTRAL_SOURCE_DIR << "/examples/demo.csv}\n"
        << "  broken: {type: replay, file: missing.csv}\n"
        << "workloads:\n"
        << "  - {name: api, namespace: shop, source: demo, query: rps}\n"
        << "  - {name: watcher, source: demo, query: rps, mode: shadow}\n"
        << "  - {name: sleepy, source: demo, query: rps, interval: 1h, staleAfter: 1s}\n"
        << "  - {name: orphan, source: broken, query: rps}\n";
    cfg.close();

    const std::string log = (dir_ / "serve.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string bin = KEDASTRAL_BINARY, config = (dir_ / "kedastral.yaml").string();
    std::vector<char*> argv = {bin.data(), const_cast<char*>("serve"),
                               const_cast<char*>("--config"), config.data(), nullptr};
    ASSERT_EQ(posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);

    // Ready once every workload has a forecast or a recorded error.
    const auto deadline = Clock::now() + seconds(60);
    while (Clock::now() < deadline && Http(http_port_, "GET", "/readyz").status != 200) {
      std::this_thread::sleep_for(milliseconds(100));
    }
    ASSERT_EQ(Http(http_port_, "GET", "/readyz").status, 200) << ServeLog();
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port_),
                                   grpc::InsecureChannelCredentials());
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static std::string ServeLog() {
    std::ifstream in(dir_ / "serve.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  static externalscaler::ScaledObjectRef Ref(const std::string& workload, const std::string& name = "",
                                             const std::string& ns = "") {
    externalscaler::ScaledObjectRef ref;
    ref.set_name(name.empty() ? "scaled-" + workload : name);
    ref.set_namespace_(ns.empty() ? "default" : ns);
    if (!workload.empty()) (*ref.mutable_scalermetadata())["workload"] = workload;
    return ref;
  }

  static std::unique_ptr<externalscaler::ExternalScaler::Stub> Stub() {
    return externalscaler::ExternalScaler::NewStub(channel_);
  }

  static void Deadline(grpc::ClientContext& ctx, seconds s = seconds(5)) {
    ctx.set_deadline(std::chrono::system_clock::now() + s);
  }

  static inline fs::path dir_;
  static inline int http_port_ = 0;
  static inline int grpc_port_ = 0;
  static inline pid_t pid_ = -1;
  static inline std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(E2ETest, CurrentForecastHasTheDocumentedShape) {
  HttpReply r = Http(http_port_, "GET", "/forecast/current?workload=api");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object o = Json(r).as_object();
  EXPECT_EQ(o.at("workload").as_string(), "api");
  EXPECT_EQ(o.at("metric").as_string(), "rps");
  EXPECT_EQ(o.at("stepSeconds").to_number<double>(), 60);
  EXPECT_EQ(o.at("horizonSeconds").to_number<double>(), 1800);
  EXPECT_EQ(o.at("values").as_array().size(), 30u);
  EXPECT_EQ(o.at("quantiles").as_object().at("p90").as_array().size(), 30u);
  EXPECT_TRUE(o.at("quantiles").as_object().contains("p99"));
  EXPECT_EQ(o.at("model").as_string(), "seasonal_naive");
  EXPECT_FALSE(o.at("stale").as_bool());
  EXPECT_GE(o.at("desiredReplicas").to_number<double>(), 1);
  EXPECT_LE(o.at("desiredReplicas").to_number<double>(), 30);
  const std::string generated(o.at("generatedAt").as_string());
  EXPECT_EQ(generated.back(), 'Z') << generated;
  EXPECT_EQ(generated[10], 'T') << generated;
}

TEST_F(E2ETest, ForecastListsEveryWorkload) {
  HttpReply r = Http(http_port_, "GET", "/forecast");
  ASSERT_EQ(r.status, 200);
  json::array list = Json(r).as_object().at("workloads").as_array();
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0].as_object().at("name").as_string(), "api");
  EXPECT_EQ(list[3].as_object().at("name").as_string(), "orphan");
  EXPECT_NE(json::serialize(list[3]).find("missing.csv"), std::string::npos);
}

TEST_F(E2ETest, HttpErrorsAreJsonWithAReason) {
  HttpReply missing = Http(http_port_, "GET", "/forecast/current");
  EXPECT_EQ(missing.status, 400);
  EXPECT_TRUE(Json(missing).as_object().contains("error"));
  HttpReply unknown = Http(http_port_, "GET", "/forecast/current?workload=nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("nope"), std::string::npos);
  HttpReply post = Http(http_port_, "POST", "/forecast/current?workload=api");
  EXPECT_EQ(post.status, 405);
  EXPECT_TRUE(Json(post).as_object().contains("error"));
  EXPECT_EQ(Http(http_port_, "GET", "/healthz").status, 200);
}

TEST_F(E2ETest, MetricsExposeForecastsReplicasAndAge) {
  HttpReply r = Http(http_port_, "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("kedastral_predicted_value{"), std::string::npos);
  EXPECT_NE(r.body.find("quantile=\"p90\""), std::string::npos);
  EXPECT_NE(r.body.find("kedastral_desired_replicas{workload=\"api\"}"), std::string::npos);
  EXPECT_NE(r.body.find("kedastral_forecast_age_seconds{workload=\"api\"}"), std::string::npos);
  EXPECT_NE(r.body.find("kedastral_cycles_total"), std::string::npos);
}

TEST_F(E2ETest, GetMetricSpecTargetsOneSoReplicasEqualOurValue) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  Deadline(ctx);
  externalscaler::GetMetricSpecResponse resp;
  ASSERT_TRUE(stub->GetMetricSpec(&ctx, Ref("api"), &resp).ok());
  ASSERT_EQ(resp.metricspecs_size(), 1);
  EXPECT_EQ(resp.metricspecs(0).metricname(), "kedastral-api");
  EXPECT_EQ(resp.metricspecs(0).targetsize(), 1);
  EXPECT_EQ(resp.metricspecs(0).targetsizefloat(), 1.0);
}

TEST_F(E2ETest, GetMetricsAnswersThePlannedReplicas) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  Deadline(ctx);
  externalscaler::GetMetricsRequest req;
  *req.mutable_scaledobjectref() = Ref("api");
  req.set_metricname("kedastral-api");
  externalscaler::GetMetricsResponse resp;
  grpc::Status st = stub->GetMetrics(&ctx, req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(resp.metricvalues_size(), 1);
  const auto& v = resp.metricvalues(0);
  EXPECT_EQ(v.metricname(), "kedastral-api");
  EXPECT_GE(v.metricvalue(), 1);
  EXPECT_LE(v.metricvalue(), 30);
  EXPECT_EQ(v.metricvaluefloat(), static_cast<double>(v.metricvalue()));
  // The HTTP API reports the same plan.
  json::object o = Json(Http(http_port_, "GET", "/forecast/current?workload=api")).as_object();
  EXPECT_NEAR(o.at("desiredReplicas").to_number<double>(), v.metricvalue(), 2);
}

TEST_F(E2ETest, ScaledObjectNameAndNamespaceFindTheWorkload) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  Deadline(ctx);
  externalscaler::IsActiveResponse resp;
  ASSERT_TRUE(stub->IsActive(&ctx, Ref("", "api", "shop"), &resp).ok());
  EXPECT_TRUE(resp.result());
  grpc::ClientContext other;
  Deadline(other);
  EXPECT_EQ(stub->IsActive(&other, Ref("", "api", "elsewhere"), &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(E2ETest, UnknownWorkloadIsNotFound) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  Deadline(ctx);
  externalscaler::GetMetricsRequest req;
  *req.mutable_scaledobjectref() = Ref("ghost");
  externalscaler::GetMetricsResponse resp;
  grpc::Status st = stub->GetMetrics(&ctx, req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(st.error_message().find("ghost"), std::string::npos);
}

TEST_F(E2ETest, ShadowWorkloadAnswersZero) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  Deadline(ctx);
  externalscaler::GetMetricsRequest req;
  *req.mutable_scaledobjectref() = Ref("watcher");
  externalscaler::GetMetricsResponse resp;
  ASSERT_TRUE(stub->GetMetrics(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.metricvalues(0).metricvalue(), 0);
  // ...while its plan is visible over HTTP.
  json::object o = Json(Http(http_port_, "GET", "/forecast/current?workload=watcher")).as_object();
  EXPECT_GE(o.at("desiredReplicas").to_number<double>(), 1);
}

TEST_F(E2ETest, StaleWorkloadIsUnavailableSoKedaFallsBack) {
  auto stub = Stub();
  grpc::Status st;
  const auto deadline = Clock::now() + seconds(15);
  do {
    grpc::ClientContext ctx;
    Deadline(ctx);
    externalscaler::GetMetricsRequest req;
    *req.mutable_scaledobjectref() = Ref("sleepy");
    externalscaler::GetMetricsResponse resp;
    st = stub->GetMetrics(&ctx, req, &resp);
    if (st.error_code() == grpc::StatusCode::UNAVAILABLE) break;
    std::this_thread::sleep_for(milliseconds(200));
  } while (Clock::now() < deadline);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  grpc::ClientContext ctx;
  Deadline(ctx);
  externalscaler::IsActiveResponse active;
  ASSERT_TRUE(stub->IsActive(&ctx, Ref("sleepy"), &active).ok());
  EXPECT_FALSE(active.result());
}

TEST_F(E2ETest, WorkloadWithoutForecastIsUnavailable) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  Deadline(ctx);
  externalscaler::GetMetricsRequest req;
  *req.mutable_scaledobjectref() = Ref("orphan");
  externalscaler::GetMetricsResponse resp;
  EXPECT_EQ(stub->GetMetrics(&ctx, req, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(E2ETest, StreamIsActiveSendsTheCurrentStateAtOnce) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  Deadline(ctx);
  auto reader = stub->StreamIsActive(&ctx, Ref("api"));
  externalscaler::IsActiveResponse resp;
  ASSERT_TRUE(reader->Read(&resp));
  EXPECT_TRUE(resp.result());
  ctx.TryCancel();
  reader->Finish();
}

TEST_F(E2ETest, StreamMetricSpecSendsTheCurrentSpecAtOnce) {
  auto stub = Stub();
  grpc::ClientContext ctx;
  Deadline(ctx);
  auto reader = stub->StreamMetricSpec(&ctx, Ref("api"));
  externalscaler::GetMetricSpecResponse resp;
  ASSERT_TRUE(reader->Read(&resp));
  ASSERT_EQ(resp.metricspecs_size(), 1);
  EXPECT_EQ(resp.metricspecs(0).metricname(), "kedastral-api");
  ctx.TryCancel();
  reader->Finish();
}

TEST_F(E2ETest, CheckConfigAcceptsAValidFile) {
  Exit e = RunBinary({"check-config", (dir_ / "kedastral.yaml").string()}, dir_);
  EXPECT_EQ(e.code, 0) << e.output;
  EXPECT_NE(e.output.find("4 workloads"), std::string::npos) << e.output;
}

TEST_F(E2ETest, CheckConfigNamesFileLineAndColumnOfAnError) {
  const fs::path bad = dir_ / "bad.yaml";
  std::ofstream(bad) << "sources:\n  demo: {type: replay, file: x.csv}\n"
                     << "workloads:\n  - name: a\n    source: demo\n    stepp: 1m\n";
  Exit e = RunBinary({"check-config", bad.string()}, dir_);
  EXPECT_EQ(e.code, 1);
  EXPECT_NE(e.output.find(bad.string() + ":6:5: workloads[0].stepp"), std::string::npos) << e.output;
}

TEST_F(E2ETest, BundledDemoConfigIsValid) {
  Exit e = RunBinary({"check-config", KEDASTRAL_SOURCE_DIR "/examples/demo.yaml"}, dir_);
  EXPECT_EQ(e.code, 0) << e.output;
}

// Defined last, so gtest runs it last (the whole binary is one ctest test).
TEST_F(E2ETest, ZzSigtermDrainsAndExitsZero) {
  // An open stream must not hold shutdown up.
  auto stub = Stub();
  grpc::ClientContext ctx;
  Deadline(ctx, seconds(30));
  auto reader = stub->StreamIsActive(&ctx, Ref("api"));
  externalscaler::IsActiveResponse resp;
  ASSERT_TRUE(reader->Read(&resp));

  const auto t0 = Clock::now();
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(pid_, &status, WNOHANG)) == 0 && Clock::now() - t0 < seconds(15)) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_EQ(done, pid_) << "still running 15 s after SIGTERM\n" << ServeLog();
  pid_ = -1;
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << ServeLog();
  EXPECT_LT(Clock::now() - t0, seconds(12));
  while (reader->Read(&resp)) {
  }
  reader->Finish();
  EXPECT_NE(ServeLog().find("stopped"), std::string::npos);
}

}  // namespace
}  // namespace kedastral
