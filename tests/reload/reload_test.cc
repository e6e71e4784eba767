// Config reload against the real binary: each test starts `kedastral serve` on free
// loopback ports with its config laid out as Kubernetes mounts a ConfigMap
//
//   dir/..v1/kedastral.yaml
//   dir/..data -> ..v1
//   dir/kedastral.yaml -> ..data/kedastral.yaml
//
// changes the config (by swapping `..data` as the kubelet does, by rewriting it in
// place, or with SIGHUP) and watches the result over HTTP and /metrics.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "support/process_util.h"

extern char** environ;

namespace kedastral {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Reloads must be noticed well within this (inotify + 200 ms debounce; the stat
// fallback polls every 5 s).
constexpr auto kReloadDeadline = seconds(20);

using testing::HttpReply;

int FreePort() { return testing::FreeLoopbackPort(); }
HttpReply Get(int port, const std::string& target) { return testing::HttpGet(port, target); }

// Polls `done` until it holds or the deadline passes.
bool WaitFor(const std::function<bool()>& done, Clock::duration within = kReloadDeadline) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return done();
}

// The value of one sample in Prometheus text, e.g. Sample(text, "kedastral_x{a=\"b\"}").
std::optional<double> Sample(const std::string& metrics, const std::string& series) {
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("kedastral-reload-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    http_port_ = FreePort();
    grpc_port_ = FreePort();
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (HasFailure()) std::cerr << "--- serve log ---\n" << Log() << "\n";
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A complete config with these workload lines (YAML list items).
  std::string Config(const std::string& workloads) const {
    std::ostringstream cfg;
    cfg << "server:\n"
        << "  http: 127.0.0.1:" << http_port_ << "\n"
        << "  grpc: 127.0.0.1:" << grpc_port_ << "\n"
        << "log: {level: info, format: json}\n"
        << "defaults:\n"
        << "  step: 1m\n  window: 1d\n  horizon: 30m\n  interval: 1s\n"
        << "  model: seasonal_naive\n"
        << "  capacity: {targetPerPod: 20, maxReplicas: 30}\n"
        << "sources:\n"
        << "  demo: {type: replay, file: " << KEDASTRAL_SOURCE_DIR << "/examples/demo.csv}\n"
        << "workloads:\n"
        << workloads;
    return cfg.str();
  }

  // Publishes `text` as the kubelet does: a new timestamped folder, a temporary
  // `..data` link to it, renamed over the old one, and the old folder removed.
  void SwapIn(const std::string& text) {
    const std::string version = "..v" + std::to_string(++version_);
    fs::create_directories(dir_ / version);
    std::ofstream(dir_ / version / "kedastral.yaml") << text;
    fs::create_directory_symlink(version, dir_ / "..data_tmp");
    fs::rename(dir_ / "..data_tmp", dir_ / "..data");
    if (version_ > 1) fs::remove_all(dir_ / ("..v" + std::to_string(version_ - 1)));
    if (!fs::is_symlink(dir_ / "kedastral.yaml")) {
      fs::create_symlink("..data/kedastral.yaml", dir_ / "kedastral.yaml");
    }
  }

  void Start(const std::string& text) {
    SwapIn(text);
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
    ASSERT_TRUE(WaitFor([&] { return Get(http_port_, "/readyz").status == 200; }, seconds(60)))
        << "never ready";
  }

  std::string Metrics() const { return Get(http_port_, "/metrics").body; }

  double Reloads(const std::string& result) const {
    return Sample(Metrics(), "kedastral_config_reload_total{result=\"" + result + "\"}")
        .value_or(-1);
  }

  // The entry of /forecast for `name`, or null.
  json::value Workload(const std::string& name) const {
    boost::system::error_code ec;
    json::value v = json::parse(Get(http_port_, "/forecast").body, ec);
    if (ec || !v.is_object()) return nullptr;
    for (const json::value& w : v.at("workloads").as_array()) {
      if (w.at("name").as_string() == name) return w;
    }
    return nullptr;
  }

  bool HasForecast(const std::string& name) const {
    json::value w = Workload(name);
    return w.is_object() && w.at("hasForecast").as_bool();
  }

  std::string Log() const {
    std::ifstream in(dir_ / "serve.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path dir_;
  int http_port_ = 0;
  int grpc_port_ = 0;
  pid_t pid_ = -1;
  int version_ = 0;
};

const std::string kTwoWorkloads =
    "  - {name: steady, source: demo, query: rps, interval: 1h}\n"
    "  - {name: busy, source: demo, query: rps}\n";

TEST_F(ReloadTest, SymlinkSwapIsNoticedAndAddsTheNewWorkload) {
  Start(Config(kTwoWorkloads));
  ASSERT_FALSE(Workload("added").is_object());

  SwapIn(Config(kTwoWorkloads + "  - {name: added, source: demo, query: rps}\n"));

  EXPECT_TRUE(WaitFor([&] { return HasForecast("added"); })) << "the swap was not noticed";
  EXPECT_EQ(Reloads("success"), 1);
  EXPECT_EQ(Reloads("failure"), 0);
}

TEST_F(ReloadTest, ValidChangeKeepsTheOtherWorkloadsHistory) {
  Start(Config(kTwoWorkloads));
  // `steady` refreshes hourly: if the reload restarted it, a new first cycle would
  // publish a new forecast within seconds. `busy` counts its cycles: a restarted
  // workload starts counting from zero.
  const json::value steady = Workload("steady");
  ASSERT_TRUE(steady.at("hasForecast").as_bool());
  const std::string busy_cycles = "kedastral_cycles_total{result=\"ok\",workload=\"busy\"}";
  ASSERT_TRUE(WaitFor([&] { return Sample(Metrics(), busy_cycles).value_or(0) >= 2; }));
  const double cycles_before = *Sample(Metrics(), busy_cycles);

  // Add a workload, remove none, and change busy's capacity (same data: history stays).
  SwapIn(
      Config("  - {name: steady, source: demo, query: rps, interval: 1h}\n"
             "  - {name: busy, source: demo, query: rps, capacity: {targetPerPod: 40}}\n"
             "  - {name: added, source: demo, query: rps}\n"));
  ASSERT_TRUE(WaitFor([&] { return HasForecast("added"); }));
  // A few of busy's cycles after the reload.
  ASSERT_TRUE(
      WaitFor([&] { return Sample(Metrics(), busy_cycles).value_or(0) >= cycles_before + 2; }));

  EXPECT_EQ(Workload("steady").at("generatedAt"), steady.at("generatedAt"));
  EXPECT_TRUE(Workload("steady").at("hasForecast").as_bool());
  EXPECT_EQ(Reloads("success"), 1);
}

TEST_F(ReloadTest, RemovedWorkloadDisappearsWhileTheOthersStay) {
  Start(Config(kTwoWorkloads));
  const json::value steady = Workload("steady");

  SwapIn(Config("  - {name: steady, source: demo, query: rps, interval: 1h}\n"));

  EXPECT_TRUE(WaitFor([&] { return Workload("busy").is_null(); }));
  EXPECT_EQ(Get(http_port_, "/forecast/current?workload=busy").status, 404);
  EXPECT_EQ(Workload("steady").at("generatedAt"), steady.at("generatedAt"));
}

TEST_F(ReloadTest, InvalidChangeIsRejectedAndTheOldConfigKeepsServing) {
  Start(Config(kTwoWorkloads));
  const double last_success =
      Sample(Metrics(), "kedastral_config_last_reload_success_timestamp_seconds").value_or(0);
  EXPECT_GT(last_success, 0);

  // An unknown key on the line after the two workloads, in a workload that would be added.
  const std::string old_text = Config(kTwoWorkloads);
  const long bad_line = std::count(old_text.begin(), old_text.end(), '\n') + 1;
  SwapIn(Config(kTwoWorkloads + "  - {name: added, source: demo, query: rps, bogus: 1}\n"));

  ASSERT_TRUE(WaitFor([&] { return Reloads("failure") == 1; })) << "not rejected";
  EXPECT_EQ(Reloads("success"), 0);
  const std::string metrics = Metrics();
  EXPECT_EQ(Sample(metrics, "kedastral_config_last_reload_successful"), 0);
  EXPECT_EQ(Sample(metrics, "kedastral_config_last_reload_success_timestamp_seconds"),
            last_success);
  // The old config serves on: its workloads answer, the rejected one was not added.
  EXPECT_TRUE(HasForecast("steady"));
  EXPECT_TRUE(HasForecast("busy"));
  EXPECT_EQ(Get(http_port_, "/forecast/current?workload=busy").status, 200);
  EXPECT_TRUE(Workload("added").is_null());
  // The log says where: file:line:column: field: reason.
  EXPECT_TRUE(std::regex_search(Log(), std::regex("kedastral\\.yaml:" + std::to_string(bad_line) +
                                                  ":\\d+: workloads\\[2\\]\\.bogus: unknown key")))
      << Log();
}

TEST_F(ReloadTest, FixingARejectedConfigAppliesIt) {
  Start(Config(kTwoWorkloads));
  SwapIn(Config(kTwoWorkloads + "  - {name: added, source: nowhere, query: rps}\n"));
  ASSERT_TRUE(WaitFor([&] { return Reloads("failure") == 1; }));

  SwapIn(Config(kTwoWorkloads + "  - {name: added, source: demo, query: rps}\n"));

  EXPECT_TRUE(WaitFor([&] { return HasForecast("added"); }));
  EXPECT_EQ(Reloads("success"), 1);
  EXPECT_EQ(Sample(Metrics(), "kedastral_config_last_reload_successful"), 1);
}

TEST_F(ReloadTest, InPlaceEditOfAPlainFileIsNoticed) {
  Start(Config(kTwoWorkloads));
  // Replace the symlink by a plain file with the same content, then edit it in place.
  const std::string text = Config(kTwoWorkloads);
  fs::remove(dir_ / "kedastral.yaml");
  std::ofstream(dir_ / "kedastral.yaml") << text;
  // The content did not change, so that must not count as a reload.
  std::this_thread::sleep_for(milliseconds(500));
  ASSERT_EQ(Reloads("success"), 0);

  std::ofstream(dir_ / "kedastral.yaml", std::ios::trunc)
      << Config(kTwoWorkloads + "  - {name: added, source: demo, query: rps}\n");

  EXPECT_TRUE(WaitFor([&] { return HasForecast("added"); }));
  EXPECT_EQ(Reloads("success"), 1);
}

TEST_F(ReloadTest, EditBehindASymlinkIntoAnotherFolderIsNoticedByThePeriodicCheck) {
  // The config is a symlink to a file in a folder inotify does not watch: only the
  // stat fallback can see that file change.
  fs::create_directories(dir_ / "elsewhere");
  std::ofstream(dir_ / "elsewhere" / "real.yaml") << Config(kTwoWorkloads);
  fs::create_symlink(dir_ / "elsewhere" / "real.yaml", dir_ / "kedastral.yaml");
  Start(Config(kTwoWorkloads));

  std::ofstream(dir_ / "elsewhere" / "real.yaml", std::ios::trunc)
      << Config(kTwoWorkloads + "  - {name: added, source: demo, query: rps}\n");

  EXPECT_TRUE(WaitFor([&] { return HasForecast("added"); }));
  EXPECT_NE(Log().find("\"trigger\":\"poll\""), std::string::npos);
}

TEST_F(ReloadTest, SighupReloadsEvenAnUnchangedFile) {
  Start(Config(kTwoWorkloads));

  ASSERT_EQ(::kill(pid_, SIGHUP), 0);

  EXPECT_TRUE(WaitFor([&] { return Reloads("success") == 1; }));
  EXPECT_NE(Log().find("\"trigger\":\"sighup\""), std::string::npos);
  EXPECT_TRUE(HasForecast("busy"));
  EXPECT_EQ(::waitpid(pid_, nullptr, WNOHANG), 0) << "SIGHUP must not end the process";
}

TEST_F(ReloadTest, ServerAddressChangeIsLoggedAsNeedingARestart) {
  Start(Config(kTwoWorkloads));
  std::string text = Config(kTwoWorkloads);
  const std::string old_http = "127.0.0.1:" + std::to_string(http_port_);
  text.replace(text.find(old_http), old_http.size(), "127.0.0.1:" + std::to_string(FreePort()));

  SwapIn(text);

  ASSERT_TRUE(WaitFor([&] { return Reloads("success") == 1; }));
  EXPECT_NE(Log().find("needs a restart"), std::string::npos);
  EXPECT_EQ(Get(http_port_, "/healthz").status, 200) << "still serving on the old address";
}

}  // namespace
}  // namespace kedastral
