#include "loop/scheduler.h"

#include <algorithm>
#include <atomic>
#include <random>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.h"
#include "loop/accuracy.h"
#include "loop/history.h"
#include "models/describe.h"
#include "models/model.h"
#include "models/planner.h"

namespace kedastral::loop {
namespace {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;

// How often a follower asks whether it should forecast now.
constexpr Duration kFollowerRecheck{1000};

double SecondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

TimePoint AlignDown(TimePoint t, Duration step) {
  const Duration since = t.time_since_epoch();
  return TimePoint(since - since % step);
}

models::ModelOptions ModelOptionsFor(const WorkloadSpec& spec) {
  models::ModelOptions o;
  for (Duration p : spec.seasonality) {
    if (p >= spec.step) o.seasonal_periods.push_back(static_cast<size_t>(p / spec.step));
  }
  return o;
}

// A model is rebuilt when anything it was made from changes.
std::string ModelKey(const WorkloadSpec& spec) {
  std::string key = spec.model + "@" + std::to_string(spec.step.count());
  for (Duration p : spec.seasonality) key += "," + std::to_string(p.count());
  return key;
}

// History survives a reload only if it is still the same data.
bool SameData(const WorkloadSpec& a, const WorkloadSpec& b) {
  return a.source == b.source && a.query == b.query && a.step == b.step && a.window == b.window;
}

// Fit, forecast and plan: the part that runs on the compute pool. Pure apart from
// the model's own state.
Result<Snapshot> Compute(models::Model& model, const WorkloadSpec& spec, const Series& history,
                         const Snapshot* previous) {
  if (auto fit = model.Fit(history); !fit) return Fail(fit.error());
  auto forecast = model.Predict(spec.HorizonSteps());
  if (!forecast) return Fail(forecast.error());
  // Rate limits apply from the replicas planned for the first forecast step, if known.
  int prev_replicas = -1;
  if (previous != nullptr && previous->has_forecast()) {
    prev_replicas = ReplicasAt(*previous, forecast->start);
  }
  auto plan = models::PlanReplicas(*forecast, spec.capacity, prev_replicas);
  if (!plan) return Fail(plan.error());

  Snapshot s;
  s.workload = spec.name;
  s.metric = spec.query;
  s.start = forecast->start;
  s.step = forecast->step;
  s.horizon = forecast->step * static_cast<long>(forecast->p50.size());
  s.values = std::move(forecast->p50);
  s.quantiles = std::move(forecast->quantiles);
  s.replicas = std::move(*plan);
  s.model = models::ModelLabel(model);
  return s;
}

}  // namespace

// One workload's state. Owned by the Impl's map and by its running coroutine;
// touched only on the loop thread (the compute task gets copies and the model).
struct Scheduler::Workload {
  Workload(net::io_context& ioc, std::shared_ptr<const WorkloadSpec> s)
      : spec(std::move(s)),
        history(spec->step, static_cast<size_t>(spec->window / spec->step),
                static_cast<size_t>(std::max(0, spec->max_gap_steps))),
        timer(ioc) {}

  std::shared_ptr<const WorkloadSpec> spec;
  Source* source = nullptr;
  History history;
  AccuracyTracker accuracy;  // reset with the history: it scores against this data
  std::shared_ptr<models::Model> model;
  std::string model_key;
  std::string model_error;  // why the model could not be made, if it could not
  std::shared_ptr<const Snapshot> last;  // newest published snapshot
  uint64_t sequence = 0;
  net::steady_timer timer;
  // Set on removal or Stop; the coroutine checks it after every wait. (Not an Asio
  // cancellation slot: its handler is posted and could outlive this object.)
  bool stopped = false;
};

class Scheduler::Impl {
 public:
  Impl(net::io_context& ioc, net::thread_pool& pool, SnapshotTable& table, Probe& probe,
       SchedulerOptions options)
      : ioc_(ioc),
        pool_(pool),
        table_(table),
        probe_(probe),
        options_(std::move(options)),
        rng_(options_.seed != 0 ? options_.seed : std::random_device{}()) {}

  ~Impl() { Stop(); }

  void Apply(const std::vector<std::shared_ptr<const WorkloadSpec>>& specs,
             const std::map<std::string, Source*>& sources);
  void Stop();
  size_t running() const { return running_->load(); }

 private:
  net::awaitable<void> Run(std::shared_ptr<Workload> w);
  net::awaitable<bool> Sleep(Workload& w, Duration d);
  net::awaitable<bool> Cycle(Workload& w);
  void Start(const std::shared_ptr<Workload>& w);
  void EnsureModel(Workload& w);
  void PublishError(Workload& w, const std::string& message);
  void AdoptNewerSnapshot(Workload& w);
  Duration Jittered(Duration d);

  net::io_context& ioc_;
  net::thread_pool& pool_;
  SnapshotTable& table_;
  Probe& probe_;
  SchedulerOptions options_;
  std::mt19937_64 rng_;
  std::map<std::string, std::shared_ptr<Workload>> workloads_;
  // Shared with the coroutines' completion handlers, which may run after the Impl is gone.
  std::shared_ptr<std::atomic<size_t>> running_ = std::make_shared<std::atomic<size_t>>(0);
};

void Scheduler::Impl::Apply(const std::vector<std::shared_ptr<const WorkloadSpec>>& specs,
                            const std::map<std::string, Source*>& sources) {
  table_.SetWorkloads(specs);
  std::set<std::string> keep;
  for (const auto& spec : specs) {
    keep.insert(spec->name);
    auto it = sources.find(spec->source);
    Source* source = it == sources.end() ? nullptr : it->second;
    auto found = workloads_.find(spec->name);
    if (found == workloads_.end()) {
      auto w = std::make_shared<Workload>(ioc_, spec);
      w->source = source;
      EnsureModel(*w);
      workloads_.emplace(spec->name, w);
      Start(w);
      continue;
    }
    Workload& w = *found->second;
    if (!SameData(*w.spec, *spec)) {
      w.history = History(spec->step, static_cast<size_t>(spec->window / spec->step),
                          static_cast<size_t>(std::max(0, spec->max_gap_steps)));
      w.accuracy = AccuracyTracker();
    }
    w.spec = spec;
    w.source = source;
    EnsureModel(w);
  }
  for (auto it = workloads_.begin(); it != workloads_.end();) {
    if (keep.contains(it->first)) {
      ++it;
      continue;
    }
    Workload& w = *it->second;
    w.stopped = true;
    w.timer.cancel();
    probe_.WorkloadRemoved(it->first);
    it = workloads_.erase(it);
  }
}

void Scheduler::Impl::Stop() {
  for (auto& [name, w] : workloads_) {
    w->stopped = true;
    w->timer.cancel();
  }
  workloads_.clear();
}

void Scheduler::Impl::Start(const std::shared_ptr<Workload>& w) {
  running_->fetch_add(1);
  net::co_spawn(ioc_, Run(w), [running = running_, name = w->spec->name](std::exception_ptr e) {
    running->fetch_sub(1);
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& err) {
      log::Error("workload loop ended", {{"workload", name}, {"error", err.what()}});
    }
  });
}

void Scheduler::Impl::EnsureModel(Workload& w) {
  const std::string key = ModelKey(*w.spec);
  if (w.model && key == w.model_key) return;
  w.model_key = key;
  w.model.reset();
  auto made = models::MakeModel(w.spec->model, ModelOptionsFor(*w.spec));
  if (made) {
    w.model = std::shared_ptr<models::Model>(std::move(*made));
    w.model_error.clear();
  } else {
    w.model_error = made.error().message;
  }
}

Duration Scheduler::Impl::Jittered(Duration d) {
  if (options_.jitter <= 0) return d;
  std::uniform_real_distribution<double> u(1.0 - options_.jitter, 1.0 + options_.jitter);
  return Duration(static_cast<long>(static_cast<double>(d.count()) * u(rng_)));
}

net::awaitable<void> Scheduler::Impl::Run(std::shared_ptr<Workload> w) {
  std::uniform_int_distribution<long> first(0, std::max<long>(0, options_.first_delay_max.count()));
  Duration delay(first(rng_));
  for (;;) {
    if (!co_await Sleep(*w, delay)) co_return;
    if (options_.mirror != nullptr && !options_.mirror->ShouldForecast()) {
      // A peer leads: the mirror keeps this workload's snapshot fresh. Ask again soon,
      // so a failover is picked up within about a second.
      delay = std::min(w->spec->interval, kFollowerRecheck);
      continue;
    }
    bool ok = false;
    try {
      ok = co_await Cycle(*w);
    } catch (const std::exception& e) {
      // A source or model that throws fails this cycle only; the workload goes on.
      if (!w->stopped) PublishError(*w, std::string("unexpected error: ") + e.what());
    }
    if (w->stopped) co_return;
    const Duration interval = w->spec->interval;
    delay = ok ? Jittered(interval) : std::min(interval, options_.retry_after);
  }
}

net::awaitable<bool> Scheduler::Impl::Sleep(Workload& w, Duration d) {
  w.timer.expires_after(d);
  auto [ec] = co_await w.timer.async_wait(net::as_tuple(net::use_awaitable));
  co_return !ec && !w.stopped;
}

net::awaitable<bool> Scheduler::Impl::Cycle(Workload& w) {
  const auto t0 = SteadyClock::now();
  const std::shared_ptr<const WorkloadSpec> spec = w.spec;  // a reload may swap w.spec meanwhile
  AdoptNewerSnapshot(w);
  auto done = [&](bool ok) {
    probe_.CycleDone(spec->name, SecondsSince(t0), ok);
    return ok;
  };
  if (w.source == nullptr) {
    PublishError(w, "source \"" + spec->source + "\" is not available");
    co_return done(false);
  }
  if (!w.model) {
    PublishError(w, "model: " + w.model_error);
    co_return done(false);
  }

  // Fetch the whole window the first time, then only what is newer than the history
  // (with two steps of overlap so late samples overwrite).
  const TimePoint now = options_.clock();
  const TimePoint to = AlignDown(now, spec->step) + spec->step;
  TimePoint from = to - spec->window;
  if (!w.history.empty()) from = std::max(from, w.history.End() - 2 * spec->step);
  const auto f0 = SteadyClock::now();
  // The request is built outside the co_await expression: GCC 12 mishandles
  // temporaries with braced initialisers inside co_await operands.
  FetchRequest request{spec->name, spec->query, from, to, spec->step};
  Result<Series> fetched = co_await w.source->Fetch(std::move(request));
  if (w.stopped) co_return false;
  probe_.FetchDone(spec->source, SecondsSince(f0), fetched.has_value(),
                   fetched ? fetched->size() : 0);
  if (!fetched) {
    PublishError(w, "fetch from source \"" + spec->source + "\": " + fetched.error().message);
    co_return done(false);
  }
  w.history.Merge(*fetched);
  if (w.history.empty()) {
    PublishError(w, "no data yet for query");
    co_return done(false);
  }

  // Score the forecasts whose moment has now come, before this cycle's forecast
  // replaces the records of times still ahead.
  Series series = w.history.Copy();
  w.accuracy.Observe(series, w.history.Mask());

  // Fit, forecast and plan on the pool; the task owns copies of what it reads.
  auto compute = [model = w.model, spec, series,
                  previous = w.last]() -> net::awaitable<Result<Snapshot>> {
    co_return Compute(*model, *spec, series, previous.get());
  };
  const auto c0 = SteadyClock::now();
  Result<Snapshot> computed = co_await net::co_spawn(pool_, compute, net::use_awaitable);
  if (w.stopped) co_return false;
  if (!computed) {
    PublishError(w, "forecast: " + computed.error().message);
    co_return done(false);
  }
  probe_.FitDone(spec->name, spec->model, SecondsSince(c0));

  computed->generated_at = options_.clock();
  w.accuracy.RecordForecast(*computed, spec->capacity.target_per_pod);
  w.accuracy.Fill(*computed, series, computed->generated_at);
  computed->sequence = ++w.sequence;
  computed->config_fingerprint = w.model_key;
  if (w.last && !w.last->last_error.empty()) {
    log::Info("workload recovered", {{"workload", spec->name}, {"after_failures", w.last->consecutive_failures}});
  }
  w.last = std::make_shared<const Snapshot>(std::move(*computed));
  table_.Publish(w.last);
  if (options_.mirror != nullptr) options_.mirror->Published(w.last);
  co_return done(true);
}

void Scheduler::Impl::AdoptNewerSnapshot(Workload& w) {
  // After a failover the table holds the former leader's mirrored snapshots: build on
  // them (rate limits, and an error keeps their forecast) rather than on our older one.
  auto entry = table_.Get(w.spec->name);
  if (!entry || !entry->snapshot || entry->snapshot == w.last) return;
  if (!w.last || entry->snapshot->generated_at > w.last->generated_at) {
    w.last = entry->snapshot;
    w.sequence = std::max(w.sequence, w.last->sequence);
  }
}

void Scheduler::Impl::PublishError(Workload& w, const std::string& message) {
  auto s = w.last ? std::make_shared<Snapshot>(*w.last) : std::make_shared<Snapshot>();
  s->workload = w.spec->name;
  if (!w.last) s->metric = w.spec->query;
  // Log the first failure and every change of reason; repeats are counted, not logged.
  const bool repeat = w.last && w.last->last_error == message;
  s->last_error = message;
  s->last_error_at = options_.clock();
  s->consecutive_failures = w.last ? w.last->consecutive_failures + 1 : 1;
  s->sequence = ++w.sequence;
  if (!repeat) {
    log::Warn("workload cycle failed", {{"workload", w.spec->name}, {"error", message}});
  }
  w.last = s;
  table_.Publish(w.last);
}

Scheduler::Scheduler(net::io_context& ioc, net::thread_pool& pool, SnapshotTable& table,
                     Probe& probe, SchedulerOptions options)
    : impl_(std::make_unique<Impl>(ioc, pool, table, probe, std::move(options))) {}

Scheduler::~Scheduler() = default;

void Scheduler::Apply(const std::vector<std::shared_ptr<const WorkloadSpec>>& specs,
                      const std::map<std::string, Source*>& sources) {
  impl_->Apply(specs, sources);
}

void Scheduler::Stop() { impl_->Stop(); }

size_t Scheduler::running() const { return impl_->running(); }

}  // namespace kedastral::loop
