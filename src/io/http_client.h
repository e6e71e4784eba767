#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <tl/expected.hpp>

#include "core/result.h"
#include "core/time.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace kedastral::io {

struct HttpClientOptions {
  // Where the server is: http[s]://host[:port][/prefix]. The prefix is not added by
  // Get (callers build whole targets); see HttpClient::path_prefix().
  std::string base_url;
  // Deadline for one Get, from taking a connection to the last byte of the answer.
  Duration timeout{10000};
  // An answer whose body is larger fails with kTooLarge (early when Content-Length says so).
  size_t max_response_bytes = 64 << 20;
  // Keep-alive connections kept open between requests; more may be open while busy.
  size_t max_idle_connections = 8;
  // https only: CA bundle to verify the server (empty: the system's), client
  // certificate and key (both or neither), and no verification at all.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure_skip_verify = false;
};

struct HttpClientResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

// Why a Get produced no HTTP answer.
enum class HttpFailure {
  kConnect,   // resolving, connecting, TLS handshake, or the connection broke
  kTimeout,   // options.timeout passed
  kTooLarge,  // the body is over options.max_response_bytes
  kProtocol,  // not a valid HTTP/1.1 answer
};

struct HttpError {
  HttpFailure kind = HttpFailure::kConnect;
  std::string message;
};

// One source's HTTP/1.1 client (Boost.Beast): a pool of keep-alive connections to
// one server, reused by every request. Non-blocking; everything runs on the
// io_context given at creation.
//
// A request that fails on a reused connection before any answer arrived (the server
// closed it while idle) is sent once more on a fresh connection.
//
// @par Thread safety
// Use from the io_context's single thread. The client may be destroyed while a Get
// is suspended: that Get still completes (its connection is then closed).
class HttpClient {
 public:
  // Fails with kInvalidArgument for a URL that is not http(s)://host..., or TLS
  // files that cannot be loaded (naming the file).
  static Result<std::unique_ptr<HttpClient>> Create(boost::asio::io_context& ioc,
                                                    HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET `target` (a percent-encoded path and query starting with '/') with extra
  // `headers`. Any HTTP status is a response; only the failures above are errors.
  boost::asio::awaitable<tl::expected<HttpClientResponse, HttpError>> Get(
      std::string target, std::vector<std::pair<std::string, std::string>> headers);

  // The base URL's path without a trailing '/' ("" for none), e.g. "/select/0/prometheus".
  const std::string& path_prefix() const;
  // Connections opened so far (a measure of reuse), and idle ones now held.
  size_t connections_opened() const;
  size_t idle_connections() const;

 private:
  struct Impl;
  explicit HttpClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace kedastral::io
