// Browser test: starts the real `kedastral` binary on the bundled demo config (free
// loopback ports), opens the pages in headless Chromium, checks the rendered DOM for
// the chart's elements and numbers, and saves a screenshot. Skipped when Chromium is
// not installed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "support/process_util.h"

extern char** environ;

namespace kedastral {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kChromium = "/usr/bin/chromium";

int FreePort() { return testing::FreeLoopbackPort(); }

// Status and body of one GET.
std::pair<int, std::string> HttpGet(int port, const std::string& target) {
  testing::HttpReply r = testing::HttpGet(port, target);
  return {r.status, r.body};
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ReplaceOnce(std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) return false;
  text.replace(at, from.size(), to);
  return true;
}

size_t Count(const std::string& text, const std::string& fragment) {
  size_t n = 0;
  for (size_t p = text.find(fragment); p != std::string::npos; p = text.find(fragment, p + 1)) ++n;
  return n;
}

class UiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(kChromium, X_OK) != 0) return;
    dir_ = fs::temp_directory_path() / ("kedastral-ui-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    http_port_ = FreePort();
    // The bundled demo, on free ports, reading the bundled recording.
    std::string cfg = ReadFile(KEDASTRAL_SOURCE_DIR "/examples/demo.yaml");
    config_ok_ = ReplaceOnce(cfg, "127.0.0.1:8081", "127.0.0.1:" + std::to_string(http_port_)) &&
                 ReplaceOnce(cfg, "127.0.0.1:50051", "127.0.0.1:" + std::to_string(FreePort())) &&
                 ReplaceOnce(cfg, "file: demo.csv",
                             std::string("file: ") + KEDASTRAL_SOURCE_DIR "/examples/demo.csv");
    if (!config_ok_) return;
    std::ofstream(dir_ / "demo.yaml") << cfg;

    const std::string log = (dir_ / "serve.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::string bin = KEDASTRAL_BINARY, config = (dir_ / "demo.yaml").string();
    std::vector<char*> argv = {bin.data(), const_cast<char*>("serve"),
                               const_cast<char*>("--config"), config.data(), nullptr};
    if (posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);

    // Both demo workloads have a forecast.
    const auto deadline = Clock::now() + seconds(60);
    while (pid_ > 0 && Clock::now() < deadline &&
           !(HasForecast("demo-api") && HasForecast("demo-worker"))) {
      std::this_thread::sleep_for(milliseconds(200));
    }
  }

  static bool HasForecast(const std::string& workload) {
    return HttpGet(http_port_, "/forecast/current?workload=" + workload).first == 200;
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  void SetUp() override {
    if (::access(kChromium, X_OK) != 0) GTEST_SKIP() << kChromium << " is not installed";
    ASSERT_TRUE(config_ok_) << "examples/demo.yaml no longer has the expected addresses/file";
    ASSERT_GT(pid_, 0);
    ASSERT_TRUE(HasForecast("demo-api") && HasForecast("demo-worker"))
        << ReadFile(dir_ / "serve.log");
  }

  // Runs headless Chromium with `args` plus the URL of `target`; returns its stdout.
  // Each run gets a fresh profile; `timeout` bounds a browser that hangs.
  static std::string Chromium(const std::string& args, const std::string& target) {
    const fs::path profile = dir_ / ("profile-" + std::to_string(++runs_));
    const std::string url = "http://127.0.0.1:" + std::to_string(http_port_) + target;
    const std::string cmd = std::string("timeout 90 ") + kChromium +
                            " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                            " --disable-background-networking --disable-component-update"
                            " --disable-sync --hide-scrollbars --user-data-dir='" +
                            profile.string() + "' " + args + " '" + url + "' 2>/dev/null";
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[8192];
      for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
      ::pclose(p);
    }
    return out;
  }

  static inline fs::path dir_;
  static inline int http_port_ = 0;
  static inline pid_t pid_ = -1;
  static inline bool config_ok_ = false;
  static inline int runs_ = 0;
};

TEST_F(UiTest, IndexListsBothDemoWorkloadsWithTheirState) {
  const std::string dom = Chromium("--dump-dom", "/");
  ASSERT_NE(dom.find("<table id=\"workloads\">"), std::string::npos) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("data-name=\"demo-api\""), std::string::npos);
  EXPECT_NE(dom.find("data-name=\"demo-worker\""), std::string::npos);
  EXPECT_NE(dom.find("href=\"/ui/workload?name=demo-api\""), std::string::npos);
  EXPECT_EQ(Count(dom, "<span class=\"badge ok\">ok</span>"), 2u);
  EXPECT_NE(dom.find("(KEDA gets 0)"), std::string::npos);  // demo-worker is in shadow mode
}

TEST_F(UiTest, WorkloadPageDrawsTheChartWithTheServedNumbers) {
  auto before = json::parse(HttpGet(http_port_, "/forecast/current?workload=demo-api").second);
  const std::string dom = Chromium("--dump-dom", "/ui/workload?name=demo-api");
  auto after = json::parse(HttpGet(http_port_, "/forecast/current?workload=demo-api").second);

  ASSERT_NE(dom.find("<svg id=\"forecast-chart\""), std::string::npos) << dom.substr(0, 2000);
  for (const char* element :
       {"class=\"actual\"", "class=\"forecast-p50\"", "class=\"p90-band\"", "class=\"replicas\"",
        "class=\"lead-window\"", "class=\"now\"", ">time (UTC)<", ">replicas<", ">lead time 5m<"}) {
    EXPECT_NE(dom.find(element), std::string::npos) << element;
  }
  EXPECT_GE(Count(dom, "class=\"x-tick\""), 4u);
  EXPECT_GE(Count(dom, "class=\"y-tick\""), 3u);
  EXPECT_GE(Count(dom, "class=\"y2-tick\""), 3u);
  // The actual line spans the two hours before now: one point per minute.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("class=\"actual\" d=\"([^\"]*)\"")));
  EXPECT_GE(Count(m[1], "L"), 100u);

  // The page shows the plan the JSON API serves (a new forecast may land in between).
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("id=\"desired-replicas\">(\\d+)<")));
  const int shown = std::stoi(m[1]);
  const int a = static_cast<int>(before.at("desiredReplicas").to_number<double>());
  const int b = static_cast<int>(after.at("desiredReplicas").to_number<double>());
  EXPECT_TRUE(shown == a || shown == b) << shown << " vs " << a << "/" << b;
  EXPECT_NE(dom.find(std::string(before.at("model").as_string())), std::string::npos);
}

TEST_F(UiTest, ShadowWorkloadPageSaysKedaGetsZero) {
  const std::string dom = Chromium("--dump-dom", "/ui/workload?name=demo-worker");
  EXPECT_NE(dom.find("id=\"keda-value\">0<"), std::string::npos) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("badge shadow"), std::string::npos);
}

TEST_F(UiTest, ScreenshotOfTheWorkloadPageIsSaved) {
  const fs::path png = fs::path(KEDASTRAL_UI_OUTPUT_DIR) / "screenshot-workload.png";
  fs::remove(png);
  Chromium("--screenshot='" + png.string() + "' --window-size=1280,900",
           "/ui/workload?name=demo-api");
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 20'000u);  // a blank page is a few kB
  EXPECT_EQ(ReadFile(png).substr(1, 3), "PNG");
}

}  // namespace
}  // namespace kedastral
