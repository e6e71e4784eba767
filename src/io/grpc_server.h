#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"

namespace kedastral {
class SnapshotTable;
}

namespace kedastral::io {

struct GrpcServerOptions {
  // host:port to listen on; port 0 picks a free one (see GrpcServer::port()).
  std::string address = "0.0.0.0:50051";
  // Called once per unary call and once at the end of each stream, on a gRPC
  // thread, with the method name ("GetMetrics", "StreamIsActive", ...), the
  // grpc::StatusCode as an int and the call's duration. Must be cheap and must not
  // block. Optional.
  std::function<void(std::string_view method, int grpc_code, double seconds)> on_request;
  // The request time ("now" of the lead window and of staleness). Default Now().
  std::function<TimePoint()> clock;
  // Streams re-evaluate staleness at least this often, since it changes with
  // time alone (table changes wake them at once).
  Duration stream_recheck{1000};
};

// KEDA's external scaler (externalscaler.ExternalScaler) over gRPC, answering
// from a SnapshotTable. See io/scaler_logic.h for what each method answers.
//
// Unary methods read the lock-free table and answer within the reaction. The
// streams (StreamIsActive, StreamMetricSpec) send the current state at once and
// then each change, woken by the table's listener and by a recheck timer thread
// this class owns.
//
// @par Lifecycle and threads
// Construct, Start() once, Shutdown() once (the destructor shuts down with a 5 s
// deadline if still running). The table must outlive the server. Start and
// Shutdown are for the owner's thread; Shutdown must not be called from a gRPC
// callback or from a table listener. The gRPC calls run on gRPC's own threads.
class GrpcServer {
 public:
  GrpcServer(SnapshotTable& table, GrpcServerOptions options);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Binds options.address (plaintext, no reflection) and starts serving.
  // kUnavailable when the address cannot be bound (in use, bad host);
  // kInvalidArgument when called twice or after Shutdown.
  Result<void> Start();

  // The bound port (the chosen one when the address asked for port 0); 0 before
  // a successful Start.
  int port() const;

  // Ends every open stream with OK, stops accepting calls and waits at most
  // `deadline` for calls in progress, cancelling those still running then (and
  // giving cancelled streams up to 100 ms more to run their last callback).
  // Idempotent; a no-op before Start.
  void Shutdown(Duration deadline);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kedastral::io
