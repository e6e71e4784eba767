#include "io/redis_client.h"

#include <cstdlib>
#include <fstream>

#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include "redis_server.h"
#include "test_util.h"

namespace kedastral::io {
namespace {
using namespace std::chrono_literals;
using testing::Await;
using testing::RedisServer;
using testing::RunUntil;

RedisOptions Local(unsigned short port) {
  RedisOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.command_timeout = 300ms;
  o.connect_timeout = 300ms;
  o.backoff_initial = 20ms;
  o.backoff_max = 200ms;
  return o;
}

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  }
  boost::asio::io_context ioc_;
};

TEST_F(RedisClientTest, SetGetAndNilRoundTrip) {
  RedisServer server;
  ASSERT_TRUE(server.Start());
  RedisClient client(ioc_, Local(server.port()));
  const std::string binary("a\0b", 3);
  auto set = Await(ioc_, client.Command("SET", "k", binary));
  ASSERT_TRUE(set && *set) << (set ? set->error().message : "no completion");
  EXPECT_EQ((*set)->str, "OK");
  auto get = Await(ioc_, client.Command("GET", "k"));
  ASSERT_TRUE(get && *get);
  EXPECT_EQ((*get)->str, binary);
  auto missing = Await(ioc_, client.Command("GET", "absent"));
  ASSERT_TRUE(missing && *missing);
  EXPECT_TRUE((*missing)->is_nil());
  auto incr = Await(ioc_, client.Command("INCR", "n"));
  ASSERT_TRUE(incr && *incr);
  EXPECT_EQ((*incr)->integer, 1);
  auto mget = Await(ioc_, client.Command("MGET", "k", "absent"));
  ASSERT_TRUE(mget && *mget);
  ASSERT_EQ((*mget)->elements.size(), 2u);
  EXPECT_TRUE((*mget)->elements[1].is_nil());
}

TEST_F(RedisClientTest, ErrorReplyIsAnError) {
  RedisServer server;
  ASSERT_TRUE(server.Start());
  RedisClient client(ioc_, Local(server.port()));
  ASSERT_TRUE(*Await(ioc_, client.Command("SET", "k", "text")));
  auto r = Await(ioc_, client.Command("INCR", "k"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_NE(r->error().message.find("not an integer"), std::string::npos);
}

TEST_F(RedisClientTest, PausedServerTimesOutWithoutBlockingTheLoop) {
  RedisServer server;
  ASSERT_TRUE(server.Start());
  RedisClient client(ioc_, Local(server.port()));
  ASSERT_TRUE(*Await(ioc_, client.Command("PING")));
  server.Pause();
  int ticks = 0;
  boost::asio::steady_timer timer(ioc_);
  std::function<void()> tick = [&] {
    timer.expires_after(10ms);
    timer.async_wait([&](boost::system::error_code ec) { if (!ec) { ++ticks; tick(); } });
  };
  tick();
  const auto start = std::chrono::steady_clock::now();
  auto r = Await(ioc_, client.Command("GET", "k"), 2000ms);
  const auto took = std::chrono::steady_clock::now() - start;
  timer.cancel();
  server.Resume();
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().code, ErrorCode::kTimeout);
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 1000ms);
  EXPECT_GE(ticks, 15);  // the loop kept running timers during the wait
}

TEST_F(RedisClientTest, ResumedServerIsUsedAgainAfterATimeout) {
  RedisServer server;
  ASSERT_TRUE(server.Start());
  RedisClient client(ioc_, Local(server.port()));
  ASSERT_TRUE(*Await(ioc_, client.Command("PING")));
  server.Pause();
  ASSERT_FALSE(*Await(ioc_, client.Command("PING")));
  server.Resume();
  EXPECT_TRUE(RunUntil(ioc_, [&] {
    auto r = Await(ioc_, client.Command("PING"), 500ms);
    return r && r->has_value();
  }));
}

TEST_F(RedisClientTest, AbsentServerFailsFast) {
  RedisClient client(ioc_, Local(RedisServer::FreePort()));
  const auto start = std::chrono::steady_clock::now();
  auto r = Await(ioc_, client.Command("PING"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 400ms);
  EXPECT_FALSE(client.connected());
}

TEST_F(RedisClientTest, ReconnectsAfterServerRestart) {
  RedisServer server;
  ASSERT_TRUE(server.Start());
  RedisClient client(ioc_, Local(server.port()));
  ASSERT_TRUE(*Await(ioc_, client.Command("PING")));
  server.Stop();
  EXPECT_FALSE(*Await(ioc_, client.Command("PING")));
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(RunUntil(ioc_, [&] {
    auto r = Await(ioc_, client.Command("PING"), 500ms);
    return r && r->has_value();
  }));
  EXPECT_EQ(client.connects(), 2u);
}

TEST_F(RedisClientTest, AuthenticatesAndSelectsTheDatabase) {
  RedisServer server({"--requirepass", "s3cret-pw"});
  ASSERT_TRUE(server.Start());
  auto options = Local(server.port());
  options.password = "s3cret-pw";
  options.db = 3;
  RedisClient client(ioc_, options);
  ASSERT_TRUE(*Await(ioc_, client.Command("SET", "in3", "yes")));
  options.db = 0;
  RedisClient db0(ioc_, options);
  auto r = Await(ioc_, db0.Command("GET", "in3"));
  ASSERT_TRUE(r && *r);
  EXPECT_TRUE((*r)->is_nil());
}

TEST_F(RedisClientTest, WrongPasswordFailsWithoutRevealingIt) {
  RedisServer server({"--requirepass", "right-pw"});
  ASSERT_TRUE(server.Start());
  auto options = Local(server.port());
  options.password = "wrong-pw";
  RedisClient client(ioc_, options);
  auto r = Await(ioc_, client.Command("PING"));
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().message.find("wrong-pw"), std::string::npos);
  EXPECT_EQ(client.last_error().find("wrong-pw"), std::string::npos);
  EXPECT_NE(client.last_error().find("handshake"), std::string::npos);
}

TEST_F(RedisClientTest, SubscriberReceivesAndResubscribesAfterRestart) {
  RedisServer server;
  ASSERT_TRUE(server.Start());
  std::vector<std::string> got;
  RedisSubscriber sub(ioc_, Local(server.port()), {"chan"},
                      [&](std::string_view, std::string_view m) { got.emplace_back(m); });
  sub.Start();
  ASSERT_TRUE(RunUntil(ioc_, [&] { return sub.subscribed(); }));
  RedisClient client(ioc_, Local(server.port()));
  ASSERT_TRUE(*Await(ioc_, client.Command("PUBLISH", "chan", "one")));
  ASSERT_TRUE(RunUntil(ioc_, [&] { return got.size() == 1; }));

  server.Stop();
  ASSERT_TRUE(RunUntil(ioc_, [&] { return !sub.subscribed(); }));
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(RunUntil(ioc_, [&] { return sub.subscribed(); }));
  EXPECT_EQ(sub.subscriptions(), 2u);
  ASSERT_TRUE(RunUntil(ioc_, [&] {
    auto r = Await(ioc_, client.Command("PUBLISH", "chan", "two"), 500ms);
    return r && *r && (*r)->integer == 1;
  }));
  ASSERT_TRUE(RunUntil(ioc_, [&] { return got.size() == 2; }));
  EXPECT_EQ(got[1], "two");
}

TEST(RedisPasswordTest, ReadsFirstLineOfFileElseEnvironment) {
  const std::string path = ::testing::TempDir() + "/redis-pw";
  std::ofstream(path) << "from-file\n";
  auto from_file = LoadRedisPassword(path, "KEDASTRAL_TEST_REDIS_PW");
  ASSERT_TRUE(from_file);
  EXPECT_EQ(*from_file, "from-file");
  setenv("KEDASTRAL_TEST_REDIS_PW", "from-env", 1);
  auto from_env = LoadRedisPassword("", "KEDASTRAL_TEST_REDIS_PW");
  unsetenv("KEDASTRAL_TEST_REDIS_PW");
  ASSERT_TRUE(from_env);
  EXPECT_EQ(*from_env, "from-env");
  EXPECT_FALSE(LoadRedisPassword("/nonexistent/redis-pw"));
}

}  // namespace
}  // namespace kedastral::io
