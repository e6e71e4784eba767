#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace kedastral {

// How a forecast becomes replicas (models/planner.h has the formula).
enum class Rounding { kCeil, kRound, kFloor };

struct CapacityPolicy {
  double target_per_pod = 100;          // targetPerPod: load one replica handles (> 0)
  double headroom = 1.0;                // headroom: multiplier on p50 when no quantile is set (>= 1 not required, > 0)
  std::optional<double> quantile;       // quantile: plan on this forecast quantile (0.5 .. 0.999) instead of headroom
  int min_replicas = 1;                 // minReplicas (>= 0)
  int max_replicas = 100;               // maxReplicas (>= minReplicas, >= 1)
  double up_max_factor = 2.0;           // upMaxFactor: at most x this many replicas from one step to the next (>= 1)
  double down_max_percent = 50;         // downMaxPercent: at most -this % from one step to the next (0 .. 100)
  int prewarm_steps = 0;                // prewarmSteps: plan each step for the max of the next N steps (>= 0)
  Rounding rounding = Rounding::kCeil;  // rounding: ceil | round | floor
};

enum class WorkloadMode { kActive, kShadow };

// How several series in one query result become one (aggregate).
enum class Aggregate { kSum, kAvg, kMax, kMin };

// One workload, with the defaults already merged in. Immutable once loaded;
// shared as std::shared_ptr<const WorkloadSpec>.
struct WorkloadSpec {
  std::string name;        // unique; KEDA trigger metadata `workload`
  std::string ns;          // namespace (optional): lets a ScaledObject without `workload` match
  std::string source;      // name of an entry in Config::sources
  std::string query;       // the source's query (PromQL; ignored by replay)
  std::string metric_name; // metricName reported to KEDA (default "kedastral-<name>")
  Duration step{60000};            // resolution of history and forecast (default 1m)
  Duration window{7 * 86400000L};  // history kept and used for fitting (default 7d)
  Duration horizon{1800000};       // how far each forecast reaches (default 30m)
  Duration interval{30000};        // how often the workload is refreshed (default 30s)
  Duration lead_time{300000};      // KEDA gets the max planned replicas over [now, now + leadTime] (default 5m)
  Duration stale_after{90000};     // staleAfter: default 3 x interval
  std::string model = "auto";      // auto | baseline | seasonal_naive | ...
  std::vector<Duration> seasonality;  // empty: detect (seasonality: auto)
  WorkloadMode mode = WorkloadMode::kActive;
  CapacityPolicy capacity;
  // aggregate: sum | avg | max | min: how a query returning several series is folded
  // per timestamp (default sum).
  Aggregate aggregate = Aggregate::kSum;
  // expectSingleSeries: a result with more than one series is an error instead (default false).
  bool expect_single_series = false;
  // maxGapSteps: up to this many missing steps in a row are interpolated; longer gaps are
  // masked (kept as missing, the older points stay) (default 5).
  int max_gap_steps = 5;

  // Number of forecast steps: horizon / step (at least 1).
  size_t HorizonSteps() const;
};

enum class SourceType { kPrometheus, kReplay };

struct SourceSpec {
  std::string name;
  SourceType type = SourceType::kReplay;
  // prometheus (also VictoriaMetrics, Thanos, Mimir)
  std::string url;
  std::string bearer_token_file;
  std::string bearer_token;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure_skip_verify = false;
  std::string basic_auth_user;
  std::string basic_auth_password_file;
  std::map<std::string, std::string> headers;
  Duration timeout{10000};              // timeout: per HTTP attempt, connect to last byte
  int max_concurrent_queries = 8;       // maxConcurrentQueries: requests in flight, queued FIFO
  long max_response_bytes = 64L << 20;  // maxResponseBytes: larger responses fail (default 64 MiB)
  int retries = 2;                      // retries: extra attempts after a retryable failure
  Duration retry_backoff{200};          // retryBackoff: first backoff, doubled each retry, jittered
  int circuit_breaker_failures = 5;     // circuitBreakerFailures: failed fetches in a row that open it
  Duration circuit_breaker_cooldown{30000};  // circuitBreakerCooldown: first open period (doubles, max 10x)
  // replay
  std::string file;  // CSV `timestamp,value`; resolved against the config file's folder

  // Every field (a config reload keeps a source open only when nothing changed).
  bool operator==(const SourceSpec&) const = default;
};

enum class HaMode { kLeader, kIndependent };

struct RedisSpec {
  std::string address;        // host:port
  std::string password_file;  // optional
  int db = 0;
  std::string cluster = "default";  // key namespace
  HaMode mode = HaMode::kLeader;
  Duration lease_ttl{15000};
  Duration snapshot_ttl{3600000};
};

struct ServerSpec {
  std::string http = "0.0.0.0:8081";   // HTTP API, pages, /metrics, /healthz, /readyz
  std::string grpc = "0.0.0.0:50051";  // KEDA external scaler
};

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kJson, kText };

struct LogSpec {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kJson;
};

// A whole installation's configuration, validated. Loaded by LoadConfig.
struct Config {
  std::string path;  // file it was loaded from ("" when parsed from a string)
  ServerSpec server;
  LogSpec log;
  std::vector<SourceSpec> sources;
  std::optional<RedisSpec> redis;
  std::vector<std::shared_ptr<const WorkloadSpec>> workloads;  // in file order

  const SourceSpec* FindSource(std::string_view name) const;
};

// Reads and validates a config file. On failure the error (kInvalidArgument or kIo)
// lists every problem found, one per line, as `file:line:column: field: reason`.
Result<Config> LoadConfig(const std::string& path);

// Same, from YAML text; `name` is used in messages in place of the file name and
// relative replay paths resolve against `base_dir`.
Result<Config> ParseConfig(std::string_view yaml, const std::string& name,
                           const std::string& base_dir);

// Splits "host:port" or "[v6]:port"; the port must be 0..65535.
struct HostPort {
  std::string host;
  unsigned short port = 0;
};
Result<HostPort> ParseHostPort(std::string_view text);

// One line for `check-config`: "ok: 3 workloads, 2 sources, redis off".
std::string Summary(const Config& config);

}  // namespace kedastral
