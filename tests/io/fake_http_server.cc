#include "fake_http_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace kedastral::testing {
namespace {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
}  // namespace

struct FakeHttpServer::Impl {
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  mutable std::mutex mu;
  Handler handler;                    // guarded by mu
  std::vector<FakeRequest> requests;  // guarded by mu
  size_t connections = 0;             // guarded by mu

  net::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(stream, buffer, req, kTuple);
      if (ec) co_return;
      FakeRequest fr;
      fr.target = std::string(req.target());
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        fr.headers[name] = std::string(f.value());
      }
      Handler h;
      {
        std::lock_guard lock(mu);
        requests.push_back(fr);
        h = handler;
      }
      FakeResponse r = h(fr);
      if (r.delay.count() > 0) {
        net::steady_timer timer(stream.get_executor(), r.delay);
        co_await timer.async_wait(kTuple);
      }
      if (r.hang_up) co_return;
      http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
      res.set(http::field::content_type, r.content_type);
      res.body() = r.body;
      res.keep_alive(!r.close && req.keep_alive());
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
      if (wec || !res.keep_alive() || r.drop_after) co_return;
    }
  }

  net::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      {
        std::lock_guard lock(mu);
        ++connections;
      }
      net::co_spawn(ioc, Session(std::move(socket)), net::detached);
    }
  }
};

FakeHttpServer::FakeHttpServer(Handler handler) : impl_(std::make_shared<Impl>()) {
  impl_->handler = std::move(handler);
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  net::co_spawn(impl_->ioc, impl_->Accept(), net::detached);
  impl_->thread = std::thread([impl = impl_] { impl->ioc.run(); });
}

FakeHttpServer::~FakeHttpServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

size_t FakeHttpServer::connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}

void FakeHttpServer::SetHandler(Handler handler) {
  std::lock_guard lock(impl_->mu);
  impl_->handler = std::move(handler);
}

}  // namespace kedastral::testing
