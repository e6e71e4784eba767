#include "io/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/config.h"
#include "core/snapshot_table.h"
#include "io/metrics.h"

namespace kedastral::io {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// Upper bound on any single wait in these tests; reaching it is a failure.
constexpr auto kWatchdog = 5s;

using Response = http::response<http::string_body>;

// A client on its own io_context, driven from the test thread with run_for as a
// watchdog, so a misbehaving server fails a test instead of hanging it.
class TestClient {
 public:
  explicit TestClient(unsigned short port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::address_v4::loopback(), port));
  }

  void Send(const std::string& raw) { net::write(socket_, net::buffer(raw)); }

  // Reads one response; nullopt when the connection closed first.
  std::optional<Response> Read(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);  // a HEAD response has Content-Length but no body
    parser.body_limit(16 * 1024 * 1024);
    std::optional<beast::error_code> result;
    http::async_read(socket_, buffer_, parser, [&](beast::error_code ec, size_t) { result = ec; });
    if (!RunUntil(result)) return std::nullopt;
    if (*result) return std::nullopt;
    return parser.release();
  }

  std::optional<Response> Request(http::verb verb, const std::string& target) {
    http::request<http::empty_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(socket_, req);
    return Read(verb == http::verb::head);
  }

  std::optional<Response> Get(const std::string& target) {
    return Request(http::verb::get, target);
  }

  // Waits until the server closes the connection (any read error counts); false if
  // it is still open when the watchdog fires or sends data instead.
  bool WaitForClose() {
    std::optional<beast::error_code> result;
    socket_.async_read_some(net::buffer(scratch_),
                            [&](beast::error_code ec, size_t) { result = ec; });
    if (!RunUntil(result)) return false;
    return result->failed();
  }

 private:
  // Runs the client's io_context until `done` is set or the watchdog fires; in the
  // latter case cancels the operation and reports a failure.
  template <class T>
  bool RunUntil(std::optional<T>& done) {
    ioc_.restart();
    ioc_.run_for(kWatchdog);
    if (done) return true;
    ADD_FAILURE() << "client operation did not finish within the watchdog";
    socket_.cancel();
    ioc_.restart();
    ioc_.run();
    return false;
  }

  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  char scratch_[1024];
};

// Polls `condition` until true or the watchdog passes (for state the server updates
// on its own thread right after the event a test can observe).
bool Eventually(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + kWatchdog;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() : metrics_(table_), work_(net::make_work_guard(ioc_)) {
    runner_ = std::thread([this] { ioc_.run(); });
  }

  ~HttpServerTest() override {
    if (server_) {
      server_->Stop();
      EXPECT_TRUE(Eventually([this] { return server_->active_connections() == 0; }));
    }
    work_.reset();
    ioc_.stop();
    runner_.join();
  }

  unsigned short Start(HttpServerOptions options = {}) {
    options.address = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(ioc_, table_, metrics_, options);
    auto started = server_->Start();
    EXPECT_TRUE(started.has_value()) << started.error().message;
    return server_->port();
  }

  SnapshotTable table_;
  Metrics metrics_;
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread runner_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, StartBindsAnEphemeralPort) { EXPECT_NE(Start(), 0); }

TEST_F(HttpServerTest, StartFailsWhenThePortIsTaken) {
  unsigned short port = Start();
  HttpServerOptions options;
  options.address = "127.0.0.1:" + std::to_string(port);
  HttpServer second(ioc_, table_, metrics_, options);

  auto started = second.Start();

  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(started.error().message.find(options.address), std::string::npos);
}

TEST_F(HttpServerTest, StartRejectsAMalformedAddress) {
  HttpServerOptions options;
  options.address = "no-port-here";
  HttpServer server(ioc_, table_, metrics_, options);

  auto started = server.Start();

  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(HttpServerTest, ServesTwoRequestsOnOneKeepAliveConnection) {
  TestClient client(Start());

  auto first = client.Get("/healthz");
  auto second = client.Get("/readyz");

  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->result_int(), 200);
  EXPECT_EQ(first->body(), "ok");
  EXPECT_TRUE(first->keep_alive());
  EXPECT_EQ(second->result_int(), 200);
  EXPECT_EQ(server_->active_connections(), 1u);
}

TEST_F(HttpServerTest, HeadKeepsTheGetContentLengthAndTheConnectionUsable) {
  TestClient client(Start());
  auto get = client.Get("/forecast");

  auto head = client.Request(http::verb::head, "/forecast");
  auto after = client.Get("/healthz");

  ASSERT_TRUE(get && head && after);
  EXPECT_EQ(head->result_int(), 200);
  EXPECT_EQ((*head)[http::field::content_length], std::to_string(get->body().size()));
  EXPECT_TRUE(head->body().empty());
  EXPECT_EQ(after->body(), "ok");
}

TEST_F(HttpServerTest, MethodNotAllowedCarriesAllow) {
  TestClient client(Start());

  auto r = client.Request(http::verb::post, "/forecast");

  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 405);
  EXPECT_EQ((*r)[http::field::allow], "GET, HEAD");
}

TEST_F(HttpServerTest, RecordsEachRequestUnderItsRoute) {
  TestClient client(Start());

  client.Get("/forecast/current?workload=nope");
  // The server records a request after writing its response and before reading
  // the next one, so this second answer orders the first one's record before us.
  client.Get("/healthz");

  EXPECT_NE(metrics_.Serialize(Now()).find(
                R"(kedastral_http_requests_total{code="404",route="/forecast/current"} 1)"),
            std::string::npos);
}

TEST_F(HttpServerTest, OversizedHeaderIsAnswered431AndClosed) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  TestClient client(Start(options));

  client.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  auto r = client.Read();

  ASSERT_TRUE(r);  // the server drains the rest so the answer is not lost to a reset
  EXPECT_EQ(r->result_int(), 431);
  EXPECT_FALSE(r->keep_alive());
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 16;
  TestClient client(Start(options));

  client.Send("POST /forecast HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" +
              std::string(100, 'b'));
  auto r = client.Read();

  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 413);
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  TestClient client(Start());

  client.Send("NOT A REQUEST\r\n\r\n");
  auto r = client.Read();

  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 400);
  EXPECT_FALSE(r->keep_alive());
}

TEST_F(HttpServerTest, HalfARequestIsDisconnectedAfterTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = 200ms;
  TestClient client(Start(options));

  client.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  auto sent = std::chrono::steady_clock::now();
  bool closed = client.WaitForClose();
  auto waited = std::chrono::steady_clock::now() - sent;

  EXPECT_TRUE(closed);
  EXPECT_GE(waited, 180ms);  // not before the deadline (minus timer granularity)
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout = 200ms;
  TestClient client(Start(options));
  ASSERT_TRUE(client.Get("/healthz"));

  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitGet503AndAreClosed) {
  HttpServerOptions options;
  options.max_connections = 1;
  unsigned short port = Start(options);
  TestClient first(port);
  ASSERT_TRUE(first.Get("/healthz"));  // now surely accepted and counted

  TestClient second(port);
  auto r = second.Get("/healthz");

  ASSERT_TRUE(r);
  EXPECT_EQ(r->result_int(), 503);
  EXPECT_FALSE(r->keep_alive());
  EXPECT_TRUE(second.WaitForClose());
  auto again = first.Get("/healthz");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result_int(), 200);
}

TEST_F(HttpServerTest, StopClosesIdleConnectionsAndTheListener) {
  unsigned short port = Start();
  TestClient client(port);
  ASSERT_TRUE(client.Get("/healthz"));

  server_->Stop();

  EXPECT_TRUE(client.WaitForClose());
  net::io_context ioc;
  tcp::socket probe(ioc);
  beast::error_code ec;
  probe.connect(tcp::endpoint(net::ip::address_v4::loopback(), port), ec);
  EXPECT_EQ(ec, net::error::connection_refused);
  EXPECT_TRUE(Eventually([this] { return server_->active_connections() == 0; }));
}

}  // namespace
}  // namespace kedastral::io
