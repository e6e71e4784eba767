#include "io/ha_peer.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <random>
#include <set>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.h"
#include "io/snapshot_codec.h"

namespace kedastral::io {
namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// Takes the lease when nobody holds it: the epoch INCR and the SET NX PX happen
// atomically, so every holder has its own epoch. The epoch never falls below the
// highest one the caller has seen (ARGV[3]), so a Redis restarted without its data
// does not make the new leader look deposed. Returns {1, value} when taken, else
// {0, value of the current holder}. KEYS: leader, epoch. ARGV: peer id, ttl ms, floor.
constexpr const char* kAcquireScript = R"lua(
local current = redis.call('GET', KEYS[1])
if current then return {0, current} end
local epoch = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if epoch <= floor then
  epoch = floor + 1
  redis.call('SET', KEYS[2], epoch)
end
local value = epoch .. ':' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2])
return {1, value}
)lua";

// Extends the lease only while it still holds our exact value. KEYS: leader.
// ARGV: our lease value, ttl ms. Returns 1 when extended, else 0.
constexpr const char* kRenewScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)lua";

// Deletes the lease only when it is ours. KEYS: leader. ARGV: our lease value.
constexpr const char* kReleaseScript = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// Stores and announces a snapshot; with a lease value (ARGV[1] not empty) only while
// that lease is still current, so a deposed leader cannot overwrite its successor's
// snapshots (fenced write). KEYS: leader, snapshot key. ARGV: lease value or '',
// payload, ttl ms, channel. Returns 1 when written, 0 when fenced off.
constexpr const char* kPublishScript = R"lua(
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
)lua";

std::string DefaultPeerId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = 0;
  std::random_device rd;
  char suffix[9];
  snprintf(suffix, sizeof(suffix), "%08x", rd());
  return std::string(host[0] ? host : "kedastral") + "-" + std::to_string(getpid()) + "-" + suffix;
}

// "<epoch>:<peer id>" -> epoch and id; epoch 0 when malformed.
std::pair<uint64_t, std::string> ParseLeaseValue(const std::string& value) {
  const auto colon = value.find(':');
  if (colon == std::string::npos) return {0, value};
  uint64_t epoch = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (value[i] < '0' || value[i] > '9') return {0, value};
    epoch = epoch * 10 + static_cast<uint64_t>(value[i] - '0');
  }
  return {epoch, value.substr(colon + 1)};
}

}  // namespace

std::string_view HaRoleName(HaRole role) {
  switch (role) {
    case HaRole::kStarting: return "starting";
    case HaRole::kStandalone: return "standalone";
    case HaRole::kFollower: return "follower";
    case HaRole::kLeader: return "leader";
    case HaRole::kIndependent: return "independent";
  }
  return "unknown";
}

HaKeys::HaKeys(std::string_view cluster) {
  const std::string base = "kedastral:{" + std::string(cluster) + "}:";
  leader = base + "leader";
  epoch = base + "epoch";
  channel = base + "snapshots";
  prefix = base + "snapshot:";
}

class HaPeer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(net::io_context& ioc, SnapshotTable& table, HaPeerOptions options)
      : ioc_(ioc), table_(table), options_(std::move(options)), keys_(options_.spec.cluster),
        peer_id_(options_.peer_id.empty() ? DefaultPeerId() : options_.peer_id),
        tick_timer_(ioc) {
    if (options_.renew_interval.count() <= 0) {
      options_.renew_interval = std::max(Duration(1), options_.spec.lease_ttl / 3);
    }
  }

  void Init() {
    RedisOptions command = options_.redis;
    command.name = options_.redis.name + "-commands";
    client_ = std::make_unique<RedisClient>(ioc_, command);
    RedisOptions sub = options_.redis;
    sub.name = options_.redis.name + "-subscriber";
    auto weak = weak_from_this();
    subscriber_ = std::make_unique<RedisSubscriber>(
        ioc_, sub, std::vector<std::string>{keys_.channel},
        [weak](std::string_view, std::string_view payload) {
          if (auto self = weak.lock()) self->Receive(payload);
        },
        [weak] {
          // Messages sent while we were not subscribed are lost: re-read the stored ones.
          if (auto self = weak.lock()) self->Spawn(self->LoadAll());
        });
  }

  void Start(std::function<void()> on_ready) {
    if (started_) return;
    started_ = true;
    subscriber_->Start();
    Spawn(Run(std::move(on_ready)));
  }

  void Stop(bool release, std::function<void()> on_stopped) {
    if (stopping_) {
      if (on_stopped) net::post(ioc_, std::move(on_stopped));
      return;
    }
    stopping_ = true;
    tick_timer_.cancel();
    Spawn(Leave(release, std::move(on_stopped)));
  }

  void Abandon() {
    stopping_ = true;
    tick_timer_.cancel();
    client_->Close();
    subscriber_->Close();
  }

  bool ShouldForecast() const {
    const HaRole role = role_.load(std::memory_order_acquire);
    return role == HaRole::kLeader || role == HaRole::kStandalone || role == HaRole::kIndependent;
  }
  bool IsLeader() const { return role_.load(std::memory_order_acquire) == HaRole::kLeader; }

  void Published(std::shared_ptr<const Snapshot> snapshot) {
    if (!snapshot || stopping_) return;
    const HaRole role = role_.load();
    const uint64_t epoch = role == HaRole::kLeader ? epoch_ : 0;
    Remember(*snapshot, epoch);
    // Followers do not publish; nor does a standalone replica (Redis is unreachable).
    // A snapshot without a forecast would only displace the peers' good ones.
    if ((role != HaRole::kLeader && role != HaRole::kIndependent) || !snapshot->has_forecast()) {
      return;
    }
    Enqueue(std::move(snapshot));
  }

  void Enqueue(std::shared_ptr<const Snapshot> snapshot) {
    const std::string workload = snapshot->workload;
    unsent_.erase(workload);
    pending_[workload] = std::move(snapshot);
    if (in_flight_.insert(workload).second) Spawn(PublishLoop(workload));
  }

  void RetryUnsent() {
    const HaRole role = role_.load();
    if (role != HaRole::kLeader && role != HaRole::kIndependent) return unsent_.clear();
    auto unsent = std::move(unsent_);
    unsent_.clear();
    for (auto& [workload, snapshot] : unsent) Enqueue(std::move(snapshot));
  }

  uint64_t HighestEpochSeen() const {
    uint64_t epoch = epoch_;
    for (const auto& [name, v] : versions_) epoch = std::max(epoch, v.max_epoch);
    std::lock_guard lock(mu_);
    return std::max(epoch, status_.epoch);
  }

  HaStatus status() const {
    std::lock_guard lock(mu_);
    HaStatus s = status_;
    s.role = role_.load();
    s.connected = client_->connected();
    return s;
  }

  const std::string& peer_id() const { return peer_id_; }
  const HaKeys& keys() const { return keys_; }

 private:
  // The (epoch, generated_at, sequence) of the snapshot served for one workload.
  struct Version {
    uint64_t epoch = 0;
    TimePoint generated_at{};
    uint64_t sequence = 0;
    uint64_t max_epoch = 0;  // highest epoch seen for it: lower ones are deposed leaders
    bool known = false;
  };

  template <class Awaitable>
  void Spawn(Awaitable task) {
    net::co_spawn(ioc_, std::move(task), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::Error("ha task failed", {{"error", ex.what()}});
      }
    });
  }

  net::awaitable<void> Run(std::function<void()> on_ready) {
    auto self = shared_from_this();  // outlive the HaPeer if it is destroyed mid-wait
    co_await LoadAll();
    if (!stopping_) co_await Tick();
    if (on_ready) on_ready();
    while (!stopping_) {
      tick_timer_.expires_after(options_.renew_interval);
      co_await tick_timer_.async_wait(kTuple);
      if (stopping_) break;
      co_await Tick();
    }
  }

  net::awaitable<void> Tick() {
    if (options_.spec.mode == HaMode::kIndependent) {
      SetRole(HaRole::kIndependent, "mode independent");
      if (client_->connected()) RetryUnsent();
      co_return;
    }
    const std::string ttl = std::to_string(options_.spec.lease_ttl.count());
    const auto sent = SteadyClock::now();
    if (role_.load() == HaRole::kLeader) {
      auto renewed = co_await client_->Command("EVAL", kRenewScript, "1", keys_.leader,
                                               lease_value_, ttl);
      if (stopping_) co_return;
      if (!renewed) {
        RecordError("renew", renewed.error());
        // Our view of the lease ends no later than Redis' own (measured from sending).
        if (SteadyClock::now() >= lease_until_) SetRole(HaRole::kStandalone, "lease expired while Redis unreachable");
        co_return;
      }
      last_contact_ = sent;
      if (renewed->integer == 1) {
        lease_until_ = sent + options_.spec.lease_ttl;
        RetryUnsent();
        co_return;
      }
      SetRole(HaRole::kFollower, "lease lost");
    }
    co_await Acquire(sent, ttl);
  }

  net::awaitable<void> Acquire(SteadyClock::time_point sent, const std::string& ttl) {
    auto r = co_await client_->Command("EVAL", kAcquireScript, "2", keys_.leader, keys_.epoch,
                                       peer_id_, ttl, std::to_string(HighestEpochSeen()));
    if (stopping_) co_return;
    if (!r || r->elements.size() != 2) {
      RecordError("acquire", r ? Error::Parse("unexpected reply") : r.error());
      const HaRole role = role_.load();
      if (role == HaRole::kStarting || SteadyClock::now() - last_contact_ >= options_.spec.lease_ttl) {
        if (role != HaRole::kStandalone) SetRole(HaRole::kStandalone, "Redis unreachable");
      }
      co_return;
    }
    last_contact_ = sent;
    const bool taken = r->elements[0].integer == 1;
    const std::string value = r->elements[1].str;
    auto [epoch, holder] = ParseLeaseValue(value);
    {
      std::lock_guard lock(mu_);
      status_.epoch = epoch;
      status_.leader = holder;
      if (taken) ++status_.takeovers;
    }
    if (taken || holder == peer_id_) {
      epoch_ = epoch;
      lease_value_ = value;
      lease_until_ = sent + options_.spec.lease_ttl;
      SetRole(HaRole::kLeader, taken ? "lease acquired" : "lease still ours");
      RetryUnsent();
    } else {
      SetRole(HaRole::kFollower, "lease held by a peer");
    }
  }

  net::awaitable<void> Leave(bool release, std::function<void()> on_stopped) {
    auto self = shared_from_this();
    if (release && role_.load() == HaRole::kLeader) {
      auto r = co_await client_->Command("EVAL", kReleaseScript, "1", keys_.leader, lease_value_);
      if (!r) RecordError("release", r.error());
    }
    client_->Close();
    subscriber_->Close();
    if (on_stopped) on_stopped();
  }

  net::awaitable<void> LoadAll() {
    auto self = shared_from_this();
    if (loading_ || stopping_) co_return;
    const auto entries = table_.List();
    if (entries.empty()) co_return;
    std::vector<std::string> argv{"MGET"};
    for (const auto& e : entries) argv.push_back(keys_.Snapshot(e.spec->name));
    loading_ = true;
    auto r = co_await client_->CommandArgv(std::move(argv));
    loading_ = false;
    if (stopping_) co_return;
    if (!r) {
      RecordError("load", r.error());
      co_return;
    }
    size_t loaded = 0;
    for (const auto& element : r->elements) {
      if (element.type != RedisReply::Type::kString) continue;
      ++loaded;
      Receive(element.str);
    }
    log::Debug("ha snapshots loaded", {{"found", static_cast<long>(loaded)}});
  }

  net::awaitable<void> PublishLoop(std::string workload) {
    auto self = shared_from_this();
    for (auto it = pending_.find(workload); it != pending_.end() && !stopping_;
         it = pending_.find(workload)) {
      auto snapshot = std::move(it->second);
      pending_.erase(it);
      co_await PublishOne(std::move(snapshot));
    }
    in_flight_.erase(workload);
  }

  net::awaitable<void> PublishOne(std::shared_ptr<const Snapshot> snapshot_ptr) {
    const Snapshot& snapshot = *snapshot_ptr;
    const bool fenced = role_.load() == HaRole::kLeader;
    const uint64_t epoch = fenced ? epoch_ : 0;
    const std::string lease = fenced ? lease_value_ : std::string();
    std::string payload = EncodeSnapshot(snapshot, epoch, peer_id_);
    auto r = co_await client_->Command("EVAL", kPublishScript, "2", keys_.leader,
                                       keys_.Snapshot(snapshot.workload), lease,
                                       std::move(payload),
                                       std::to_string(options_.spec.snapshot_ttl.count()),
                                       keys_.channel);
    if (stopping_) co_return;
    if (!r) {
      RecordError("publish", r.error());
      // Sent again after the next successful lease call, unless a newer one comes first.
      if (!pending_.count(snapshot.workload)) unsent_[snapshot.workload] = snapshot_ptr;
      co_return;
    }
    if (r->integer == 1) {
      std::lock_guard lock(mu_);
      ++status_.snapshots_published;
      co_return;
    }
    if (fenced && role_.load() == HaRole::kLeader && lease_value_ == lease) {
      SetRole(HaRole::kFollower, "lease lost (publish fenced off)");
    }
  }

  void Receive(std::string_view payload) {
    if (stopping_) return;
    auto mirrored = DecodeSnapshot(payload);
    if (!mirrored) {
      std::lock_guard lock(mu_);
      ++status_.snapshots_rejected;
      log::Debug("ha snapshot undecodable", {{"error", mirrored.error().message}});
      return;
    }
    if (mirrored->publisher == peer_id_) return;  // our own announcement coming back
    {
      std::lock_guard lock(mu_);
      ++status_.snapshots_received;
    }
    const bool installed = Offer(*mirrored);
    std::lock_guard lock(mu_);
    if (installed) {
      ++status_.snapshots_installed;
      status_.mirrored_generated_at[mirrored->snapshot->workload] = mirrored->snapshot->generated_at;
    } else {
      ++status_.snapshots_rejected;
    }
  }

  // Installs the mirrored snapshot when it is newer than the one served (see header).
  bool Offer(const MirroredSnapshot& m) {
    const Snapshot& s = *m.snapshot;
    auto entry = table_.Get(s.workload);
    if (!entry) return false;  // not configured here
    Version& v = versions_[s.workload];
    if (!v.known && entry->snapshot) {
      v.generated_at = entry->snapshot->generated_at;
      v.sequence = entry->snapshot->sequence;
    }
    v.known = true;
    if (m.leader_epoch != 0 && m.leader_epoch < v.max_epoch) return false;  // deposed leader
    const bool have = entry->snapshot != nullptr;
    bool newer;
    if (!have) {
      newer = true;
    } else if (m.leader_epoch != 0 && v.epoch != 0 && m.leader_epoch != v.epoch) {
      newer = m.leader_epoch > v.epoch;
    } else {
      newer = std::pair(s.generated_at, s.sequence) > std::pair(v.generated_at, v.sequence);
    }
    if (!newer || !table_.Publish(m.snapshot)) return false;
    v.epoch = m.leader_epoch;
    v.generated_at = s.generated_at;
    v.sequence = s.sequence;
    v.max_epoch = std::max(v.max_epoch, m.leader_epoch);
    return true;
  }

  void Remember(const Snapshot& s, uint64_t epoch) {
    Version& v = versions_[s.workload];
    v.known = true;
    v.epoch = epoch;
    v.generated_at = s.generated_at;
    v.sequence = s.sequence;
    v.max_epoch = std::max(v.max_epoch, epoch);
  }

  void SetRole(HaRole role, std::string_view why) {
    const HaRole old = role_.exchange(role);
    if (old == role) return;
    log::Info("ha role changed", {{"from", HaRoleName(old)}, {"to", HaRoleName(role)},
                                  {"reason", why}, {"epoch", static_cast<long>(epoch_)},
                                  {"peer", peer_id_}});
  }

  void RecordError(const std::string& op, const Error& error) {
    std::lock_guard lock(mu_);
    ++status_.redis_errors[op];
    status_.last_error = op + ": " + error.message;
    status_.last_error_at = Now();
  }

  net::io_context& ioc_;
  SnapshotTable& table_;
  HaPeerOptions options_;
  const HaKeys keys_;
  const std::string peer_id_;
  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<RedisSubscriber> subscriber_;
  net::steady_timer tick_timer_;

  std::atomic<HaRole> role_{HaRole::kStarting};
  bool started_ = false;
  bool stopping_ = false;
  bool loading_ = false;
  uint64_t epoch_ = 0;          // of the lease we hold
  std::string lease_value_;     // "<epoch>:<peer id>" while leader
  SteadyClock::time_point lease_until_{};
  SteadyClock::time_point last_contact_{};  // sending time of the last answered lease call
  std::map<std::string, Version> versions_;
  std::map<std::string, std::shared_ptr<const Snapshot>> pending_;  // newest unsent per workload
  std::set<std::string> in_flight_;                                 // workloads being sent
  std::map<std::string, std::shared_ptr<const Snapshot>> unsent_;   // failed, to retry

  mutable std::mutex mu_;
  HaStatus status_;  // guarded by mu_ (role and connected are filled in by status())
};

HaPeer::HaPeer(net::io_context& ioc, SnapshotTable& table, HaPeerOptions options)
    : impl_(std::make_shared<Impl>(ioc, table, std::move(options))) {
  impl_->Init();
}
HaPeer::~HaPeer() { impl_->Abandon(); }
void HaPeer::Start(std::function<void()> on_ready) { impl_->Start(std::move(on_ready)); }
void HaPeer::Stop(bool release_lease, std::function<void()> on_stopped) {
  impl_->Stop(release_lease, std::move(on_stopped));
}
bool HaPeer::ShouldForecast() const { return impl_->ShouldForecast(); }
void HaPeer::Published(std::shared_ptr<const Snapshot> snapshot) {
  impl_->Published(std::move(snapshot));
}
bool HaPeer::IsLeader() const { return impl_->IsLeader(); }
HaStatus HaPeer::status() const { return impl_->status(); }
const std::string& HaPeer::peer_id() const { return impl_->peer_id(); }
const HaKeys& HaPeer::keys() const { return impl_->keys(); }

}  // namespace kedastral::io
