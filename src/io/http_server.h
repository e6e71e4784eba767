#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/time.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace kedastral {
class SnapshotTable;
}  // namespace kedastral

namespace kedastral::io {

class Metrics;

struct HttpServerOptions {
  // Where to listen, "host:port" or "[v6]:port"; port 0 picks a free port (see port()).
  std::string address = "0.0.0.0:8081";
  // A request whose header is larger is answered 431 and the connection closed.
  size_t max_header_bytes = 16 * 1024;
  // A request whose body is larger is answered 413 and the connection closed.
  size_t max_body_bytes = 64 * 1024;
  // Longest time to receive one whole request once it has started (and for a new
  // connection to start one), and to write one response. Slow clients are dropped.
  Duration read_timeout{10000};
  // How long a keep-alive connection may sit idle between requests.
  Duration idle_timeout{60000};
  // Connections over this many get a 503 to their first request and are closed.
  size_t max_connections = 1024;
};

// The HTTP/1.1 server for the API, /metrics and the health checks (routes in
// http_handlers.h). One coroutine per connection, each on its own strand of the
// io_context, with keep-alive and per-read deadlines.
//
// Lifecycle: construct, Start() (binds synchronously, then serves on the io_context),
// Stop() (stops accepting, closes idle connections; a request being read or answered
// still gets its response, then its connection closes), wait until
// active_connections() == 0 (bounded by read_timeout), destroy. The io_context, table
// and metrics must outlive the server; connection coroutines keep the server's
// internals alive, so destroying the server while they still run is safe.
//
// @par Thread safety
// Stop(), port() and active_connections() may be called from any thread; Start() from
// one thread, before the io_context runs or while it runs.
class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, const SnapshotTable& table, Metrics& metrics,
             HttpServerOptions options);
  // Calls Stop().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens on options.address, then starts accepting on the io_context.
  // Fails with kInvalidArgument for a malformed address and kUnavailable (naming the
  // address) when it cannot be bound. Call once.
  Result<void> Start();

  // The bound port (useful with port 0); 0 before a successful Start().
  unsigned short port() const;

  // Stops accepting and winds the connections down as described above. Returns at
  // once (the work is posted to the io_context); idempotent.
  void Stop();

  // Connections accepted and not yet closed.
  size_t active_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kedastral::io
