#include "io/http_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
// Boost.URL is compiled here, once, for the whole io library.
#include <boost/url/src.hpp>
#include <chrono>
#include <deque>
#include <optional>
#include <variant>

namespace kedastral::io {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using namespace net::experimental::awaitable_operators;

// Expected outcomes (refused, reset, timeout) come back as values, never as exceptions.
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr size_t kMaxHeaderBytes = 64 * 1024;

tl::unexpected<HttpError> Failed(HttpFailure kind, std::string message) {
  return tl::unexpected<HttpError>(HttpError{kind, std::move(message)});
}

// One keep-alive connection, plain or TLS.
struct Connection {
  std::optional<beast::tcp_stream> tcp;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
};

using ConnectionPtr = std::unique_ptr<Connection>;

// Maps a failed operation to the kind of failure; a deadline shows as beast's timeout.
HttpError Classify(const boost::system::error_code& ec, std::string_view during) {
  std::string message = std::string(during) + ": " + ec.message();
  if (ec == beast::error::timeout) return {HttpFailure::kTimeout, std::move(message)};
  if (ec == http::error::body_limit) return {HttpFailure::kTooLarge, std::move(message)};
  // The peer hanging up mid-answer is a broken connection; any other HTTP error is garbage.
  const bool hung_up = ec == http::error::end_of_stream || ec == http::error::partial_message;
  if (ec.category() == http::make_error_code(http::error::end_of_stream).category() && !hung_up)
    return {HttpFailure::kProtocol, std::move(message)};
  return {HttpFailure::kConnect, std::move(message)};
}

}  // namespace

struct HttpClient::Impl {
  Impl(net::io_context& ioc, HttpClientOptions opts) : ioc(ioc), options(std::move(opts)) {}

  net::io_context& ioc;
  HttpClientOptions options;
  bool https = false;
  std::string host;
  std::string port;
  std::string host_header;
  std::string prefix;
  std::optional<ssl::context> tls_context;
  std::deque<ConnectionPtr> idle;  // most recently used at the back
  size_t opened = 0;

  net::awaitable<tl::expected<ConnectionPtr, HttpError>> Connect(SteadyClock::time_point deadline);
  template <class Stream>
  net::awaitable<tl::expected<HttpClientResponse, HttpError>> Exchange(
      Stream& stream, beast::flat_buffer& buffer, const http::request<http::empty_body>& req,
      SteadyClock::time_point deadline, bool* got_some, bool* keep_alive);
};

net::awaitable<tl::expected<ConnectionPtr, HttpError>> HttpClient::Impl::Connect(
    SteadyClock::time_point deadline) {
  auto executor = co_await net::this_coro::executor;
  // The resolver has no deadline of its own: race it against a timer.
  tcp::resolver resolver(executor);
  net::steady_timer timer(executor, deadline);
  auto raced = co_await (resolver.async_resolve(host, port, kTuple) || timer.async_wait(kTuple));
  if (raced.index() == 1) co_return Failed(HttpFailure::kTimeout, "resolving " + host + ": timed out");
  auto [rec, endpoints] = std::get<0>(raced);
  if (rec) co_return Failed(HttpFailure::kConnect, "resolving " + host + ": " + rec.message());

  auto conn = std::make_unique<Connection>();
  if (https) {
    conn->tls.emplace(executor, *tls_context);
  } else {
    conn->tcp.emplace(executor);
  }
  beast::tcp_stream& lowest = conn->lowest();
  lowest.expires_at(deadline);
  auto [cec, ep] = co_await lowest.async_connect(endpoints, kTuple);
  if (cec) co_return tl::unexpected(Classify(cec, "connecting to " + host + ":" + port));
  lowest.socket().set_option(tcp::no_delay(true));
  if (https) {
    // SNI, and the certificate must name the host unless verification is off.
    if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), host.c_str()))
      co_return Failed(HttpFailure::kConnect, "TLS: cannot set SNI for " + host);
    if (!options.insecure_skip_verify) conn->tls->set_verify_callback(ssl::host_name_verification(host));
    auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kTuple);
    if (hec) co_return tl::unexpected(Classify(hec, "TLS handshake with " + host));
  }
  ++opened;
  co_return conn;
}

template <class Stream>
net::awaitable<tl::expected<HttpClientResponse, HttpError>> HttpClient::Impl::Exchange(
    Stream& stream, beast::flat_buffer& buffer, const http::request<http::empty_body>& req,
    SteadyClock::time_point deadline, bool* got_some, bool* keep_alive) {
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
  if (wec) co_return tl::unexpected(Classify(wec, "sending the request"));
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(options.max_response_bytes);
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kTuple);
  *got_some = parser.got_some();
  if (rec) co_return tl::unexpected(Classify(rec, "reading the answer"));
  http::response<http::string_body> res = parser.release();
  *keep_alive = res.keep_alive();
  HttpClientResponse out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  out.body = std::move(res.body());
  co_return out;
}

HttpClient::HttpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(net::io_context& ioc,
                                                       HttpClientOptions options) {
  auto impl = std::make_shared<Impl>(ioc, std::move(options));
  const HttpClientOptions& o = impl->options;
  auto parsed = boost::urls::parse_uri(o.base_url);
  if (!parsed) return Fail(Error::InvalidArgument("invalid url \"" + o.base_url + "\""));
  const std::string scheme(parsed->scheme());
  if (scheme != "http" && scheme != "https")
    return Fail(Error::InvalidArgument("url \"" + o.base_url + "\" must be http or https"));
  impl->https = scheme == "https";
  impl->host = std::string(parsed->encoded_host());
  if (impl->host.size() > 2 && impl->host.front() == '[') impl->host = impl->host.substr(1, impl->host.size() - 2);
  if (impl->host.empty()) return Fail(Error::InvalidArgument("url \"" + o.base_url + "\" has no host"));
  impl->port = parsed->has_port() ? std::string(parsed->port()) : (impl->https ? "443" : "80");
  impl->host_header = std::string(parsed->encoded_host_and_port());
  impl->prefix = std::string(parsed->encoded_path());
  while (!impl->prefix.empty() && impl->prefix.back() == '/') impl->prefix.pop_back();

  if (impl->https) {
    impl->tls_context.emplace(ssl::context::tls_client);
    ssl::context& ctx = *impl->tls_context;
    boost::system::error_code ec;
    if (o.insecure_skip_verify) {
      ctx.set_verify_mode(ssl::verify_none);
    } else {
      ctx.set_verify_mode(ssl::verify_peer);
      if (o.ca_file.empty()) {
        ctx.set_default_verify_paths(ec);
      } else {
        ctx.load_verify_file(o.ca_file, ec);
      }
      if (ec) return Fail(Error::InvalidArgument("caFile " + o.ca_file + ": " + ec.message()));
    }
    if (!o.cert_file.empty()) {
      ctx.use_certificate_chain_file(o.cert_file, ec);
      if (ec) return Fail(Error::InvalidArgument("certFile " + o.cert_file + ": " + ec.message()));
      ctx.use_private_key_file(o.key_file, ssl::context::pem, ec);
      if (ec) return Fail(Error::InvalidArgument("keyFile " + o.key_file + ": " + ec.message()));
    }
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

net::awaitable<tl::expected<HttpClientResponse, HttpError>> HttpClient::Get(
    std::string target, std::vector<std::pair<std::string, std::string>> headers) {
  // The frame holds the state, so destroying the client while this runs is safe.
  std::shared_ptr<Impl> impl = impl_;
  const auto deadline = SteadyClock::now() + impl->options.timeout;

  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, impl->host_header);
  req.set(http::field::user_agent, "kedastral");
  req.set(http::field::accept, "application/json");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(true);

  // At most two tries: a reused connection may have been closed by the server while idle.
  for (int attempt = 0; attempt < 2; ++attempt) {
    ConnectionPtr conn;
    const bool reused = !impl->idle.empty();
    if (reused) {
      conn = std::move(impl->idle.back());
      impl->idle.pop_back();
    } else {
      auto opened = co_await impl->Connect(deadline);
      if (!opened) co_return tl::unexpected(opened.error());
      conn = std::move(*opened);
    }
    bool got_some = false;
    bool keep_alive = false;
    // Two statements, not `?:`: GCC 12 miscompiles co_await inside a conditional operator.
    tl::expected<HttpClientResponse, HttpError> res;
    if (conn->tls) {
      res = co_await impl->Exchange(*conn->tls, conn->buffer, req, deadline, &got_some, &keep_alive);
    } else {
      res = co_await impl->Exchange(*conn->tcp, conn->buffer, req, deadline, &got_some, &keep_alive);
    }
    if (res) {
      if (keep_alive && impl->idle.size() < impl->options.max_idle_connections) {
        conn->lowest().expires_never();
        impl->idle.push_back(std::move(conn));
      }
      co_return res;
    }
    const bool stale = reused && !got_some && res.error().kind == HttpFailure::kConnect;
    if (!stale) co_return res;
  }
  co_return Failed(HttpFailure::kConnect, "the server closed two connections in a row");
}

const std::string& HttpClient::path_prefix() const { return impl_->prefix; }
size_t HttpClient::connections_opened() const { return impl_->opened; }
size_t HttpClient::idle_connections() const { return impl_->idle.size(); }

}  // namespace kedastral::io
