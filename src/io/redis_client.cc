#include "io/redis_client.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "core/log.h"

namespace kedastral::io {
namespace net = boost::asio;

namespace {

RedisReply CopyReply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = RedisReply::Type::kString; break;
    case REDIS_REPLY_STATUS: out.type = RedisReply::Type::kStatus; break;
    case REDIS_REPLY_ERROR: out.type = RedisReply::Type::kError; break;
    case REDIS_REPLY_INTEGER: out.type = RedisReply::Type::kInteger; break;
    case REDIS_REPLY_ARRAY: out.type = RedisReply::Type::kArray; break;
    default: out.type = RedisReply::Type::kNil; break;
  }
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR) {
    out.str.assign(r->str, r->len);
  }
  out.integer = r->integer;
  if (r->type == REDIS_REPLY_ARRAY) {
    out.elements.reserve(r->elements);
    for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(CopyReply(r->element[i]));
  }
  return out;
}

// The Asio side of hiredis' event hooks. hiredis owns the file descriptor: we only
// watch it, and release (never close) it in cleanup. Wait handlers keep the watcher
// alive through a shared_ptr and do nothing once cleanup has detached it.
struct Watcher : std::enable_shared_from_this<Watcher> {
  Watcher(net::io_context& ioc, redisAsyncContext* a) : fd(ioc, a->c.fd), ac(a) {}

  net::posix::stream_descriptor fd;
  redisAsyncContext* ac;  // null after cleanup
  bool want_read = false, want_write = false;
  bool read_armed = false, write_armed = false;
  std::shared_ptr<Watcher> self;  // keeps it alive while attached to hiredis

  void ArmRead() {
    if (read_armed || !ac || !want_read) return;
    read_armed = true;
    fd.async_wait(net::posix::stream_descriptor::wait_read,
                  [w = shared_from_this()](boost::system::error_code ec) {
                    w->read_armed = false;
                    if (ec || !w->ac || !w->want_read) return;
                    redisAsyncHandleRead(w->ac);  // may free the context (cleanup runs)
                    w->ArmRead();
                  });
  }
  void ArmWrite() {
    if (write_armed || !ac || !want_write) return;
    write_armed = true;
    fd.async_wait(net::posix::stream_descriptor::wait_write,
                  [w = shared_from_this()](boost::system::error_code ec) {
                    w->write_armed = false;
                    if (ec || !w->ac || !w->want_write) return;
                    redisAsyncHandleWrite(w->ac);
                    w->ArmWrite();
                  });
  }

  static Watcher* From(void* p) { return static_cast<Watcher*>(p); }
  static void AddRead(void* p) { auto* w = From(p); w->want_read = true; w->ArmRead(); }
  static void DelRead(void* p) { From(p)->want_read = false; }
  static void AddWrite(void* p) { auto* w = From(p); w->want_write = true; w->ArmWrite(); }
  static void DelWrite(void* p) { From(p)->want_write = false; }
  static void Cleanup(void* p) {
    auto* w = From(p);
    w->ac = nullptr;
    boost::system::error_code ignored;
    w->fd.cancel(ignored);
    w->fd.release();
    w->self.reset();  // pending wait handlers still hold their own reference
  }

  static void Attach(net::io_context& ioc, redisAsyncContext* ac) {
    auto w = std::make_shared<Watcher>(ioc, ac);
    w->self = w;
    ac->ev.data = w.get();
    ac->ev.addRead = AddRead;
    ac->ev.delRead = DelRead;
    ac->ev.addWrite = AddWrite;
    ac->ev.delWrite = DelWrite;
    ac->ev.cleanup = Cleanup;
  }
};

// One hiredis connection with its lifecycle: resolve, connect, AUTH/SELECT/PING, ready;
// on any failure close, back off and start again until Close(). Owners learn about
// transitions through the two hooks, which always run outside hiredis callbacks.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class State { kIdle, kConnecting, kReady, kBackoff, kClosed };
  struct Hooks {
    std::function<void()> on_ready;
    std::function<void(const std::string& why)> on_lost;
  };

  Connection(net::io_context& ioc, RedisOptions options, Hooks hooks)
      : ioc_(ioc), options_(std::move(options)), hooks_(std::move(hooks)), resolver_(ioc),
        connect_timer_(ioc), backoff_timer_(ioc), rng_(std::random_device{}()) {}
  ~Connection() { Close(); }

  void Start() {
    if (state_ == State::kIdle) Connect();
  }

  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    resolver_.cancel();
    connect_timer_.cancel();
    backoff_timer_.cancel();
    FreeContext();
  }

  // Closes a broken connection (or abandons an attempt) and schedules a reconnect.
  void Fail(const std::string& why) {
    if (state_ == State::kClosed || state_ == State::kBackoff) return;
    const bool was_ready = state_ == State::kReady;
    ++generation_;  // stale callbacks of this attempt are ignored from now on
    state_ = State::kBackoff;
    resolver_.cancel();
    connect_timer_.cancel();
    FreeContext();
    last_error_ = why;
    if (was_ready || attempt_ == 0) {
      log::Warn("redis connection lost", {{"redis", options_.name}, {"error", why}});
    } else {
      log::Debug("redis connect failed", {{"redis", options_.name}, {"error", why}});
    }
    ScheduleReconnect();
    if (hooks_.on_lost) hooks_.on_lost(why);
  }

  State state() const { return state_; }
  uint64_t generation() const { return generation_; }
  uint64_t connects() const { return connects_; }
  const std::string& last_error() const { return last_error_; }
  // The hiredis context when ready, else null.
  redisAsyncContext* ready_context() const { return state_ == State::kReady ? ac_ : nullptr; }

 private:
  struct HandshakeStep {
    Connection* conn;
    uint64_t generation;
    bool last;
  };

  void Connect() {
    state_ = State::kConnecting;
    const uint64_t gen = ++generation_;
    connect_timer_.expires_after(options_.connect_timeout);
    connect_timer_.async_wait([weak = weak_from_this(), gen](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->generation_ != gen || self->state_ != State::kConnecting) return;
      self->Fail("connect timed out");
    });
    resolver_.async_resolve(
        options_.host, std::to_string(options_.port),
        [weak = weak_from_this(), gen](boost::system::error_code ec,
                                       net::ip::tcp::resolver::results_type results) {
          auto self = weak.lock();
          if (!self || self->generation_ != gen || self->state_ != State::kConnecting) return;
          if (ec || results.empty()) {
            self->Fail("resolve " + self->options_.host + ": " + ec.message());
            return;
          }
          self->Open(results.begin()->endpoint().address().to_string(), gen);
        });
  }

  void Open(const std::string& ip, uint64_t gen) {
    redisAsyncContext* ac = redisAsyncConnect(ip.c_str(), options_.port);
    if (!ac) return Fail("out of memory");
    if (ac->err) {
      std::string why = ac->errstr;
      redisAsyncFree(ac);
      return Fail("connect: " + why);
    }
    ac_ = ac;
    ac->data = this;
    Watcher::Attach(ioc_, ac);
    redisAsyncSetConnectCallback(ac, &Connection::OnConnect);
    redisAsyncSetDisconnectCallback(ac, &Connection::OnDisconnect);
    // Pipelined handshake; the PING's reply means the connection is usable.
    if (!options_.password.empty()) SendHandshake({"AUTH", options_.password}, gen, false);
    if (options_.db != 0) SendHandshake({"SELECT", std::to_string(options_.db)}, gen, false);
    SendHandshake({"PING"}, gen, true);
  }

  void SendHandshake(const std::vector<std::string>& argv, uint64_t gen, bool last) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* step = new HandshakeStep{this, gen, last};
    if (redisAsyncCommandArgv(ac_, &Connection::OnHandshakeReply, step,
                              static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK) {
      delete step;
    }
  }

  // hiredis callbacks: record, then post the reaction (never re-enter hiredis here).
  static void OnHandshakeReply(redisAsyncContext*, void* r, void* privdata) {
    std::unique_ptr<HandshakeStep> step(static_cast<HandshakeStep*>(privdata));
    if (!r) return;  // the context is going away; its failure is reported elsewhere
    auto* reply = static_cast<redisReply*>(r);
    std::string error;
    if (reply->type == REDIS_REPLY_ERROR) {
      // The error text comes from Redis (e.g. "WRONGPASS ..."), never holds the password.
      error = "handshake: " + std::string(reply->str, reply->len);
    } else if (!step->last) {
      return;
    }
    // Decided before the call: argument evaluation order is unspecified, and clang moves
    // `error` out before a later `error.empty()` would run.
    const bool ready = error.empty();
    step->conn->PostEvent(step->generation, std::move(error), ready);
  }

  static void OnConnect(const redisAsyncContext* ac, int status) {
    if (status == REDIS_OK) return;
    auto* conn = static_cast<Connection*>(ac->data);
    if (conn->ac_ != ac) return;
    conn->ac_ = nullptr;  // hiredis frees it right after this callback
    conn->PostEvent(conn->generation_, std::string("connect: ") + ac->errstr, false);
  }

  static void OnDisconnect(const redisAsyncContext* ac, int status) {
    auto* conn = static_cast<Connection*>(ac->data);
    if (conn->ac_ != ac) return;  // we freed it ourselves
    conn->ac_ = nullptr;
    std::string why = ac->err ? std::string("disconnected: ") + ac->errstr : "disconnected";
    conn->PostEvent(conn->generation_, std::move(why), false);
  }

  void PostEvent(uint64_t gen, std::string error, bool ready) {
    net::post(ioc_, [weak = weak_from_this(), gen, error = std::move(error), ready] {
      auto self = weak.lock();
      if (!self || self->generation_ != gen) return;
      if (ready) return self->Ready();
      self->Fail(error);
    });
  }

  void Ready() {
    if (state_ != State::kConnecting || !ac_) return;
    state_ = State::kReady;
    connect_timer_.cancel();
    if (attempt_ > 0 || connects_ > 0) {
      log::Info("redis connected", {{"redis", options_.name}, {"attempts", static_cast<long>(attempt_ + 1)}});
    }
    attempt_ = 0;
    ++connects_;
    if (hooks_.on_ready) hooks_.on_ready();
  }

  void ScheduleReconnect() {
    const double base = std::min<double>(options_.backoff_max.count(),
                                         options_.backoff_initial.count() * std::pow(2.0, std::min(attempt_, 30u)));
    std::uniform_real_distribution<double> jitter(1 - options_.backoff_jitter, 1 + options_.backoff_jitter);
    const auto delay = Duration(static_cast<long>(base * jitter(rng_)));
    ++attempt_;
    backoff_timer_.expires_after(delay);
    backoff_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->state_ != State::kBackoff) return;
      self->Connect();
    });
  }

  void FreeContext() {
    if (!ac_) return;
    redisAsyncContext* ac = ac_;
    ac_ = nullptr;  // so OnDisconnect, run inside the free, knows it was us
    redisAsyncFree(ac);  // runs pending reply callbacks with a null reply, then cleanup
  }

  net::io_context& ioc_;
  RedisOptions options_;
  Hooks hooks_;
  net::ip::tcp::resolver resolver_;
  net::steady_timer connect_timer_;
  net::steady_timer backoff_timer_;
  std::mt19937 rng_;
  State state_ = State::kIdle;
  redisAsyncContext* ac_ = nullptr;
  uint64_t generation_ = 0;
  uint64_t connects_ = 0;
  unsigned attempt_ = 0;
  std::string last_error_;
};

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<std::string> LoadRedisPassword(const std::string& password_file, const char* env_var) {
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    if (!in) return Fail(Error::Io("redis passwordFile " + password_file + ": cannot read"));
    std::string line;
    std::getline(in, line);
    return Trimmed(line);
  }
  if (const char* env = env_var ? std::getenv(env_var) : nullptr) return Trimmed(env);
  return std::string();
}

Result<RedisOptions> RedisOptionsFrom(const RedisSpec& spec) {
  auto hp = ParseHostPort(spec.address);
  if (!hp) return Fail(hp.error());
  auto password = LoadRedisPassword(spec.password_file);
  if (!password) return Fail(password.error());
  RedisOptions options;
  options.host = hp->host;
  options.port = hp->port;
  options.password = std::move(*password);
  options.db = spec.db;
  return options;
}

// ---------------------------------------------------------------------------------
// RedisClient

class RedisClient::Impl : public std::enable_shared_from_this<Impl> {
 public:
  struct Request {
    std::vector<std::string> argv;
    Callback done;
    net::steady_timer timer;
    bool finished = false;
    uint64_t generation = 0;  // of the connection it was sent on; 0 while queued
    Request(net::io_context& ioc, std::vector<std::string> a, Callback d)
        : argv(std::move(a)), done(std::move(d)), timer(ioc) {}
  };

  Impl(net::io_context& ioc, RedisOptions options) : ioc_(ioc), options_(std::move(options)) {}

  void Init() {
    Connection::Hooks hooks;
    hooks.on_ready = [weak = weak_from_this()] { if (auto s = weak.lock()) s->Flush(); };
    hooks.on_lost = [weak = weak_from_this()](const std::string& why) {
      if (auto s = weak.lock()) s->FailQueued(why);
    };
    conn_ = std::make_shared<Connection>(ioc_, options_, std::move(hooks));
  }

  void Submit(std::vector<std::string> argv, Callback done) {
    auto req = std::make_shared<Request>(ioc_, std::move(argv), std::move(done));
    if (conn_->state() == Connection::State::kClosed) {
      return Finish(req, Fail(Error::Unavailable("redis: client closed")));
    }
    if (conn_->state() == Connection::State::kBackoff) {
      return Finish(req, Fail(Error::Unavailable("redis: not connected: " + conn_->last_error())));
    }
    req->timer.expires_after(options_.command_timeout);
    req->timer.async_wait([weak = weak_from_this(), req](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || req->finished) return;
      self->TimedOut(req);
    });
    if (conn_->ready_context()) return Send(req);
    queued_.push_back(req);
    conn_->Start();
  }

  void Close() {
    conn_->Close();
    FailQueued("client closed");
  }

  Connection& conn() { return *conn_; }

 private:
  static void OnReply(redisAsyncContext*, void* r, void* privdata) {
    std::unique_ptr<std::shared_ptr<Request>> holder(static_cast<std::shared_ptr<Request>*>(privdata));
    auto& req = *holder;
    if (!r) return Finish(req, Fail(Error::Unavailable("redis: connection lost")));
    auto* reply = static_cast<redisReply*>(r);
    if (reply->type == REDIS_REPLY_ERROR) {
      return Finish(req, Fail(Error::Unavailable("redis: " + std::string(reply->str, reply->len))));
    }
    Finish(req, CopyReply(reply));
  }

  // Completes once; the completion is posted so it never runs inside hiredis.
  static void Finish(const std::shared_ptr<Request>& req, Result<RedisReply> result) {
    if (req->finished) return;
    req->finished = true;
    req->timer.cancel();
    net::post(req->timer.get_executor(),
              [done = std::move(req->done), result = std::move(result)]() mutable {
                done(std::move(result));
              });
  }

  void Send(const std::shared_ptr<Request>& req) {
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : req->argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    req->generation = conn_->generation();
    auto* holder = new std::shared_ptr<Request>(req);
    if (redisAsyncCommandArgv(conn_->ready_context(), &Impl::OnReply, holder,
                              static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK) {
      delete holder;
      Finish(req, Fail(Error::Unavailable("redis: command not accepted")));
    }
  }

  void TimedOut(const std::shared_ptr<Request>& req) {
    const std::string what = req->argv.empty() ? "" : req->argv[0];
    Finish(req, Fail(Error::Timeout("redis " + what + ": no reply within " +
                                    FormatDuration(options_.command_timeout))));
    // A reply that is this late means a stalled server or a dead path: start afresh
    // rather than let later commands queue behind it.
    if (req->generation != 0 && req->generation == conn_->generation() && conn_->ready_context()) {
      conn_->Fail("command timed out");
    }
  }

  void Flush() {
    auto queued = std::move(queued_);
    queued_.clear();
    for (auto& req : queued) {
      if (!req->finished) Send(req);
    }
  }

  void FailQueued(const std::string& why) {
    auto queued = std::move(queued_);
    queued_.clear();
    for (auto& req : queued) Finish(req, Fail(Error::Unavailable("redis: " + why)));
  }

  net::io_context& ioc_;
  RedisOptions options_;
  std::shared_ptr<Connection> conn_;
  std::deque<std::shared_ptr<Request>> queued_;  // waiting for the connection
};

RedisClient::RedisClient(net::io_context& ioc, RedisOptions options)
    : impl_(std::make_shared<Impl>(ioc, std::move(options))) {
  impl_->Init();
}

RedisClient::~RedisClient() { impl_->Close(); }

net::awaitable<Result<RedisReply>> RedisClient::CommandArgv(std::vector<std::string> argv) {
  // Built outside the co_await operand: GCC 12 mishandles captures made inside it.
  auto impl = impl_;
  auto args = std::make_shared<std::vector<std::string>>(std::move(argv));
  auto initiation = [impl, args](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    impl->Submit(std::move(*args), [shared](Result<RedisReply> r) { (*shared)(std::move(r)); });
  };
  auto operation = net::async_initiate<decltype(net::use_awaitable), void(Result<RedisReply>)>(
      initiation, net::use_awaitable);
  Result<RedisReply> result = co_await std::move(operation);
  co_return result;
}

void RedisClient::Submit(std::vector<std::string> argv, Callback done) {
  impl_->Submit(std::move(argv), std::move(done));
}
void RedisClient::Start() { impl_->conn().Start(); }
void RedisClient::Close() { impl_->Close(); }
bool RedisClient::connected() const { return impl_->conn().ready_context() != nullptr; }
uint64_t RedisClient::connects() const { return impl_->conn().connects(); }
std::string RedisClient::last_error() const { return impl_->conn().last_error(); }

// ---------------------------------------------------------------------------------
// RedisSubscriber

class RedisSubscriber::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(net::io_context& ioc, RedisOptions options, std::vector<std::string> channels,
       MessageHandler on_message, std::function<void()> on_subscribed)
      : ioc_(ioc), options_(std::move(options)), channels_(std::move(channels)),
        on_message_(std::move(on_message)), on_subscribed_(std::move(on_subscribed)) {}

  void Init() {
    Connection::Hooks hooks;
    hooks.on_ready = [weak = weak_from_this()] { if (auto s = weak.lock()) s->Subscribe(); };
    hooks.on_lost = [weak = weak_from_this()](const std::string&) {
      if (auto s = weak.lock()) s->confirmed_ = 0;
    };
    conn_ = std::make_shared<Connection>(ioc_, options_, std::move(hooks));
  }

  void Close() {
    conn_->Close();
    confirmed_ = 0;
  }

  Connection& conn() { return *conn_; }
  bool subscribed() const { return !channels_.empty() && confirmed_ >= channels_.size() && conn_->ready_context(); }
  uint64_t subscriptions() const { return subscriptions_; }

 private:
  void Subscribe() {
    confirmed_ = 0;
    generation_ = conn_->generation();
    std::vector<const char*> args{"SUBSCRIBE"};
    std::vector<size_t> lens{9};
    for (const auto& c : channels_) {
      args.push_back(c.data());
      lens.push_back(c.size());
    }
    // privdata is this Impl: the context never outlives it (Close frees it first).
    if (redisAsyncCommandArgv(conn_->ready_context(), &Impl::OnMessage, this,
                              static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK) {
      conn_->Fail("SUBSCRIBE not accepted");
    }
  }

  // Runs for the subscribe confirmations and every message; copies and posts.
  static void OnMessage(redisAsyncContext*, void* r, void* privdata) {
    auto* reply = static_cast<redisReply*>(r);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    auto* self = static_cast<Impl*>(privdata);
    const std::string kind(reply->element[0]->str ? reply->element[0]->str : "",
                           reply->element[0]->len);
    const uint64_t gen = self->generation_;
    if (kind == "message") {
      std::string channel(reply->element[1]->str, reply->element[1]->len);
      std::string payload(reply->element[2]->str, reply->element[2]->len);
      net::post(self->ioc_, [weak = self->weak_from_this(), channel = std::move(channel),
                             payload = std::move(payload)] {
        if (auto s = weak.lock(); s && s->on_message_) s->on_message_(channel, payload);
      });
    } else if (kind == "subscribe") {
      net::post(self->ioc_, [weak = self->weak_from_this(), gen] {
        auto s = weak.lock();
        if (!s || s->conn_->generation() != gen) return;
        if (++s->confirmed_ == s->channels_.size()) {
          ++s->subscriptions_;
          if (s->on_subscribed_) s->on_subscribed_();
        }
      });
    }
  }

  net::io_context& ioc_;
  RedisOptions options_;
  std::vector<std::string> channels_;
  MessageHandler on_message_;
  std::function<void()> on_subscribed_;
  std::shared_ptr<Connection> conn_;
  size_t confirmed_ = 0;
  uint64_t generation_ = 0;
  uint64_t subscriptions_ = 0;
};

RedisSubscriber::RedisSubscriber(net::io_context& ioc, RedisOptions options,
                                 std::vector<std::string> channels, MessageHandler on_message,
                                 std::function<void()> on_subscribed)
    : impl_(std::make_shared<Impl>(ioc, std::move(options), std::move(channels),
                                   std::move(on_message), std::move(on_subscribed))) {
  impl_->Init();
}
RedisSubscriber::~RedisSubscriber() { impl_->Close(); }
void RedisSubscriber::Start() { impl_->conn().Start(); }
void RedisSubscriber::Close() { impl_->Close(); }
bool RedisSubscriber::subscribed() const { return impl_->subscribed(); }
uint64_t RedisSubscriber::subscriptions() const { return impl_->subscriptions(); }
std::string RedisSubscriber::last_error() const { return impl_->conn().last_error(); }

}  // namespace kedastral::io
