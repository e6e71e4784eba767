#include "io/grpc_server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "core/log.h"
#include "core/snapshot_table.h"
#include "externalscaler.grpc.pb.h"
#include "io/scaler_logic.h"

namespace kedastral::io {
namespace {

namespace es = ::externalscaler;
using SteadyClock = std::chrono::steady_clock;

// A recheck period of 0 would spin the timer thread.
constexpr Duration kMinRecheck{10};
// After the deadline, cancelled streams still need a moment to run OnDone.
constexpr Duration kStreamWindDown{100};

grpc::StatusCode ToGrpcCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case ErrorCode::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case ErrorCode::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case ErrorCode::kTimeout: return grpc::StatusCode::DEADLINE_EXCEEDED;
    case ErrorCode::kIo: return grpc::StatusCode::UNAVAILABLE;
    case ErrorCode::kParse: return grpc::StatusCode::INTERNAL;
    case ErrorCode::kInternal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

grpc::Status ToStatus(const Error& e) { return grpc::Status(ToGrpcCode(e.code), e.message); }

// Views into `ref`, which must outlive the result.
ScalerRef ViewOf(const es::ScaledObjectRef& ref) {
  ScalerRef view;
  view.name = ref.name();
  view.ns = ref.namespace_();
  view.metadata.reserve(static_cast<size_t>(ref.scalermetadata_size()));
  for (const auto& [key, value] : ref.scalermetadata()) view.metadata.emplace_back(key, value);
  return view;
}

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

class Stream;

// What the service, the streams, the table listener and the recheck thread share.
// Held by shared_ptr so that a listener call racing with Unsubscribe, or a stream's
// OnDone running after Shutdown gave up waiting, still finds it alive.
class Hub {
 public:
  Hub(SnapshotTable& table, GrpcServerOptions options)
      : table_(table), options_(std::move(options)) {
    if (!options_.clock) options_.clock = &kedastral::Now;
  }

  const SnapshotTable& table() const { return table_; }
  TimePoint Now() const { return options_.clock(); }
  Duration recheck() const { return std::max(options_.stream_recheck, kMinRecheck); }

  void Record(std::string_view method, grpc::StatusCode code, double seconds) const {
    if (!options_.on_request) return;
    try {
      options_.on_request(method, static_cast<int>(code), seconds);
    } catch (...) {
      // A metrics hook must not take a gRPC thread down with it.
    }
  }

  // False once EndAll has run: the stream must end itself.
  bool Register(Stream* s);
  void Unregister(Stream* s);
  // Lets the streams of `workload` ("" = all) re-evaluate and write if changed.
  void Wake(std::string_view workload);
  // Ends every open stream with `status` and refuses new ones.
  void EndAll(const grpc::Status& status);
  // True when every stream has run OnDone before `until`.
  bool WaitEmpty(SteadyClock::time_point until);

 private:
  SnapshotTable& table_;
  GrpcServerOptions options_;

  std::mutex mu_;
  std::condition_variable empty_cv_;
  std::unordered_set<Stream*> streams_;  // guarded by mu_
  bool ended_ = false;                   // guarded by mu_
};

// The part of a stream reactor the Hub drives. The Hub calls these with its mutex
// held, which keeps the stream alive (OnDone unregisters under the same mutex).
class Stream {
 public:
  virtual ~Stream() = default;
  virtual const std::string& workload() const = 0;
  virtual void Poke() = 0;
  virtual void End(const grpc::Status& status) = 0;
};

bool Hub::Register(Stream* s) {
  std::lock_guard lock(mu_);
  if (ended_) return false;
  streams_.insert(s);
  return true;
}

void Hub::Unregister(Stream* s) {
  std::lock_guard lock(mu_);
  streams_.erase(s);
  if (streams_.empty()) empty_cv_.notify_all();
}

void Hub::Wake(std::string_view workload) {
  std::lock_guard lock(mu_);
  for (Stream* s : streams_) {
    if (workload.empty() || s->workload() == workload) s->Poke();
  }
}

void Hub::EndAll(const grpc::Status& status) {
  std::lock_guard lock(mu_);
  ended_ = true;
  for (Stream* s : streams_) s->End(status);
}

bool Hub::WaitEmpty(SteadyClock::time_point until) {
  std::unique_lock lock(mu_);
  return empty_cv_.wait_until(lock, until, [&] { return streams_.empty(); });
}

// A server stream that sends its state at once and then whenever it changes.
//
// Pokes come from the table's listener (publisher's thread), the recheck thread
// and OnWriteDone; each evaluates under mu_ and starts a write only when none is
// in flight (gRPC allows one at a time), otherwise marks the stream dirty so
// OnWriteDone evaluates again. A Finish requested during a write waits for
// OnWriteDone, so Finish never overlaps a write. gRPC never runs these reactions
// inline inside StartWrite or Finish, so holding mu_ across them cannot deadlock.
template <class Response>
class StreamReactor : public grpc::ServerWriteReactor<Response>, public Stream {
 public:
  StreamReactor(std::shared_ptr<Hub> hub, std::string_view method,
                const es::ScaledObjectRef& request)
      : hub_(std::move(hub)), method_(method), request_(request), ref_(ViewOf(request_)) {
    workload_ = std::string(ref_.Find(kWorkloadKey).value_or(ref_.name));
  }

  // Registers with the hub and sends the first message; separate from the
  // constructor because it calls Evaluate (virtual).
  void Begin() {
    if (!hub_->Register(this)) {
      End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
      return;
    }
    Poke();
  }

  const std::string& workload() const override { return workload_; }

  void Poke() override {
    std::lock_guard lock(mu_);
    if (finishing_) return;
    if (writing_) {
      dirty_ = true;
      return;
    }
    Step();
  }

  void End(const grpc::Status& status) override {
    std::lock_guard lock(mu_);
    FinishLocked(status);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (pending_finish_) {
      this->Finish(*pending_finish_);
      pending_finish_.reset();
      return;
    }
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
      return;
    }
    if (dirty_) {
      dirty_ = false;
      Step();
    }
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnDone() override {
    grpc::StatusCode code;
    {
      std::lock_guard lock(mu_);
      code = code_;
    }
    hub_->Record(method_, code, SecondsSince(started_));
    hub_->Unregister(this);
    delete this;
  }

 protected:
  // The message to send when the state changed since the last one sent, nullopt
  // when it did not, or the error that ends the stream. Called with mu_ held.
  virtual Result<std::optional<Response>> Evaluate() = 0;

  Hub& hub() const { return *hub_; }
  const ScalerRef& ref() const { return ref_; }

 private:
  // requires mu_, no write in flight, not finishing
  void Step() {
    Result<std::optional<Response>> next = std::optional<Response>();
    try {
      next = Evaluate();
    } catch (const std::exception& e) {
      next = Fail(Error::Internal(e.what()));
    }
    if (!next) {
      FinishLocked(ToStatus(next.error()));
      return;
    }
    if (!next->has_value()) return;
    out_ = std::move(**next);
    writing_ = true;
    this->StartWrite(&out_);
  }

  // requires mu_
  void FinishLocked(const grpc::Status& status) {
    if (finishing_) return;
    finishing_ = true;
    code_ = status.error_code();
    if (writing_) {
      pending_finish_ = status;
    } else {
      this->Finish(status);
    }
  }

  const std::shared_ptr<Hub> hub_;
  const std::string_view method_;
  const es::ScaledObjectRef request_;  // owned copy; ref_ views into it
  const ScalerRef ref_;
  std::string workload_;  // set in the constructor, then read-only
  const SteadyClock::time_point started_ = SteadyClock::now();

  std::mutex mu_;
  Response out_;                                // guarded by mu_; gRPC reads it while writing_
  bool writing_ = false;                        // guarded by mu_
  bool dirty_ = false;                          // guarded by mu_
  bool finishing_ = false;                      // guarded by mu_
  std::optional<grpc::Status> pending_finish_;  // guarded by mu_
  grpc::StatusCode code_ = grpc::StatusCode::OK;  // guarded by mu_
};

class IsActiveStream final : public StreamReactor<es::IsActiveResponse> {
 public:
  using StreamReactor::StreamReactor;

 private:
  Result<std::optional<es::IsActiveResponse>> Evaluate() override {
    auto active = EvaluateIsActive(hub().table(), ref(), hub().Now());
    if (!active) return Fail(active.error());
    if (last_ == *active) return std::optional<es::IsActiveResponse>();
    last_ = *active;
    es::IsActiveResponse response;
    response.set_result(*active);
    return response;
  }

  std::optional<bool> last_;
};

void FillSpec(const MetricTarget& target, es::GetMetricSpecResponse* response) {
  es::MetricSpec* spec = response->add_metricspecs();
  spec->set_metricname(target.metric_name);
  spec->set_targetsize(static_cast<int64_t>(target.target));
  spec->set_targetsizefloat(target.target);
}

class MetricSpecStream final : public StreamReactor<es::GetMetricSpecResponse> {
 public:
  using StreamReactor::StreamReactor;

 private:
  Result<std::optional<es::GetMetricSpecResponse>> Evaluate() override {
    auto target = EvaluateMetricSpec(hub().table(), ref());
    if (!target) return Fail(target.error());
    if (last_ == *target) return std::optional<es::GetMetricSpecResponse>();
    last_ = *target;
    es::GetMetricSpecResponse response;
    FillSpec(*target, &response);
    return response;
  }

  std::optional<MetricTarget> last_;
};

// The unary methods answer inside the reaction: the table is lock-free, so there
// is nothing to wait for and no reason to hop to another thread.
class ScalerService final : public es::ExternalScaler::CallbackService {
 public:
  explicit ScalerService(std::shared_ptr<Hub> hub) : hub_(std::move(hub)) {}

  grpc::ServerUnaryReactor* IsActive(grpc::CallbackServerContext* context,
                                     const es::ScaledObjectRef* request,
                                     es::IsActiveResponse* response) override {
    return Unary(context, "IsActive", [&] {
      auto active = EvaluateIsActive(hub_->table(), ViewOf(*request), hub_->Now());
      if (!active) return ToStatus(active.error());
      response->set_result(*active);
      return grpc::Status::OK;
    });
  }

  grpc::ServerUnaryReactor* GetMetricSpec(grpc::CallbackServerContext* context,
                                          const es::ScaledObjectRef* request,
                                          es::GetMetricSpecResponse* response) override {
    return Unary(context, "GetMetricSpec", [&] {
      auto target = EvaluateMetricSpec(hub_->table(), ViewOf(*request));
      if (!target) return ToStatus(target.error());
      FillSpec(*target, response);
      return grpc::Status::OK;
    });
  }

  grpc::ServerUnaryReactor* GetMetrics(grpc::CallbackServerContext* context,
                                       const es::GetMetricsRequest* request,
                                       es::GetMetricsResponse* response) override {
    return Unary(context, "GetMetrics", [&] {
      auto answer = EvaluateMetrics(hub_->table(), ViewOf(request->scaledobjectref()),
                                    request->metricname(), hub_->Now());
      if (!answer) return ToStatus(answer.error());
      es::MetricValue* value = response->add_metricvalues();
      value->set_metricname(answer->metric_name);
      value->set_metricvalue(answer->value);
      value->set_metricvaluefloat(answer->value);
      return grpc::Status::OK;
    });
  }

  grpc::ServerWriteReactor<es::IsActiveResponse>* StreamIsActive(
      grpc::CallbackServerContext* context, const es::ScaledObjectRef* request) override {
    auto* stream = new IsActiveStream(hub_, "StreamIsActive", *request);
    stream->Begin();
    return stream;
  }

  grpc::ServerWriteReactor<es::GetMetricSpecResponse>* StreamMetricSpec(
      grpc::CallbackServerContext* context, const es::ScaledObjectRef* request) override {
    auto* stream = new MetricSpecStream(hub_, "StreamMetricSpec", *request);
    stream->Begin();
    return stream;
  }

 private:
  // Runs `answer`, records the call and finishes it with the status. No exception
  // leaves a reaction: anything thrown becomes INTERNAL.
  template <class Fn>
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, std::string_view method,
                                  Fn&& answer) {
    const auto started = SteadyClock::now();
    grpc::Status status;
    try {
      status = answer();
    } catch (const std::exception& e) {
      status = grpc::Status(grpc::StatusCode::INTERNAL, e.what());
    }
    // Recorded before Finish so that the count is complete by the time the
    // client has its answer.
    hub_->Record(method, status.error_code(), SecondsSince(started));
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  std::shared_ptr<Hub> hub_;
};

}  // namespace

class GrpcServer::Impl {
 public:
  Impl(SnapshotTable& table, GrpcServerOptions options)
      : table_(table), address_(options.address),
        hub_(std::make_shared<Hub>(table, std::move(options))) {}

  ~Impl() { Shutdown(std::chrono::seconds(5)); }

  Result<void> Start();
  void Shutdown(Duration deadline);
  int port() const { return port_.load(std::memory_order_acquire); }

 private:
  void RecheckLoop();
  void StopRecheck();

  enum class State { kNew, kRunning, kStopped };

  SnapshotTable& table_;
  const std::string address_;
  const std::shared_ptr<Hub> hub_;
  std::atomic<int> port_{0};

  std::mutex lifecycle_mu_;  // serialises Start and Shutdown
  State state_ = State::kNew;                // guarded by lifecycle_mu_
  std::unique_ptr<ScalerService> service_;   // guarded by lifecycle_mu_; outlives server_
  std::unique_ptr<grpc::Server> server_;     // guarded by lifecycle_mu_
  int listener_id_ = 0;                      // guarded by lifecycle_mu_
  std::thread recheck_thread_;               // guarded by lifecycle_mu_

  std::mutex recheck_mu_;
  std::condition_variable recheck_cv_;
  bool recheck_stop_ = false;  // guarded by recheck_mu_
};

Result<void> GrpcServer::Impl::Start() {
  std::lock_guard lock(lifecycle_mu_);
  if (state_ != State::kNew) {
    return Fail(Error::InvalidArgument("gRPC server: Start called twice or after Shutdown"));
  }
  // A failed attempt leaves the service registered with a server that never
  // started, so Start is not retried with the same object.
  state_ = State::kStopped;

  service_ = std::make_unique<ScalerService>(hub_);
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(address_, grpc::InsecureServerCredentials(), &selected_port);
  // gRPC sets SO_REUSEPORT by default, which lets a second server bind a port
  // that is in use and silently share its traffic; we want the bind to fail.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || selected_port == 0) {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
    return Fail(Error::Unavailable("gRPC server: cannot listen on " + address_));
  }
  port_.store(selected_port, std::memory_order_release);

  listener_id_ = table_.Subscribe([hub = hub_](std::string_view workload) { hub->Wake(workload); });
  recheck_thread_ = std::thread([this] { RecheckLoop(); });
  state_ = State::kRunning;
  return {};
}

void GrpcServer::Impl::RecheckLoop() {
  const Duration period = hub_->recheck();
  std::unique_lock lock(recheck_mu_);
  while (!recheck_cv_.wait_for(lock, period, [&] { return recheck_stop_; })) {
    lock.unlock();
    hub_->Wake("");
    lock.lock();
  }
}

void GrpcServer::Impl::StopRecheck() {
  {
    std::lock_guard lock(recheck_mu_);
    recheck_stop_ = true;
  }
  recheck_cv_.notify_all();
  if (recheck_thread_.joinable()) recheck_thread_.join();
}

void GrpcServer::Impl::Shutdown(Duration deadline) {
  std::lock_guard lock(lifecycle_mu_);
  if (state_ != State::kRunning) {
    state_ = State::kStopped;
    return;
  }
  state_ = State::kStopped;
  const auto until = std::chrono::system_clock::now() + deadline;  // gRPC's clock
  const auto steady_until = SteadyClock::now() + deadline;

  table_.Unsubscribe(listener_id_);
  StopRecheck();
  // Streams never end on their own; without this, server_->Shutdown would wait
  // for them until the deadline and then cancel them.
  hub_->EndAll(grpc::Status::OK);
  server_->Shutdown(until);
  if (!hub_->WaitEmpty(std::max(steady_until, SteadyClock::now()) + kStreamWindDown)) {
    log::Warn("gRPC server: streams still open after shutdown deadline");
  }
}

GrpcServer::GrpcServer(SnapshotTable& table, GrpcServerOptions options)
    : impl_(std::make_unique<Impl>(table, std::move(options))) {}

GrpcServer::~GrpcServer() = default;

Result<void> GrpcServer::Start() { return impl_->Start(); }

int GrpcServer::port() const { return impl_->port(); }

void GrpcServer::Shutdown(Duration deadline) { impl_->Shutdown(deadline); }

}  // namespace kedastral::io
