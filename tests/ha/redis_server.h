#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

extern char** environ;

namespace kedastral::testing {

// A real redis-server on a free loopback port in a temporary folder, for one test.
class RedisServer {
 public:
  static bool Available() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }

  static unsigned short FreePort() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::address_v4::loopback(), 0});
    return a.local_endpoint().port();
  }

  explicit RedisServer(std::vector<std::string> extra = {}, unsigned short port = 0)
      : port_(port ? port : FreePort()), extra_(std::move(extra)) {
    char tmpl[] = "/tmp/kedastral-redis-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~RedisServer() {
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  unsigned short port() const { return port_; }

  // Starts and waits (bounded) until it accepts connections.
  bool Start() {
    std::vector<std::string> args{"redis-server", "--port", std::to_string(port_), "--bind",
                                  "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir_};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, (dir_ + "/redis.log").c_str(), O_WRONLY | O_CREAT, 0644);
    // stderr too: a server that outlived a crashed test must not hold ctest's pipe open.
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    const int rc = posix_spawnp(&pid_, "redis-server", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Accepts()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a child process
    }
    return false;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGCONT);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  void Pause() { kill(pid_, SIGSTOP); }
  void Resume() { kill(pid_, SIGCONT); }

 private:
  bool Accepts() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    boost::system::error_code ec;
    s.connect({boost::asio::ip::address_v4::loopback(), port_}, ec);
    return !ec;
  }

  unsigned short port_;
  std::vector<std::string> extra_;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace kedastral::testing
