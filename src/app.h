#pragma once

#include "core/config.h"

namespace kedastral {

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
  Config config_;
};

}  // namespace kedastral
