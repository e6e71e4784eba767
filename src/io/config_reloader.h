#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/time.h"
#include "loop/source.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace kedastral::io {

// The sources of the running config across reloads. A source whose settings did not
// change is kept as it is (its connections, its metrics); new and changed ones are
// opened with `open`; replaced and removed ones are retired: kept alive for a grace
// period, because a fetch already in flight may still be using them, then freed.
//
// @par Thread safety
// Not thread-safe: used on the loop thread only (the scheduler's thread).
class SourceSet {
 public:
  // Opens every source of `config.sources` (io::OpenSources with its arguments);
  // `config.workloads` are all the workloads, for settings sources take from them.
  using Opener =
      std::function<std::map<std::string, std::unique_ptr<loop::Source>>(const Config& config)>;
  // Brings a kept source up to date with the new config's workloads (e.g. how a
  // Prometheus source folds each workload's series). May be empty.
  using Refresher =
      std::function<void(loop::Source& source, const Config& config, const SourceSpec& spec)>;

  explicit SourceSet(Opener open, Refresher refresh = {}, Duration grace = Duration(120000));
  ~SourceSet();
  SourceSet(const SourceSet&) = delete;
  SourceSet& operator=(const SourceSet&) = delete;

  // Makes the open sources match `config.sources` and returns them by name, borrowed:
  // each pointer stays valid until a later Update replaces or removes that source,
  // plus the grace period. Also frees retired sources whose grace has passed.
  std::map<std::string, loop::Source*> Update(const Config& config, TimePoint now);

  // Frees retired sources whose grace period has passed by `now`.
  void DropRetired(TimePoint now);

  // Number of retired sources not yet freed (for tests and logs).
  size_t retired() const { return retired_.size(); }

 private:
  struct Open {
    SourceSpec spec;
    std::unique_ptr<loop::Source> source;
  };
  struct Retired {
    TimePoint free_at;
    std::unique_ptr<loop::Source> source;
  };

  Opener open_;
  Refresher refresh_;
  Duration grace_;
  std::map<std::string, Open> open_sources_;
  std::vector<Retired> retired_;
};

// True when two source settings are the same (so an open source can be kept).
bool SameSource(const SourceSpec& a, const SourceSpec& b);

// What a reload must restart the process for, as human-readable items
// ("server.http 0.0.0.0:8081 -> 0.0.0.0:9000"); empty when nothing.
std::vector<std::string> ChangesNeedingRestart(const Config& running, const Config& next);

struct ConfigReloaderOptions {
  // The stat fallback: how often the file's identity (inode, size, mtime) is checked,
  // for files inotify cannot see change (e.g. a symlink into another folder).
  Duration poll_interval{5000};
  // File events are coalesced for this long before reading, since editors and the
  // kubelet write in several steps.
  Duration debounce{200};
  // Also reload on SIGHUP (the caller must keep SIGHUP blocked in other threads).
  bool handle_sighup = true;
};

// Reloads the config file while the process runs: on SIGHUP, when inotify reports a
// change in the file's folder (a ConfigMap update swaps the `..data` symlink there,
// an editor rewrites or renames the file), and when the periodic stat fallback sees
// the file change. File-triggered reloads happen only when the content differs from
// the last one read; SIGHUP always reloads.
//
// Each reload reads and validates the file with LoadConfig. A valid config is handed
// to `apply` (which makes it the running one: sources, scheduler, log settings) and
// becomes the reference for the next reload. An invalid one is rejected: `apply` is not
// called, the old config keeps serving, and the error (`file:line:column: field:
// reason`, one per line) is logged. Settings that only take effect at start (server
// addresses, redis) are logged as needing a restart and otherwise ignored.
//
// Metrics, registered in `registry`:
//   kedastral_config_reload_total{result="success"|"failure"}   counter
//   kedastral_config_last_reload_successful                     gauge: 1 or 0
//   kedastral_config_last_reload_success_timestamp_seconds      gauge: Unix time of the last
//                                                               successful load (start-up too)
//
// @par Thread safety
// Construct, Start, Stop, ReloadNow and `apply` all run on the io_context's thread
// (or before it runs). Stop before destroying; the io_context must outlive this object.
class ConfigReloader {
 public:
  using Apply = std::function<void(const Config& next)>;

  ConfigReloader(boost::asio::io_context& ioc, prometheus::Registry& registry,
                 const Config& running, Apply apply, ConfigReloaderOptions options = {});
  ~ConfigReloader();
  ConfigReloader(const ConfigReloader&) = delete;
  ConfigReloader& operator=(const ConfigReloader&) = delete;

  // Starts watching `running.path`. A folder inotify cannot watch is logged and left
  // to the stat fallback.
  void Start();

  // Stops watching; pending waits end. Idempotent.
  void Stop();

  // Reads the file now and applies it if valid; `trigger` names the cause in logs
  // ("sighup", "inotify", "poll"). With `only_if_changed`, a content equal to the last
  // one read is not reloaded. Returns true when a new config was applied.
  bool ReloadNow(std::string_view trigger, bool only_if_changed);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;  // shared with pending handlers, which hold it weakly
};

}  // namespace kedastral::io
