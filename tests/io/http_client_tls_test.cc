// HTTPS in the HTTP client against a real TLS server (`openssl s_server -www`, which
// answers any GET with a status page): CA verification, skip-verify, and a client
// certificate when the server demands one. Certificates are made by the openssl CLI.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "fake_http_server.h"
#include "io/http_client.h"

extern char** environ;

namespace kedastral::io {
namespace {

namespace fs = std::filesystem;
using testing::RunToCompletion;

bool Shell(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

unsigned short FreePort() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// A self-signed CA, a server certificate for 127.0.0.1 signed by it, and a client
// certificate signed by it; plus a second, unrelated CA.
class TlsFiles {
 public:
  TlsFiles() {
    char tmpl[] = "/tmp/kedastral-tls-XXXXXX";
    dir_ = mkdtemp(tmpl);
    const std::string d = dir_.string();
    auto ca = [&](const std::string& name) {
      return "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=" + name + " -keyout " +
             d + "/" + name + ".key -out " + d + "/" + name + ".pem";
    };
    auto leaf = [&](const std::string& name, const std::string& ext) {
      return "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + name + " -keyout " + d + "/" + name +
             ".key -out " + d + "/" + name + ".csr && openssl x509 -req -in " + d + "/" + name +
             ".csr -CA " + d + "/ca.pem -CAkey " + d + "/ca.key -CAcreateserial -days 2 -out " + d +
             "/" + name + ".pem -extfile " + d + "/" + name + ".ext";
    };
    std::ofstream(dir_ / "server.ext") << "subjectAltName=IP:127.0.0.1\n";
    std::ofstream(dir_ / "client.ext") << "extendedKeyUsage=clientAuth\n";
    auto quiet = [](const std::string& cmd) { return "(" + cmd + ") >/dev/null 2>&1"; };
    ok_ = Shell(quiet(ca("ca"))) && Shell(quiet(ca("other"))) &&
          Shell(quiet(leaf("server", "server"))) && Shell(quiet(leaf("client", "client")));
  }
  ~TlsFiles() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  bool ok() const { return ok_; }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
  bool ok_ = false;
};

// `openssl s_server` on a free port, optionally demanding a client certificate.
class TlsServer {
 public:
  TlsServer(const TlsFiles& f, bool require_client_cert) : port_(FreePort()) {
    std::vector<std::string> args = {"openssl", "s_server", "-quiet", "-www", "-accept",
                                     "127.0.0.1:" + std::to_string(port_), "-cert",
                                     f.Path("server.pem"), "-key", f.Path("server.key")};
    if (require_client_cert) {
      for (std::string a : {"-Verify", "1", "-CAfile"}) args.push_back(a);
      args.push_back(f.Path("ca.pem"));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawnp(&pid_, "openssl", &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    // Ready once it accepts connections (bounded poll of a child process).
    for (int i = 0; i < 100 && !Accepts(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~TlsServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  bool Accepts() const {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    boost::system::error_code ec;
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    return !ec;
  }
  unsigned short port_;
  pid_t pid_ = -1;
};

class HttpClientTlsTest : public ::testing::Test {
 protected:
  // Certificates are made once for the suite (EC keys: fast).
  static void SetUpTestSuite() {
    if (Shell("command -v openssl >/dev/null 2>&1")) files_ = new TlsFiles;
  }
  static void TearDownTestSuite() {
    delete files_;
    files_ = nullptr;
  }
  void SetUp() override {
    if (files_ == nullptr) GTEST_SKIP() << "openssl CLI not installed";
    ASSERT_TRUE(files_->ok()) << "could not make test certificates";
  }
  tl::expected<HttpClientResponse, HttpError> Get(HttpClientOptions o) {
    o.timeout = Duration(5000);
    auto client = HttpClient::Create(ioc_, o);
    EXPECT_TRUE(client) << client.error().message;
    if (!client) return tl::unexpected(HttpError{HttpFailure::kConnect, "no client"});
    return RunToCompletion(ioc_, (*client)->Get("/", {}));
  }

  static inline TlsFiles* files_ = nullptr;
  boost::asio::io_context ioc_{1};
};

TEST_F(HttpClientTlsTest, VerifiesTheServerWithTheConfiguredCa) {
  TlsServer server(*files_, false);
  auto r = Get({.base_url = server.url(), .ca_file = files_->Path("ca.pem")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpClientTlsTest, RejectsAServerSignedByAnotherCa) {
  TlsServer server(*files_, false);
  auto r = Get({.base_url = server.url(), .ca_file = files_->Path("other.pem")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, HttpFailure::kConnect);
}

TEST_F(HttpClientTlsTest, InsecureSkipVerifyAcceptsAnyServer) {
  TlsServer server(*files_, false);
  auto r = Get({.base_url = server.url(), .ca_file = files_->Path("other.pem"),
                .insecure_skip_verify = true});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpClientTlsTest, PresentsTheClientCertificateWhenTheServerDemandsOne) {
  TlsServer server(*files_, true);
  auto without = Get({.base_url = server.url(), .ca_file = files_->Path("ca.pem")});
  EXPECT_FALSE(without && without->status == 200);
  auto with = Get({.base_url = server.url(), .ca_file = files_->Path("ca.pem"),
                   .cert_file = files_->Path("client.pem"), .key_file = files_->Path("client.key")});
  ASSERT_TRUE(with) << with.error().message;
  EXPECT_EQ(with->status, 200);
}

TEST_F(HttpClientTlsTest, UnreadableCaFileIsAClearError) {
  auto client = HttpClient::Create(ioc_, {.base_url = "https://127.0.0.1:1",
                                          .ca_file = files_->Path("missing.pem")});
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().message.find("missing.pem"), std::string::npos);
}

}  // namespace
}  // namespace kedastral::io
