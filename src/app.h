#pragma once

#include <memory>

#include "core/config.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace kedastral {

class SnapshotTable;
namespace io {
class HaPeer;
}  // namespace io

// The `serve` command: builds the event loop, compute pool, sources, scheduler,
// HTTP and gRPC servers from a validated Config, runs until SIGTERM or SIGINT, then
// shuts down in order (stop accepting, stop the scheduler, end gRPC streams, let
// in-flight HTTP requests finish) within a bounded time.
class App {
 public:
  explicit App(Config config);
  // Returns the process exit code: 0 after a clean shutdown, 1 when a server
  // cannot start (e.g. its port is taken).
  int Run();

 private:
  // The HA peer when `redis:` is configured and usable, else null.
  std::unique_ptr<io::HaPeer> MakePeer(boost::asio::io_context& ioc, SnapshotTable& table);

  Config config_;
};

}  // namespace kedastral
