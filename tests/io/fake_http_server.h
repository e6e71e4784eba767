#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <optional>
#include <stdexcept>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace kedastral::testing {

struct FakeRequest {
  std::string target;                          // as received, percent-encoded
  std::map<std::string, std::string> headers;  // names lower-cased
};

struct FakeResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds delay{0};  // wait this long before answering
  bool close = false;                  // close the connection after answering
  bool hang_up = false;                // close without answering
  bool drop_after = false;             // answer as keep-alive, then close anyway
};

// A small HTTP/1.1 server on 127.0.0.1 (free port) for tests: answers each request
// with `handler`, records every request, supports keep-alive. Runs on its own thread.
class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;
  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();  // stops and joins

  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<FakeRequest> requests() const;
  size_t connections() const;  // accepted so far
  void SetHandler(Handler handler);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  unsigned short port_ = 0;
};

// Runs `aw` on `ioc` until it completes (bounded by a watchdog) and returns its value.
template <class T>
T RunToCompletion(boost::asio::io_context& ioc, boost::asio::awaitable<T> aw,
                  std::chrono::seconds watchdog = std::chrono::seconds(30)) {
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(ioc, std::move(aw), [&](std::exception_ptr e, T v) {
    error = e;
    if (!e) out.emplace(std::move(v));
  });
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + watchdog;
  while (!out && !error && std::chrono::steady_clock::now() < deadline) ioc.run_one_for(watchdog);
  if (error) std::rethrow_exception(error);
  if (!out) throw std::runtime_error("coroutine did not complete before the watchdog");
  return std::move(*out);
}

}  // namespace kedastral::testing
