#include "io/config_reloader.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/file.h"
#include "core/log.h"

namespace kedastral::io {
namespace {

namespace net = boost::asio;

double UnixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// What the stat fallback compares: a ConfigMap swap changes the inode, an edit in
// place the size or the modification time.
struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  long mtime_sec = 0;
  long mtime_nsec = 0;
  bool operator==(const FileIdentity&) const = default;
};

FileIdentity Identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};  // missing: compares unequal to a real file
  return {st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
}


}  // namespace

// ---------------------------------------------------------------------------------------------
// SourceSet

bool SameSource(const SourceSpec& a, const SourceSpec& b) { return a == b; }

SourceSet::SourceSet(Opener open, Refresher refresh, Duration grace)
    : open_(std::move(open)), refresh_(std::move(refresh)), grace_(grace) {}

SourceSet::~SourceSet() = default;

std::map<std::string, loop::Source*> SourceSet::Update(const Config& config, TimePoint now) {
  DropRetired(now);
  // Open only what is new or changed, through the same opener as at start, by handing
  // it the config with just those sources.
  Config to_open = config;
  to_open.sources.clear();
  for (const SourceSpec& s : config.sources) {
    auto it = open_sources_.find(s.name);
    if (it == open_sources_.end() || !SameSource(it->second.spec, s)) to_open.sources.push_back(s);
  }
  std::map<std::string, std::unique_ptr<loop::Source>> opened;
  if (!to_open.sources.empty()) opened = open_(to_open);

  std::map<std::string, Open> next;
  for (const SourceSpec& s : config.sources) {
    auto fresh = opened.find(s.name);
    if (fresh != opened.end()) {
      next.emplace(s.name, Open{s, std::move(fresh->second)});
      continue;
    }
    auto kept = open_sources_.find(s.name);
    if (kept != open_sources_.end()) {
      if (refresh_ && kept->second.source) refresh_(*kept->second.source, config, s);
      next.emplace(s.name, std::move(kept->second));
      open_sources_.erase(kept);
    }
  }
  // Whatever is left was replaced or removed; a fetch in flight may still use it.
  for (auto& [name, old] : open_sources_) {
    if (old.source) retired_.push_back({now + grace_, std::move(old.source)});
  }
  open_sources_ = std::move(next);

  std::map<std::string, loop::Source*> borrowed;
  for (auto& [name, o] : open_sources_) borrowed.emplace(name, o.source.get());
  return borrowed;
}

void SourceSet::DropRetired(TimePoint now) {
  std::erase_if(retired_, [now](const Retired& r) { return r.free_at <= now; });
}

std::vector<std::string> ChangesNeedingRestart(const Config& running, const Config& next) {
  std::vector<std::string> out;
  if (running.server.http != next.server.http)
    out.push_back("server.http " + running.server.http + " -> " + next.server.http);
  if (running.server.grpc != next.server.grpc)
    out.push_back("server.grpc " + running.server.grpc + " -> " + next.server.grpc);
  const auto redis = [](const Config& c) {
    if (!c.redis) return std::string("off");
    return c.redis->address + "/" + std::to_string(c.redis->db) + "/" + c.redis->cluster + "/" +
           (c.redis->mode == HaMode::kLeader ? "leader" : "independent") + "/" +
           c.redis->password_file + "/" + std::to_string(c.redis->lease_ttl.count()) + "/" +
           std::to_string(c.redis->snapshot_ttl.count());
  };
  if (redis(running) != redis(next)) out.push_back("redis");
  return out;
}

// ---------------------------------------------------------------------------------------------
// ConfigReloader

class ConfigReloader::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(net::io_context& ioc, prometheus::Registry& registry, const Config& running, Apply apply,
       ConfigReloaderOptions options)
      : ioc_(ioc),
        path_(running.path),
        started_with_(running),
        apply_(std::move(apply)),
        options_(options),
        signals_(ioc),
        inotify_(ioc),
        debounce_(ioc),
        poll_(ioc),
        reloads_(prometheus::BuildCounter()
                     .Name("kedastral_config_reload_total")
                     .Help("Config reloads (SIGHUP, file change) by result; a failure keeps the "
                           "previous config serving.")
                     .Register(registry)),
        success_(reloads_.Add({{"result", "success"}})),
        failure_(reloads_.Add({{"result", "failure"}})),
        last_ok_(prometheus::BuildGauge()
                     .Name("kedastral_config_last_reload_successful")
                     .Help("1 if the last config reload (or the start-up load) succeeded, else 0.")
                     .Register(registry)
                     .Add({})),
        last_success_time_(prometheus::BuildGauge()
                               .Name("kedastral_config_last_reload_success_timestamp_seconds")
                               .Help("Unix time of the last successful config load (start-up "
                                     "included).")
                               .Register(registry)
                               .Add({})) {
    last_ok_.Set(1);
    last_success_time_.Set(UnixSeconds());
    // The file as it was when the running config was loaded from it (close enough: read
    // right after). A change made in between is seen by the first poll.
    if (auto text = ReadFile(path_)) last_text_ = std::move(*text);
    identity_ = Identify(path_);
  }

  void Start() {
    if (options_.handle_sighup) {
      signals_.add(SIGHUP);
      WaitSignal();
    }
    WatchFolder();
    SchedulePoll();
  }

  void Stop() {
    stopped_ = true;
    boost::system::error_code ec;
    signals_.cancel(ec);
    if (inotify_.is_open()) inotify_.close(ec);
    debounce_.cancel();
    poll_.cancel();
  }

  bool ReloadNow(std::string_view trigger, bool only_if_changed) {
    auto text = ReadFile(path_);
    identity_ = Identify(path_);
    if (text && only_if_changed && *text == last_text_) return false;
    Result<Config> next = Fail(Error::Io(""));
    if (text) {
      last_text_ = *text;
      // LoadConfig's parse, on the text just read, so the content compared is the content
      // validated even if the file changes again meanwhile.
      next = ParseConfig(*text, path_, std::filesystem::path(path_).parent_path().string());
      if (next) next->path = path_;
    } else {
      // A ConfigMap swap can leave the file briefly missing; the next event retries.
      if (only_if_changed && last_read_failed_) return false;
      next = Fail(text.error());
    }
    last_read_failed_ = !text;
    if (!next) {
      failure_.Increment();
      last_ok_.Set(0);
      log::Error("config reload rejected; the previous config keeps serving",
                 {{"file", path_}, {"trigger", trigger}, {"error", next.error().message}});
      return false;
    }
    for (const std::string& change : ChangesNeedingRestart(started_with_, *next)) {
      log::Warn("config change needs a restart to take effect; keeping the current value",
                {{"file", path_}, {"change", change}});
    }
    apply_(*next);
    success_.Increment();
    last_ok_.Set(1);
    last_success_time_.Set(UnixSeconds());
    log::Info("config reloaded", {{"file", path_},
                                  {"trigger", trigger},
                                  {"workloads", static_cast<long>(next->workloads.size())},
                                  {"sources", static_cast<long>(next->sources.size())}});
    return true;
  }

 private:
  void WaitSignal() {
    signals_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec, int) {
      auto self = weak.lock();
      if (!self || ec || self->stopped_) return;
      self->ReloadNow("sighup", false);
      self->WaitSignal();
    });
  }

  // The folder, not the file: a ConfigMap update renames a new `..data` symlink over the
  // old one, and editors often write a new file and rename it, so a watch on the file's
  // inode would go stale.
  void WatchFolder() {
    std::filesystem::path folder = std::filesystem::path(path_).parent_path();
    if (folder.empty()) folder = ".";
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      log::Warn("cannot watch the config folder; relying on periodic checks",
                {{"error", std::strerror(errno)}});
      return;
    }
    constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE |
                               IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;
    if (::inotify_add_watch(fd, folder.c_str(), kMask) < 0) {
      log::Warn("cannot watch the config folder; relying on periodic checks",
                {{"folder", folder.string()}, {"error", std::strerror(errno)}});
      ::close(fd);
      return;
    }
    inotify_.assign(fd);
    ReadEvents();
  }

  // Which file an event names does not matter: any change in the folder leads to one
  // debounced read, and only a different content is reloaded.
  void ReadEvents() {
    inotify_.async_read_some(
        net::buffer(events_),
        [weak = weak_from_this()](const boost::system::error_code& ec, size_t) {
          auto self = weak.lock();
          if (!self || self->stopped_) return;
          if (ec) {
            log::Warn("config folder watch ended; relying on periodic checks",
                      {{"error", ec.message()}});
            return;
          }
          self->Debounce();
          self->ReadEvents();
        });
  }

  void Debounce() {
    debounce_.expires_after(options_.debounce);
    debounce_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!self || ec || self->stopped_) return;
      self->ReloadNow("inotify", true);
    });
  }

  void SchedulePoll() {
    poll_.expires_after(options_.poll_interval);
    poll_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (!self || ec || self->stopped_) return;
      if (Identify(self->path_) != self->identity_) self->ReloadNow("poll", true);
      self->SchedulePoll();
    });
  }

  net::io_context& ioc_;
  std::string path_;
  Config started_with_;  // what server addresses and redis were started with
  Apply apply_;
  ConfigReloaderOptions options_;
  net::signal_set signals_;
  net::posix::stream_descriptor inotify_;
  net::steady_timer debounce_;
  net::steady_timer poll_;
  alignas(inotify_event) char events_[4096];
  std::string last_text_;
  bool last_read_failed_ = false;
  FileIdentity identity_;
  bool stopped_ = false;

  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Counter& success_;
  prometheus::Counter& failure_;
  prometheus::Gauge& last_ok_;
  prometheus::Gauge& last_success_time_;
};

ConfigReloader::ConfigReloader(net::io_context& ioc, prometheus::Registry& registry,
                               const Config& running, Apply apply, ConfigReloaderOptions options)
    : impl_(std::make_shared<Impl>(ioc, registry, running, std::move(apply), options)) {}

ConfigReloader::~ConfigReloader() {
  if (impl_) impl_->Stop();
}

void ConfigReloader::Start() { impl_->Start(); }

void ConfigReloader::Stop() { impl_->Stop(); }

bool ConfigReloader::ReloadNow(std::string_view trigger, bool only_if_changed) {
  return impl_->ReloadNow(trigger, only_if_changed);
}

}  // namespace kedastral::io
