#include "io/http_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <thread>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "fake_http_server.h"

namespace kedastral::io {
namespace {

using testing::FakeHttpServer;
using testing::FakeRequest;
using testing::FakeResponse;
using testing::RunToCompletion;
using Headers = std::vector<std::pair<std::string, std::string>>;
using GetResult = tl::expected<HttpClientResponse, HttpError>;

class HttpClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<HttpClient> Client(const std::string& url, Duration timeout = Duration(5000),
                                     size_t max_bytes = 1 << 20) {
    HttpClientOptions o;
    o.base_url = url;
    o.timeout = timeout;
    o.max_response_bytes = max_bytes;
    auto c = HttpClient::Create(ioc_, o);
    EXPECT_TRUE(c) << c.error().message;
    return std::move(*c);
  }
  GetResult Get(HttpClient& c, const std::string& target, Headers h = {}) {
    return RunToCompletion(ioc_, c.Get(target, std::move(h)));
  }
  boost::asio::io_context ioc_{1};
};

FakeResponse Ok(const FakeRequest&) { return FakeResponse{.body = "hello"}; }

TEST_F(HttpClientTest, GetReturnsStatusAndBody) {
  FakeHttpServer server([](const FakeRequest&) { return FakeResponse{.status = 418, .body = "teapot"}; });
  auto client = Client(server.url());
  GetResult r = Get(*client, "/x");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 418);
  EXPECT_EQ(r->body, "teapot");
  EXPECT_EQ(r->content_type, "application/json");
}

TEST_F(HttpClientTest, ReusesOneKeepAliveConnection) {
  FakeHttpServer server(Ok);
  auto client = Client(server.url());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Get(*client, "/x"));
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(client->connections_opened(), 1u);
  EXPECT_EQ(client->idle_connections(), 1u);
}

TEST_F(HttpClientTest, SendsHostAndExtraHeaders) {
  FakeHttpServer server(Ok);
  auto client = Client(server.url());
  ASSERT_TRUE(Get(*client, "/x", {{"X-Scope-OrgID", "team-a"}}));
  const FakeRequest req = server.requests().at(0);
  EXPECT_EQ(req.headers.at("x-scope-orgid"), "team-a");
  EXPECT_EQ(req.headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST_F(HttpClientTest, PathPrefixComesFromTheUrlWithoutTrailingSlash) {
  auto client = Client("http://vmselect:8481/select/0/prometheus/");
  EXPECT_EQ(client->path_prefix(), "/select/0/prometheus");
  EXPECT_EQ(Client("http://prometheus:9090")->path_prefix(), "");
}

TEST_F(HttpClientTest, SlowServerTimesOut) {
  FakeHttpServer server([](const FakeRequest&) {
    return FakeResponse{.body = "late", .delay = std::chrono::milliseconds(3000)};
  });
  auto client = Client(server.url(), Duration(200));
  const auto t0 = std::chrono::steady_clock::now();
  GetResult r = Get(*client, "/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, HttpFailure::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2000));
}

TEST_F(HttpClientTest, BodyOverTheLimitFails) {
  FakeHttpServer server([](const FakeRequest&) { return FakeResponse{.body = std::string(5000, 'x')}; });
  auto client = Client(server.url(), Duration(5000), 4096);
  GetResult r = Get(*client, "/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, HttpFailure::kTooLarge);
  EXPECT_EQ(client->idle_connections(), 0u);
}

TEST_F(HttpClientTest, RefusedConnectionIsAConnectError) {
  unsigned short port = 0;
  {
    boost::asio::ip::tcp::acceptor a(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  auto client = Client("http://127.0.0.1:" + std::to_string(port));
  GetResult r = Get(*client, "/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, HttpFailure::kConnect);
}

TEST_F(HttpClientTest, ServerHangingUpWithoutAnswerIsAConnectError) {
  FakeHttpServer server([](const FakeRequest&) { return FakeResponse{.hang_up = true}; });
  auto client = Client(server.url());
  GetResult r = Get(*client, "/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, HttpFailure::kConnect);
}

TEST_F(HttpClientTest, ConnectionClosedWhileIdleIsReplacedTransparently) {
  FakeHttpServer server([](const FakeRequest&) { return FakeResponse{.body = "ok", .drop_after = true}; });
  auto client = Client(server.url());
  ASSERT_TRUE(Get(*client, "/1"));
  GetResult r = Get(*client, "/2");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(server.connections(), 2u);
}

TEST_F(HttpClientTest, GarbageAnswerIsAProtocolError) {
  // A server speaking something else: bytes that are not an HTTP status line.
  boost::asio::io_context server_ioc;
  boost::asio::ip::tcp::acceptor a(server_ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::thread t([&] {
    auto s = a.accept();
    char buf[1024];
    boost::system::error_code ec;
    s.read_some(boost::asio::buffer(buf), ec);
    boost::asio::write(s, boost::asio::buffer(std::string("SSH-2.0-OpenSSH\r\n\r\n")), ec);
  });
  auto client = Client("http://127.0.0.1:" + std::to_string(a.local_endpoint().port()));
  GetResult r = Get(*client, "/x");
  t.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, HttpFailure::kProtocol) << r.error().message;
}

TEST_F(HttpClientTest, RejectsAUrlThatIsNotHttp) {
  HttpClientOptions o;
  o.base_url = "ftp://x";
  EXPECT_FALSE(HttpClient::Create(ioc_, o));
}

TEST_F(HttpClientTest, RejectsAMissingCaFile) {
  HttpClientOptions o;
  o.base_url = "https://prometheus:9090";
  o.ca_file = "/nonexistent/ca.crt";
  auto c = HttpClient::Create(ioc_, o);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("caFile"), std::string::npos);
}

}  // namespace
}  // namespace kedastral::io
