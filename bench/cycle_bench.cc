// Full forecast cycle at scale: N workloads, each with a window of 1-minute history,
// refreshed by the real loop::Scheduler (fetch -> History merge -> fit + forecast +
// plan on a thread pool -> accuracy -> publish into a SnapshotTable).
//
// The source is an in-memory fake that synthesises a seeded daily + weekly pattern
// with noise, so the numbers measure Kedastral and not a network. Rounds are gated:
// every workload's next fetch waits (asynchronously) until the bench releases the
// round, so a round's wall time is the time to refresh all N workloads once, as a
// steady-state cycle would. The fake clock moves one step per round, so each warm
// cycle sees one new point, as a 30 s interval on a 1-minute grid does every other time.
//
// Prints one line per round and a summary with resident memory (VmRSS) before and
// after, per workload and per history point. Not a test; see BENCHMARKS.md.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sys/resource.h>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/config.h"
#include "core/snapshot_table.h"
#include "core/time.h"
#include "loop/probe.h"
#include "loop/scheduler.h"
#include "loop/source.h"

namespace net = boost::asio;
using namespace kedastral;
using std::chrono::milliseconds;
using std::chrono::minutes;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr long kStepMs = 60'000;
constexpr size_t kWeekSteps = 7 * 1440;

// kB from a "Name:   1234 kB" line of /proc/self/status (0 when absent).
long StatusKb(const char* name) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(name) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::stol(line.substr(prefix.size()));
  }
  return 0;
}

// CPU seconds used by the whole process so far (all threads).
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

uint64_t Mix(uint64_t x) {  // splitmix64: cheap, seeded, deterministic noise
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// One shared week of shape (daily sine with a weekday/weekend difference); each
// workload scales, shifts and adds its own noise, so the table costs 80 KB however
// many workloads there are and Fetch stays cheap next to the models.
class SyntheticSource : public loop::Source {
 public:
  explicit SyntheticSource(uint64_t seed) : seed_(seed), shape_(kWeekSteps) {
    for (size_t i = 0; i < kWeekSteps; ++i) {
      const double day = static_cast<double>(i % 1440) / 1440;
      const bool weekend = i / 1440 >= 5;
      shape_[i] = (weekend ? 0.6 : 1.0) * (1 + 0.5 * std::sin(2 * M_PI * (day - 0.25))) +
                  0.15 * std::sin(2 * M_PI * day * 24);
    }
  }

  net::awaitable<Result<Series>> Fetch(loop::FetchRequest req) override {
    const uint64_t id = std::stoull(req.workload.substr(1));
    if (rounds_.size() <= id) rounds_.resize(id + 1, 0);
    // Gate: the k-th fetch of a workload waits until round k is released.
    // (The timer never expires; Release() cancels the waits, which wakes them.)
    while (rounds_[id] >= released_) {
      if (!gate_) {
        gate_ = std::make_unique<net::steady_timer>(co_await net::this_coro::executor);
        gate_->expires_at(net::steady_timer::time_point::max());
      }
      co_await gate_->async_wait(net::as_tuple(net::use_awaitable));
    }
    ++rounds_[id];
    Series s;
    s.step = req.step;
    const long step = req.step.count();
    const long first = (req.from.time_since_epoch().count() + step - 1) / step;
    const long end = (req.to.time_since_epoch().count() + step - 1) / step;
    s.start = TimePoint(Duration(first * step));
    const uint64_t h = Mix(seed_ ^ id);
    const double scale = 50 + static_cast<double>(h % 950);    // 50 .. 1000 load units
    const size_t phase = (h >> 20) % kWeekSteps;               // own time zone / weekday
    const double noise = 0.02 + static_cast<double>((h >> 40) % 100) / 1000;  // 2 .. 12 %
    s.values.reserve(static_cast<size_t>(std::max(0L, end - first)));
    for (long k = first; k < end; ++k) {
      const uint64_t r = Mix(h ^ static_cast<uint64_t>(k));
      const double u = static_cast<double>(r >> 11) * 0x1.0p-53 - 0.5;
      s.values.push_back(scale * shape_[(static_cast<size_t>(k) + phase) % kWeekSteps] * (1 + 2 * noise * u));
    }
    points_ += s.values.size();
    co_return s;
  }

  // Lets every workload's next fetch through.
  void Release() {
    ++released_;
    if (gate_) gate_->cancel();
  }
  size_t points() const { return points_; }

 private:
  uint64_t seed_;
  std::vector<double> shape_;
  std::vector<size_t> rounds_;  // fetches started per workload (loop thread only)
  size_t released_ = 1;         // fetches allowed per workload so far
  size_t points_ = 0;
  std::unique_ptr<net::steady_timer> gate_;
};

class CountingProbe : public loop::Probe {
 public:
  void CycleDone(std::string_view, double, bool ok) override { (ok ? ok_ : failed_).fetch_add(1); }
  long ok() const { return ok_.load(); }
  long failed() const { return failed_.load(); }

 private:
  std::atomic<long> ok_{0}, failed_{0};
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Kedastral full-cycle benchmark (loop::Scheduler, synthetic source)");
  size_t workloads = 1000;
  std::string model = "auto";
  int window_days = 7;
  int rounds = 10;
  unsigned threads = 2;
  uint64_t seed = 1;
  app.add_option("--workloads", workloads, "number of workloads")->capture_default_str();
  app.add_option("--model", model, "model for every workload")->capture_default_str();
  app.add_option("--window-days", window_days, "history window in days (1-minute steps)")->capture_default_str();
  app.add_option("--rounds", rounds, "warm rounds after the cold one")->capture_default_str();
  app.add_option("--threads", threads, "compute pool threads")->capture_default_str();
  app.add_option("--seed", seed, "data seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const long rss0 = StatusKb("VmRSS");
  net::io_context ioc(1);
  net::thread_pool pool(threads);
  SnapshotTable table;
  CountingProbe probe;
  SyntheticSource source(seed);

  // Fixed start at a minute boundary; the clock moves one step per released round.
  const TimePoint t0 = TimePoint(Duration(1'800'000'000'000L / kStepMs * kStepMs));
  std::atomic<long> clock_steps{0};
  loop::SchedulerOptions options;
  options.clock = [&] { return t0 + Duration(clock_steps.load() * kStepMs); };
  options.jitter = 0;
  options.first_delay_max = Duration(0);
  options.retry_after = milliseconds(1);
  options.seed = 42;

  std::vector<std::shared_ptr<const WorkloadSpec>> specs;
  specs.reserve(workloads);
  for (size_t i = 0; i < workloads; ++i) {
    auto s = std::make_shared<WorkloadSpec>();
    s->name = "w" + std::to_string(i);
    s->source = "synthetic";
    s->query = "load";
    s->model = model;
    s->step = Duration(kStepMs);
    s->window = Duration(window_days * 1440L * kStepMs);
    s->horizon = minutes(30);
    s->interval = Duration(0);  // next fetch is gated by the source instead
    s->capacity.target_per_pod = 20;
    s->capacity.max_replicas = 200;
    s->capacity.quantile = 0.9;
    specs.push_back(std::move(s));
  }
  const long rss_specs = StatusKb("VmRSS");

  loop::Scheduler scheduler(ioc, pool, table, probe, options);
  std::printf("cycle_bench: %zu workloads, model %s, %d-day window (%zu points each), %u pool threads\n",
              workloads, model.c_str(), window_days, static_cast<size_t>(window_days) * 1440, threads);
  std::printf("%-6s %10s %12s %14s %10s\n", "round", "wall s", "cycles/s", "CPU ms/wl", "RSS MiB");

  // Runs the loop until `target` cycles have ended, bounded by a generous deadline.
  auto run_until = [&](long target) {
    const auto deadline = SteadyClock::now() + std::chrono::minutes(10);
    while (probe.ok() + probe.failed() < target) {
      if (SteadyClock::now() > deadline) return false;
      ioc.run_one_for(milliseconds(50));
    }
    return true;
  };

  std::vector<double> warm;
  double warm_cpu_ms = 0;  // summed over warm rounds, per workload
  double cold = 0;
  long rss_cold = 0;
  const long n = static_cast<long>(workloads);
  for (int r = 0; r <= rounds; ++r) {
    const double cpu_before = CpuSeconds();
    const auto w0 = SteadyClock::now();
    if (r == 0) {
      scheduler.Apply(specs, {{"synthetic", &source}});
    } else {
      clock_steps.fetch_add(1);
      source.Release();
    }
    if (!run_until(n * (r + 1))) {
      std::fprintf(stderr, "round %d did not finish within the deadline\n", r);
      return 1;
    }
    const double wall = std::chrono::duration<double>(SteadyClock::now() - w0).count();
    const double cpu_ms = (CpuSeconds() - cpu_before) * 1e3 / static_cast<double>(n);
    const long rss = StatusKb("VmRSS");
    std::printf("%-6s %10.3f %12.0f %14.3f %10.1f\n", r == 0 ? "cold" : std::to_string(r).c_str(), wall,
                static_cast<double>(n) / wall, cpu_ms, static_cast<double>(rss) / 1024);
    std::fflush(stdout);
    if (r == 0) {
      cold = wall;
      rss_cold = rss;
    } else {
      warm.push_back(wall);
      warm_cpu_ms += cpu_ms;
    }
  }
  if (probe.failed() > 0) std::printf("WARNING: %ld failed cycles\n", probe.failed());
  size_t with_forecast = 0;
  for (const auto& e : table.List()) with_forecast += e.snapshot && e.snapshot->has_forecast() ? 1 : 0;

  const long rss_end = StatusKb("VmRSS");
  const double points = static_cast<double>(workloads) * window_days * 1440;
  const double mean = warm.empty() ? 0 : [&] {
    double s = 0;
    for (double w : warm) s += w;
    return s / static_cast<double>(warm.size());
  }();
  const double worst = warm.empty() ? 0 : *std::max_element(warm.begin(), warm.end());
  const double held_bytes = static_cast<double>(rss_end - rss_specs) * 1024;
  std::printf("summary: workloads=%zu model=%s window_days=%d threads=%u\n", workloads, model.c_str(),
              window_days, threads);
  std::printf("  cold cycle (full-window fetch + first fit): %.2f s\n", cold);
  std::printf("  warm cycle: mean %.2f s, max %.2f s over %zu rounds; CPU %.3f ms per workload and cycle\n",
              mean, worst, warm.size(), warm.empty() ? 0.0 : warm_cpu_ms / static_cast<double>(warm.size()));
  std::printf("  workloads with a forecast: %zu / %zu, failed cycles: %ld, points fetched: %zu\n",
              with_forecast, workloads, probe.failed(), source.points());
  std::printf("  VmRSS: start %.1f MiB, specs %.1f MiB, after cold %.1f MiB, end %.1f MiB, peak (VmHWM) %.1f MiB\n",
              rss0 / 1024.0, rss_specs / 1024.0, rss_cold / 1024.0, rss_end / 1024.0,
              StatusKb("VmHWM") / 1024.0);
  std::printf("  held by the loop (end - specs): %.0f bytes per workload, %.2f bytes per history point\n",
              held_bytes / static_cast<double>(workloads), held_bytes / points);
  // Let the parked fetches through so every coroutine ends before teardown.
  scheduler.Stop();
  source.Release();
  const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  while (scheduler.running() > 0 && SteadyClock::now() < deadline) ioc.run_one_for(milliseconds(50));
  return 0;
}
