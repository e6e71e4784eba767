#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/config.h"
#include "core/result.h"
#include "core/time.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace kedastral::io {

// One Redis reply, copied out of hiredis (which frees its own after the callback).
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;                   // kString, kStatus, kError
  long long integer = 0;             // kInteger
  std::vector<RedisReply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
};

// How to reach Redis and how patient to be with it.
struct RedisOptions {
  std::string host = "127.0.0.1";  // name or address; resolved asynchronously on each connect
  unsigned short port = 6379;
  std::string password;            // empty: no AUTH. Never logged nor put in an error message.
  int db = 0;                      // SELECTed after connecting when not 0
  Duration command_timeout{1000};  // per command, from the call (includes waiting for a connection)
  Duration connect_timeout{1000};  // resolve + TCP connect + AUTH/SELECT/PING
  Duration backoff_initial{100};   // first wait before reconnecting; doubles per failed attempt
  Duration backoff_max{5000};      // cap of the doubling
  double backoff_jitter = 0.2;     // each wait is scaled by a random factor in [1 - j, 1 + j]
  std::string name = "redis";      // names the connection in log lines
};

// Reads the Redis password: the first line of `password_file` when it is not empty,
// else the environment variable `env_var` when set, else "". Fails with kIo when the
// file cannot be read. The password is never logged.
Result<std::string> LoadRedisPassword(const std::string& password_file,
                                      const char* env_var = "KEDASTRAL_REDIS_PASSWORD");

// Options from the config's `redis` section (address, passwordFile or the environment
// variable KEDASTRAL_REDIS_PASSWORD, db). Timeouts stay at their defaults.
Result<RedisOptions> RedisOptionsFrom(const RedisSpec& spec);

// A Redis connection for commands, on the io_context (hiredis async API with an Asio
// adapter; neither appears here).
//
// Connects lazily on the first command (or Start()), then keeps itself connected:
// after a failure it reconnects with exponential backoff and jitter. Every command has
// a deadline (options.command_timeout): a dead, unreachable or paused Redis yields a
// kTimeout or kUnavailable error in bounded time and never blocks the loop. A command
// that times out on an open connection marks the connection broken: it is closed, its
// other pending commands fail with kUnavailable, and it reconnects. While reconnecting
// after a failure (backoff), commands fail at once with kUnavailable; while a connect
// is in progress they wait for it within their deadline.
//
// Redis error replies ("-ERR ...") are errors (kUnavailable, message from Redis);
// everything else, including nil, is a RedisReply.
//
// @par Thread safety
// Not thread-safe: construct, call and destroy it on the io_context's (single) thread.
// Completions are posted to the io_context, never run inside hiredis. Destroying the
// client (or Close()) fails pending commands with kUnavailable.
class RedisClient {
 public:
  RedisClient(boost::asio::io_context& ioc, RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command, e.g. `co_await client.Command("SET", key, value, "PX", "5000")`.
  // Each argument must convert to std::string (binary-safe).
  template <class... Args>
  boost::asio::awaitable<Result<RedisReply>> Command(Args&&... args) {
    std::vector<std::string> argv;
    argv.reserve(sizeof...(args));
    (argv.emplace_back(std::forward<Args>(args)), ...);
    return CommandArgv(std::move(argv));
  }
  boost::asio::awaitable<Result<RedisReply>> CommandArgv(std::vector<std::string> argv);

  // Callback form of CommandArgv; `done` runs later on the io_context, exactly once.
  using Callback = std::function<void(Result<RedisReply>)>;
  void Submit(std::vector<std::string> argv, Callback done);

  // Connects now rather than on the first command. Idempotent.
  void Start();
  // Closes the connection and stops reconnecting; pending commands fail. Idempotent.
  void Close();

  bool connected() const;          // the connection is up and ready for commands
  uint64_t connects() const;       // successful connections (handshakes) so far
  std::string last_error() const;  // why the last connection attempt or connection failed

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

// A second connection type for SUBSCRIBE (a subscribed Redis connection takes no other
// commands). Subscribes to `channels` whenever it (re)connects and calls `on_message`
// for every message, and `on_subscribed` after each successful (re)subscription
// (messages published while disconnected are lost: use it to re-read state).
//
// @par Thread safety
// As RedisClient: one thread, the io_context's. Callbacks are posted to the
// io_context, never run inside hiredis, and never after destruction.
class RedisSubscriber {
 public:
  using MessageHandler = std::function<void(std::string_view channel, std::string_view message)>;

  RedisSubscriber(boost::asio::io_context& ioc, RedisOptions options,
                  std::vector<std::string> channels, MessageHandler on_message,
                  std::function<void()> on_subscribed = {});
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  void Start();  // connects and subscribes; keeps doing so after failures. Idempotent.
  void Close();  // unsubscribes by closing; stops reconnecting. Idempotent.

  bool subscribed() const;        // every channel is confirmed on the current connection
  uint64_t subscriptions() const; // completed (re)subscriptions so far
  std::string last_error() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kedastral::io
