#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/result.h"
#include "io/prometheus_parse.h"
#include "loop/source.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace kedastral::io {

// Prometheus' own limit on points per series in one query_range answer.
inline constexpr size_t kMaxPointsPerQuery = 11'000;

// Counters of what the source did, for tests and benchmarks (the metrics carry the same).
struct PrometheusSourceStats {
  uint64_t requests = 0;  // HTTP attempts, retries included
  uint64_t points = 0;    // grid points answered (after folding series)
  uint64_t bytes = 0;     // response body bytes
};

// A Source backed by a Prometheus-compatible HTTP API (Prometheus, Thanos Querier,
// VictoriaMetrics, Mimir): `GET <url prefix>/api/v1/query_range`.
//
// Each Fetch asks for the grid points of [from, to) aligned to the step, split into
// requests of at most kMaxPointsPerQuery points, and answers one Series: start is the
// first point the server had, a step without a finite sample is NaN (History fills or
// masks it), several series are folded per the workload's FoldOptions.
//
// Around every request: at most spec.max_concurrent_queries in flight (FIFO queue),
// auth (bearer token inline or from a file re-read when it changes, basic auth with
// the password file re-read likewise), extra headers, the per-attempt timeout and
// response size limit of the HttpClient, and up to spec.retries retries of retryable
// failures (connect, timeout, HTTP 429/5xx) with exponential backoff and jitter.
// After spec.circuit_breaker_failures failed fetches in a row (unavailable or timed
// out) the circuit opens: fetches fail at once with kUnavailable for a cool-down that
// doubles on each reopening (up to 10x); the first fetch after it probes the server.
//
// Metrics (registered in the given registry; names are the product's interface):
//   kedastral_source_requests_total{source,outcome}   counter; outcome: ok, timeout,
//       connect_error, too_large, protocol_error, http_4xx, http_5xx, parse_error,
//       prometheus_error, circuit_open
//   kedastral_source_request_duration_seconds{source} histogram, per HTTP attempt
//   kedastral_source_points_fetched_total{source}     counter
//   kedastral_source_bytes_fetched_total{source}      counter
//   kedastral_source_last_success_timestamp_seconds{source,workload}  gauge
//   kedastral_source_circuit_open{source}             gauge, 1 while open
// Every failed attempt is also logged once with the server's words.
//
// @par Thread safety
// Fetch must be started on the io_context's thread, and that io_context must be run
// by a single thread (the loop). Destroy the source only once no Fetch is running.
class PrometheusSource : public loop::Source {
 public:
  // `registry` may be null (a private one is used). Fails with kInvalidArgument when
  // the URL or TLS files are unusable.
  static Result<std::unique_ptr<PrometheusSource>> Open(boost::asio::io_context& ioc,
                                                        const SourceSpec& spec,
                                                        prometheus::Registry* registry);
  ~PrometheusSource() override;

  // How each workload's series are folded, by workload name (others: sum). Call on
  // the loop thread, e.g. on reload.
  void SetFoldOptions(std::map<std::string, FoldOptions> by_workload);

  boost::asio::awaitable<Result<Series>> Fetch(loop::FetchRequest req) override;

  PrometheusSourceStats stats() const;
  bool circuit_open() const;

 private:
  struct Impl;
  explicit PrometheusSource(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// The FoldOptions of every workload of `config` that uses source `source`.
std::map<std::string, FoldOptions> FoldOptionsFor(const Config& config, const std::string& source);

}  // namespace kedastral::io
