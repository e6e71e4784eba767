#include "app.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <memory>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.h"
#include "core/snapshot_table.h"
#include "io/config_reloader.h"
#include "io/grpc_server.h"
#include "io/ha_metrics.h"
#include "io/ha_peer.h"
#include "io/http_server.h"
#include "io/metrics.h"
#include "io/prometheus_source.h"
#include "io/redis_client.h"
#include "io/sources.h"
#include "loop/scheduler.h"

namespace kedastral {
namespace {

namespace net = boost::asio;

// How long shutdown waits for gRPC streams and in-flight HTTP requests.
constexpr Duration kDrainTimeout{10000};

// Blocks the signals we handle, so that threads created from now on (gRPC's, the
// pool's) inherit the mask and only the loop thread, which unblocks them, gets them.
void MaskSignals(int how) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);  // config reload
  pthread_sigmask(how, &set, nullptr);
}

}  // namespace

App::App(Config config) : config_(std::move(config)) {}

std::unique_ptr<io::HaPeer> App::MakePeer(boost::asio::io_context& ioc, SnapshotTable& table) {
  if (!config_.redis) return nullptr;
  auto redis = io::RedisOptionsFrom(*config_.redis);
  if (!redis) {
    // e.g. an unreadable password file: serve on our own rather than not at all.
    log::Error("redis settings unusable; running standalone", {{"error", redis.error().message}});
    return nullptr;
  }
  return std::make_unique<io::HaPeer>(ioc, table,
                                      io::HaPeerOptions{.spec = *config_.redis, .redis = *redis});
}

int App::Run() {
  log::Configure(config_.log.level, config_.log.format);
  MaskSignals(SIG_BLOCK);

  net::io_context ioc(1);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  net::thread_pool pool(threads);
  SnapshotTable table;
  io::Metrics metrics(table);

  // Sources live in a SourceSet so that a reload keeps the unchanged ones open.
  io::SourceSet sources(
      [&](const Config& c) { return io::OpenSources(c, ioc, &metrics.registry()); },
      [](loop::Source& source, const Config& c, const SourceSpec& spec) {
        // A kept Prometheus source learns how the new config's workloads fold series.
        if (auto* prom = dynamic_cast<io::PrometheusSource*>(&source))
          prom->SetFoldOptions(io::FoldOptionsFor(c, spec.name));
      });
  std::map<std::string, loop::Source*> borrowed = sources.Update(config_, Now());

  io::HttpServer http(ioc, table, metrics, io::HttpServerOptions{.address = config_.server.http});
  io::GrpcServer grpc(table, io::GrpcServerOptions{
                                 .address = config_.server.grpc,
                                 .on_request = [&metrics](std::string_view m, int code, double s) {
                                   metrics.GrpcRequestDone(m, code, s);
                                 }});
  // With `redis:` configured, replicas share snapshots and one leader forecasts.
  std::unique_ptr<io::HaPeer> peer = MakePeer(ioc, table);
  std::unique_ptr<io::HaMetrics> ha_metrics;
  if (peer) ha_metrics = std::make_unique<io::HaMetrics>(ioc, metrics, *peer);

  loop::Scheduler scheduler(ioc, pool, table, metrics, loop::SchedulerOptions{.mirror = peer.get()});
  if (peer) {
    // Warm restart: the peers' snapshots are loaded before our own first forecast.
    table.SetWorkloads(config_.workloads);
    peer->Start([&] { scheduler.Apply(config_.workloads, borrowed); });
    ha_metrics->Start();
  } else {
    scheduler.Apply(config_.workloads, borrowed);
  }

  // A valid new config replaces sources and workloads in place: workloads that stay
  // keep their history and snapshots (see Scheduler::Apply).
  io::ConfigReloader reloader(ioc, metrics.registry(), config_, [&](const Config& next) {
    log::Configure(next.log.level, next.log.format);
    scheduler.Apply(next.workloads, sources.Update(next, Now()));
  });

  if (auto r = http.Start(); !r) {
    log::Error("cannot start the HTTP server", {{"error", r.error().message}});
    pool.stop();
    pool.join();
    return 1;
  }
  if (auto r = grpc.Start(); !r) {
    log::Error("cannot start the gRPC server", {{"error", r.error().message}});
    http.Stop();
    pool.stop();
    pool.join();
    return 1;
  }
  log::Info("serving", {{"http", config_.server.http},
                        {"http_port", static_cast<long>(http.port())},
                        {"grpc", config_.server.grpc},
                        {"grpc_port", grpc.port()},
                        {"workloads", static_cast<long>(config_.workloads.size())},
                        {"compute_threads", static_cast<long>(threads)}});

  reloader.Start();
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  std::atomic<bool> grpc_done{false};
  bool ha_done = peer == nullptr;
  std::thread grpc_stopper;
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log::Info("shutting down", {{"signal", signo}});
    reloader.Stop();
    http.Stop();
    scheduler.Stop();
    if (peer) {
      // Hand the lease over at once instead of letting it lapse.
      ha_metrics->Stop();
      peer->Stop(true, [&] { ha_done = true; });
    }
    // Shutdown waits for streams; never on the loop thread, which HTTP still needs.
    grpc_stopper = std::thread([&] {
      grpc.Shutdown(kDrainTimeout);
      grpc_done = true;
    });
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
          net::steady_timer timer(ioc);
          const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
          while (std::chrono::steady_clock::now() < deadline &&
                 (!grpc_done || !ha_done || http.active_connections() > 0 ||
                  scheduler.running() > 0)) {
            timer.expires_after(std::chrono::milliseconds(20));
            co_await timer.async_wait(net::use_awaitable);
          }
          ioc.stop();
        },
        net::detached);
  });
  MaskSignals(SIG_UNBLOCK);

  ioc.run();
  if (grpc_stopper.joinable()) grpc_stopper.join();
  pool.stop();
  pool.join();
  log::Info("stopped");
  return 0;
}

}  // namespace kedastral
