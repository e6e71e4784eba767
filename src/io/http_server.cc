#include "io/http_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <list>
#include <mutex>
#include <utility>

#include "core/config.h"
#include "core/log.h"
#include "core/snapshot_table.h"
#include "io/http_handlers.h"
#include "io/metrics.h"

namespace kedastral::io {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// Expected outcomes (a client going away, a timeout) come back as values.
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// How many bytes to ask for while waiting for a request to begin.
constexpr size_t kFirstReadBytes = 4096;
// After an error response, how long and how much to keep reading (and discarding)
// so the client sees the response instead of a reset from unread input.
constexpr Duration kLingerTime{1000};
constexpr size_t kLingerBytes = 256 * 1024;
// Pause after a failed accept (e.g. out of file descriptors) before trying again.
constexpr Duration kAcceptRetryDelay{100};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// What Stop needs to reach one connection. `executor` (the connection's strand) is
// immutable; the other fields are touched only on that strand.
struct Connection {
  net::any_io_executor executor;
  beast::tcp_stream* stream = nullptr;                    // null once the session has ended
  bool idle = false;                                      // waiting for the first byte of a request
  bool stop_requested = false;                            // finish the current request, then close
  std::list<std::shared_ptr<Connection>>::iterator self;  // position in ServerState::connections
};

struct ServerState {
  ServerState(net::io_context& ioc, const SnapshotTable& table, Metrics& metrics,
              HttpServerOptions options)
      : ioc(ioc),
        table(table),
        metrics(metrics),
        options(std::move(options)),
        acceptor_strand(net::make_strand(ioc)),
        acceptor(acceptor_strand) {}

  std::shared_ptr<Connection> Register(net::any_io_executor executor, beast::tcp_stream* stream);
  void Unregister(const std::shared_ptr<Connection>& c);
  void StopOnStrand();  // runs on acceptor_strand

  net::io_context& ioc;
  const SnapshotTable& table;
  Metrics& metrics;
  const HttpServerOptions options;
  net::strand<net::io_context::executor_type> acceptor_strand;
  tcp::acceptor acceptor;  // used on acceptor_strand once Start() has returned
  std::atomic<bool> started{false};
  std::atomic<unsigned short> port{0};
  std::atomic<size_t> active{0};

  std::mutex mu;
  bool stopping = false;                               // guarded by mu
  std::list<std::shared_ptr<Connection>> connections;  // guarded by mu
};

}  // namespace

// The header names only HttpServer::Impl; the state lives in the anonymous namespace
// so the coroutines below can name it.
struct HttpServer::Impl : ServerState {
  using ServerState::ServerState;
};

namespace {

// Counts one accepted connection for as long as the session's coroutine frame
// exists; a parameter of the session, so it is released even if the frame is
// destroyed without ever running (io_context torn down).
class ConnectionCount {
 public:
  explicit ConnectionCount(std::shared_ptr<ServerState> impl) : impl_(std::move(impl)) {
    impl_->active.fetch_add(1, std::memory_order_relaxed);
  }
  ConnectionCount(ConnectionCount&&) noexcept = default;
  ConnectionCount& operator=(ConnectionCount&&) = delete;
  ~ConnectionCount() {
    if (impl_) impl_->active.fetch_sub(1, std::memory_order_release);
  }
  ServerState& impl() const { return *impl_; }

 private:
  std::shared_ptr<ServerState> impl_;
};

// Keeps a connection visible to Stop() while its session runs.
class Registration {
 public:
  Registration(ServerState& impl, beast::tcp_stream& stream)
      : impl_(impl), conn_(impl.Register(stream.get_executor(), &stream)) {}
  ~Registration() {
    conn_->stream = nullptr;
    impl_.Unregister(conn_);
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  Connection& conn() const { return *conn_; }

 private:
  ServerState& impl_;
  std::shared_ptr<Connection> conn_;
};

// The HTTP status to answer a failed read with, or 0 when there is nobody to answer
// (the client left, the deadline passed, the server is stopping).
int StatusForReadError(const beast::error_code& ec) {
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return 0;
  if (ec.category() == beast::http::make_error_code(http::error::bad_target).category()) return 400;
  return 0;
}

HttpResponse ErrorResponse(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = boost::json::serialize(boost::json::object{{"error", message}, {"status", status}});
  return r;
}

http::response<http::string_body> ToBeast(HttpResponse out, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(out.status), version};
  res.set(http::field::server, "kedastral");
  res.set(http::field::content_type, out.content_type);
  // HEAD answers carry the GET body's length themselves; prepare_payload would say 0.
  bool has_length = false;
  for (const auto& [name, value] : out.headers) {
    res.set(name, value);
    if (beast::iequals(name, "Content-Length")) has_length = true;
  }
  res.body() = std::move(out.body);
  res.keep_alive(keep_alive);
  if (!has_length) res.prepare_payload();
  return res;
}

// The router at the edge: it must not take the connection down with it.
HttpResponse SafeHandle(const HttpRequest& req, const ServerState& impl) {
  try {
    return HandleRequest(req, impl.table, impl.metrics, Now());
  } catch (const std::exception& e) {
    log::Error("http: handler failed", {{"target", req.target}, {"error", e.what()}});
    return ErrorResponse(500, "internal error");
  }
}

// Sends `status` for a request that could not be read, then lingers briefly so the
// client reads the answer before the connection goes.
net::awaitable<void> AnswerBadRequest(ServerState& impl, beast::tcp_stream& stream, int status) {
  auto started = std::chrono::steady_clock::now();
  std::string_view message = status == 431   ? "request header too large"
                             : status == 413 ? "request body too large"
                                             : "malformed request";
  auto res = ToBeast(ErrorResponse(status, message), 11, false);
  stream.expires_after(impl.options.read_timeout);
  auto [ec, written] = co_await http::async_write(stream, res, kTuple);
  impl.metrics.HttpRequestDone("other", status, SecondsSince(started));
  if (ec) co_return;
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::min(kLingerTime, impl.options.read_timeout));
  char scratch[4096];
  size_t drained = 0;
  while (drained < kLingerBytes) {
    auto [rec, n] = co_await stream.async_read_some(net::buffer(scratch), kTuple);
    if (rec) break;
    drained += n;
  }
}

// Reads one request (`buffer` may already hold its start) and answers it. Returns
// whether the connection may carry another request.
net::awaitable<bool> ServeOne(ServerState& impl, beast::tcp_stream& stream,
                              beast::flat_buffer& buffer, const Connection& conn, bool over_limit) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(
      static_cast<std::uint32_t>(std::min<size_t>(impl.options.max_header_bytes, UINT32_MAX)));
  parser.body_limit(impl.options.max_body_bytes);
  stream.expires_after(impl.options.read_timeout);
  auto [ec, read] = co_await http::async_read(stream, buffer, parser, kTuple);
  if (ec) {
    if (int status = StatusForReadError(ec); status != 0) {
      co_await AnswerBadRequest(impl, stream, status);
    }
    co_return false;
  }

  auto started = std::chrono::steady_clock::now();
  const http::request<http::string_body>& req = parser.get();
  HttpRequest request{std::string(req.method_string()), std::string(req.target())};
  HttpResponse out =
      over_limit ? ErrorResponse(503, "too many connections") : SafeHandle(request, impl);
  int status = out.status;
  // Checked after the read: a request that arrived before Stop still gets its answer.
  bool keep_alive = req.keep_alive() && !over_limit && !conn.stop_requested;
  auto res = ToBeast(std::move(out), req.version(), keep_alive);
  stream.expires_after(impl.options.read_timeout);
  auto [wec, written] = co_await http::async_write(stream, res, kTuple);
  impl.metrics.HttpRequestDone(RouteLabel(request.target), status, SecondsSince(started));
  co_return !wec && keep_alive;
}

// Handles one connection: waits for each request (the only time Stop() may cut it),
// serves it, and repeats while keep-alive holds.
net::awaitable<void> RunSession(ConnectionCount count, beast::tcp_stream stream, bool over_limit) {
  ServerState& impl = count.impl();
  Registration registration(impl, stream);
  Connection& conn = registration.conn();
  beast::flat_buffer buffer;
  bool first = true;
  while (!conn.stop_requested) {
    if (buffer.size() == 0) {
      // A new connection must start its request within read_timeout; a kept-alive
      // one may rest for idle_timeout.
      stream.expires_after(first ? impl.options.read_timeout : impl.options.idle_timeout);
      conn.idle = true;
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kFirstReadBytes), kTuple);
      conn.idle = false;
      if (ec) break;
      buffer.commit(n);
    }
    first = false;
    if (!co_await ServeOne(impl, stream, buffer, conn, over_limit)) break;
  }
  // The peer may already be gone, so the error is of no interest.
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

void LogSessionError(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    log::Warn("http: connection failed", {{"error", ex.what()}});
  } catch (...) {
    log::Warn("http: connection failed", {{"error", "unknown exception"}});
  }
}

net::awaitable<void> AcceptLoop(std::shared_ptr<ServerState> impl) {
  for (;;) {
    auto [ec, socket] = co_await impl->acceptor.async_accept(net::make_strand(impl->ioc), kTuple);
    if (!impl->acceptor.is_open() || ec == net::error::operation_aborted) co_return;
    if (ec) {
      // Typically out of file descriptors: retrying at once would spin.
      log::Warn("http: accept failed", {{"error", ec.message()}});
      auto executor = co_await net::this_coro::executor;
      net::steady_timer timer(executor);
      timer.expires_after(kAcceptRetryDelay);
      co_await timer.async_wait(kTuple);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    ConnectionCount count(impl);
    bool over_limit = impl->active.load(std::memory_order_relaxed) > impl->options.max_connections;
    auto executor = socket.get_executor();
    net::co_spawn(executor,
                  RunSession(std::move(count), beast::tcp_stream(std::move(socket)), over_limit),
                  LogSessionError);
  }
}

}  // namespace

std::shared_ptr<Connection> ServerState::Register(net::any_io_executor executor,
                                                  beast::tcp_stream* stream) {
  auto c = std::make_shared<Connection>();
  c->executor = std::move(executor);
  c->stream = stream;
  std::lock_guard<std::mutex> lock(mu);
  // Accepted just before Stop closed the listener: close without serving.
  c->stop_requested = stopping;
  connections.push_back(c);
  c->self = std::prev(connections.end());
  return c;
}

void ServerState::Unregister(const std::shared_ptr<Connection>& c) {
  std::lock_guard<std::mutex> lock(mu);
  connections.erase(c->self);
}

void ServerState::StopOnStrand() {
  beast::error_code ignored;
  acceptor.close(ignored);
  std::vector<std::shared_ptr<Connection>> snapshot;
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
    snapshot.assign(connections.begin(), connections.end());
  }
  // Posted after the listener is closed, so anyone who sees a connection close
  // also finds the port closed.
  for (std::shared_ptr<Connection>& c : snapshot) {
    net::post(c->executor, [c] {
      c->stop_requested = true;
      if (c->idle && c->stream != nullptr) c->stream->cancel();
    });
  }
}

HttpServer::HttpServer(net::io_context& ioc, const SnapshotTable& table, Metrics& metrics,
                       HttpServerOptions options)
    : impl_(std::make_shared<Impl>(ioc, table, metrics, std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

Result<void> HttpServer::Start() {
  if (impl_->started.exchange(true)) return Fail(Error::Internal("http: server already started"));
  const std::string& address = impl_->options.address;
  auto hp = ParseHostPort(address);
  if (!hp) return Fail(hp.error());
  beast::error_code ec;
  net::ip::address ip = hp->host.empty() ? net::ip::address(net::ip::address_v4::any())
                                         : net::ip::make_address(hp->host, ec);
  if (ec) {
    // Not a literal address: resolve the name (once, at startup).
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(hp->host, std::to_string(hp->port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return Fail(Error::Unavailable("http: cannot resolve " + address + ": " + ec.message()));
    }
    ip = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(ip, hp->port);
  tcp::acceptor& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor.close(ignored);
    return Fail(Error::Unavailable("http: cannot listen on " + address + ": " + ec.message()));
  }
  impl_->port.store(acceptor.local_endpoint().port(), std::memory_order_release);
  net::co_spawn(impl_->acceptor_strand, AcceptLoop(impl_), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::Error("http: accept loop failed", {{"error", ex.what()}});
    }
  });
  return {};
}

unsigned short HttpServer::port() const { return impl_->port.load(std::memory_order_acquire); }

void HttpServer::Stop() {
  net::post(impl_->acceptor_strand, [impl = impl_] { impl->StopOnStrand(); });
}

size_t HttpServer::active_connections() const {
  return impl_->active.load(std::memory_order_acquire);
}

}  // namespace kedastral::io
