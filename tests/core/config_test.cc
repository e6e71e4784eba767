#include "core/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace kedastral {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kName[] = "cfg.yaml";
constexpr char kBaseDir[] = "/srv/kedastral";

// Raw strings start with a newline after R"( ; drop it so the YAML's first line is line 1.
std::string Yaml(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return std::string(text);
}

Result<Config> Parse(std::string_view yaml) { return ParseConfig(Yaml(yaml), kName, kBaseDir); }

Config ParseOk(std::string_view yaml) {
  auto config = Parse(yaml);
  EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().message);
  return config ? *config : Config{};
}

// The whole error text (one problem per line), or "<ok>".
std::string ErrorsOf(std::string_view yaml) {
  auto config = Parse(yaml);
  if (config) return "<ok>";
  EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
  return config.error().message;
}

// Eight lines of a valid config; tests append keys of workloads[0] from line 9 on, indented 4.
constexpr char kOneWorkload[] = R"(
sources:
  prom:
    type: prometheus
    url: http://prom:9090
workloads:
  - name: api
    source: prom
    query: up
)";

std::string WithWorkloadLines(std::string_view lines) {
  return Yaml(kOneWorkload) + std::string(lines);
}

// --- A complete file --------------------------------------------------------------------------

constexpr char kFullExample[] = R"(
server:
  http: 127.0.0.1:9081
  grpc: "[::1]:50052"
log:
  level: debug
  format: text
defaults:
  step: 1m
  window: 7d
  horizon: 30m
  interval: 30s
  leadTime: 5m
  staleAfter: 90s
  model: auto
  seasonality: [1d, 1w]
  capacity:
    targetPerPod: 100
    headroom: 1.2
    quantile: 0.9
    minReplicas: 1
    maxReplicas: 100
    upMaxFactor: 2.0
    downMaxPercent: 50
    prewarmSteps: 1
    rounding: round
sources:
  prom:
    type: prometheus
    url: http://prometheus.monitoring.svc:9090
    bearerTokenFile: /var/run/secrets/token
    caFile: /etc/kedastral/ca.crt
    certFile: /etc/kedastral/tls.crt
    keyFile: /etc/kedastral/tls.key
    insecureSkipVerify: true
    basicAuth: {username: kedastral, passwordFile: /etc/kedastral/pw}
    headers: {X-Scope-OrgID: team-a}
    timeout: 15s
    maxConcurrentQueries: 4
  demo:
    type: replay
    file: data/demo.csv
redis:
  address: redis.kedastral.svc:6379
  passwordFile: /etc/kedastral/redis-password
  db: 2
  cluster: east
  mode: independent
  leaseTtl: 20s
  snapshotTtl: 2h
workloads:
  - name: checkout-api
    namespace: shop
    source: prom
    query: sum(rate(http_requests_total{service="checkout"}[1m]))
    metricName: checkout-load
    mode: shadow
    step: 30s
    window: 2d
    horizon: 1h
    interval: 15s
    leadTime: 10m
    staleAfter: 1m
    model: seasonal_naive
    seasonality: auto
    capacity: {targetPerPod: 200, minReplicas: 2, maxReplicas: 50, rounding: floor}
  - name: demo
    source: demo
)";

TEST(ConfigTest, ParsesTopLevelSectionsOfFullExample) {
  const Config config = ParseOk(kFullExample);
  EXPECT_EQ(config.path, "");
  EXPECT_EQ(config.server.http, "127.0.0.1:9081");
  EXPECT_EQ(config.server.grpc, "[::1]:50052");
  EXPECT_EQ(config.log.level, LogLevel::kDebug);
  EXPECT_EQ(config.log.format, LogFormat::kText);
  ASSERT_TRUE(config.redis.has_value());
  EXPECT_EQ(config.redis->address, "redis.kedastral.svc:6379");
  EXPECT_EQ(config.redis->password_file, "/etc/kedastral/redis-password");
  EXPECT_EQ(config.redis->db, 2);
  EXPECT_EQ(config.redis->cluster, "east");
  EXPECT_EQ(config.redis->mode, HaMode::kIndependent);
  EXPECT_EQ(config.redis->lease_ttl, milliseconds(20'000));
  EXPECT_EQ(config.redis->snapshot_ttl, milliseconds(7'200'000));
}

TEST(ConfigTest, ParsesEverySourceFieldOfFullExample) {
  const Config config = ParseOk(kFullExample);
  ASSERT_EQ(config.sources.size(), 2u);
  const SourceSpec& prom = config.sources[0];
  EXPECT_EQ(prom.name, "prom");
  EXPECT_EQ(prom.type, SourceType::kPrometheus);
  EXPECT_EQ(prom.url, "http://prometheus.monitoring.svc:9090");
  EXPECT_EQ(prom.bearer_token_file, "/var/run/secrets/token");
  EXPECT_EQ(prom.bearer_token, "");
  EXPECT_EQ(prom.ca_file, "/etc/kedastral/ca.crt");
  EXPECT_EQ(prom.cert_file, "/etc/kedastral/tls.crt");
  EXPECT_EQ(prom.key_file, "/etc/kedastral/tls.key");
  EXPECT_TRUE(prom.insecure_skip_verify);
  EXPECT_EQ(prom.basic_auth_user, "kedastral");
  EXPECT_EQ(prom.basic_auth_password_file, "/etc/kedastral/pw");
  EXPECT_EQ(prom.headers, (std::map<std::string, std::string>{{"X-Scope-OrgID", "team-a"}}));
  EXPECT_EQ(prom.timeout, milliseconds(15'000));
  EXPECT_EQ(prom.max_concurrent_queries, 4);
  const SourceSpec& demo = config.sources[1];
  EXPECT_EQ(demo.name, "demo");
  EXPECT_EQ(demo.type, SourceType::kReplay);
  EXPECT_EQ(demo.file, "/srv/kedastral/data/demo.csv");
}

TEST(ConfigTest, ParsesEveryWorkloadFieldOfFullExample) {
  const Config config = ParseOk(kFullExample);
  ASSERT_EQ(config.workloads.size(), 2u);
  const WorkloadSpec& w = *config.workloads[0];
  EXPECT_EQ(w.name, "checkout-api");
  EXPECT_EQ(w.ns, "shop");
  EXPECT_EQ(w.source, "prom");
  EXPECT_EQ(w.query, R"(sum(rate(http_requests_total{service="checkout"}[1m])))");
  EXPECT_EQ(w.metric_name, "checkout-load");
  EXPECT_EQ(w.mode, WorkloadMode::kShadow);
  EXPECT_EQ(w.step, milliseconds(30'000));
  EXPECT_EQ(w.window, milliseconds(2 * 86'400'000LL));
  EXPECT_EQ(w.horizon, milliseconds(3'600'000));
  EXPECT_EQ(w.interval, milliseconds(15'000));
  EXPECT_EQ(w.lead_time, milliseconds(600'000));
  EXPECT_EQ(w.stale_after, milliseconds(60'000));
  EXPECT_EQ(w.model, "seasonal_naive");
  EXPECT_TRUE(w.seasonality.empty());  // auto overrides the defaults' list
  EXPECT_EQ(w.capacity.target_per_pod, 200);
  EXPECT_EQ(w.capacity.min_replicas, 2);
  EXPECT_EQ(w.capacity.max_replicas, 50);
  EXPECT_EQ(w.capacity.rounding, Rounding::kFloor);
  EXPECT_EQ(w.HorizonSteps(), 120u);
}

TEST(ConfigTest, WorkloadInheritsEveryDefault) {
  const Config config = ParseOk(kFullExample);
  ASSERT_EQ(config.workloads.size(), 2u);
  const WorkloadSpec& w = *config.workloads[1];
  EXPECT_EQ(w.metric_name, "kedastral-demo");
  EXPECT_EQ(w.mode, WorkloadMode::kActive);
  EXPECT_EQ(w.step, milliseconds(60'000));
  EXPECT_EQ(w.window, milliseconds(7 * 86'400'000LL));
  EXPECT_EQ(w.horizon, milliseconds(1'800'000));
  EXPECT_EQ(w.interval, milliseconds(30'000));
  EXPECT_EQ(w.lead_time, milliseconds(300'000));
  EXPECT_EQ(w.stale_after, milliseconds(90'000));
  EXPECT_EQ(w.model, "auto");
  EXPECT_EQ(w.seasonality,
            (std::vector<Duration>{milliseconds(86'400'000), milliseconds(604'800'000)}));
  EXPECT_EQ(w.capacity.target_per_pod, 100);
  EXPECT_EQ(w.capacity.headroom, 1.2);
  EXPECT_EQ(w.capacity.quantile, 0.9);
  EXPECT_EQ(w.capacity.min_replicas, 1);
  EXPECT_EQ(w.capacity.max_replicas, 100);
  EXPECT_EQ(w.capacity.up_max_factor, 2.0);
  EXPECT_EQ(w.capacity.down_max_percent, 50);
  EXPECT_EQ(w.capacity.prewarm_steps, 1);
  EXPECT_EQ(w.capacity.rounding, Rounding::kRound);
}

TEST(ConfigTest, CapacityKeysOverrideDefaultsOneByOne) {
  const Config config = ParseOk(kFullExample);
  ASSERT_EQ(config.workloads.size(), 2u);
  const CapacityPolicy& c = config.workloads[0]->capacity;
  // Set by the workload:
  EXPECT_EQ(c.target_per_pod, 200);
  EXPECT_EQ(c.rounding, Rounding::kFloor);
  // Not set by the workload, so still the defaults' values rather than the built-in ones:
  EXPECT_EQ(c.headroom, 1.2);
  EXPECT_EQ(c.quantile, 0.9);
  EXPECT_EQ(c.prewarm_steps, 1);
}

TEST(ConfigTest, UsesBuiltInValuesWithoutDefaultsSection) {
  const Config config = ParseOk(kOneWorkload);
  ASSERT_EQ(config.workloads.size(), 1u);
  const WorkloadSpec& w = *config.workloads[0];
  const WorkloadSpec builtin;
  EXPECT_EQ(w.step, builtin.step);
  EXPECT_EQ(w.window, builtin.window);
  EXPECT_EQ(w.horizon, builtin.horizon);
  EXPECT_EQ(w.interval, builtin.interval);
  EXPECT_EQ(w.stale_after, milliseconds(90'000));
  EXPECT_FALSE(w.capacity.quantile.has_value());
  EXPECT_EQ(w.capacity.max_replicas, 100);
  EXPECT_EQ(config.server.http, "0.0.0.0:8081");
  EXPECT_FALSE(config.redis.has_value());
}

TEST(ConfigTest, StaleAfterDefaultsToThreeTimesTheWorkloadsInterval) {
  const Config config = ParseOk(WithWorkloadLines("    interval: 20s\n"));
  ASSERT_EQ(config.workloads.size(), 1u);
  EXPECT_EQ(config.workloads[0]->stale_after, milliseconds(60'000));
}

TEST(ConfigTest, StaleAfterFollowsIntervalInheritedFromDefaults) {
  const Config config = ParseOk("defaults: {interval: 10s}\n" + Yaml(kOneWorkload));
  ASSERT_EQ(config.workloads.size(), 1u);
  EXPECT_EQ(config.workloads[0]->stale_after, milliseconds(30'000));
}

TEST(ConfigTest, StaleAfterSetInDefaultsBeatsThreeIntervals) {
  const Config config =
      ParseOk("defaults: {staleAfter: 5m}\n" + WithWorkloadLines("    interval: 20s\n"));
  ASSERT_EQ(config.workloads.size(), 1u);
  EXPECT_EQ(config.workloads[0]->stale_after, milliseconds(300'000));
}

TEST(ConfigTest, HorizonStepsFloorsAndIsAtLeastOne) {
  WorkloadSpec spec;
  spec.step = milliseconds(60'000);
  spec.horizon = milliseconds(150'000);
  EXPECT_EQ(spec.HorizonSteps(), 2u);
  spec.horizon = milliseconds(60'000);
  EXPECT_EQ(spec.HorizonSteps(), 1u);
  const Config config = ParseOk(WithWorkloadLines("    step: 7m\n"));  // 30m / 7m
  ASSERT_EQ(config.workloads.size(), 1u);
  EXPECT_EQ(config.workloads[0]->HorizonSteps(), 4u);
}

TEST(ConfigTest, KeepsAbsoluteReplayPathAndResolvesRelativeOne) {
  const Config config = ParseOk(R"(
sources:
  a: {type: replay, file: /data/a.csv}
  b: {type: replay, file: ../b.csv}
workloads:
  - {name: a, source: a}
)");
  ASSERT_EQ(config.sources.size(), 2u);
  EXPECT_EQ(config.sources[0].file, "/data/a.csv");
  EXPECT_EQ(config.sources[1].file, "/srv/b.csv");
}

TEST(ConfigTest, FindSourceLooksUpByName) {
  const Config config = ParseOk(kFullExample);
  ASSERT_NE(config.FindSource("demo"), nullptr);
  EXPECT_EQ(config.FindSource("demo")->type, SourceType::kReplay);
  EXPECT_EQ(config.FindSource("nope"), nullptr);
}

TEST(ConfigTest, SummaryCountsAndNamesEndpoints) {
  EXPECT_EQ(Summary(ParseOk(kOneWorkload)),
            "ok: 1 workload, 1 source, redis off, http 0.0.0.0:8081, grpc 0.0.0.0:50051");
  EXPECT_EQ(Summary(ParseOk(kFullExample)),
            "ok: 2 workloads, 2 sources, redis redis.kedastral.svc:6379 (independent), http "
            "127.0.0.1:9081, "
            "grpc [::1]:50052");
}

// --- Validation: each rule, with its position ---------------------------------------------------

TEST(ConfigValidationTest, UnknownKeyIsReportedAtTheKeyWithASuggestion) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    capacity:\n      targetPerPood: 5\n")),
            "cfg.yaml:10:7: workloads[0].capacity.targetPerPood: unknown key (did you mean "
            "\"targetPerPod\"?)");
}

TEST(ConfigValidationTest, UnknownTopLevelKeyIsReported) {
  EXPECT_EQ(ErrorsOf("workload: []\n" + Yaml(kOneWorkload)),
            "cfg.yaml:1:1: workload: unknown key (did you mean \"workloads\"?)");
}

TEST(ConfigValidationTest, DuplicateKeyIsReported) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    step: 1m\n    step: 2m\n")),
            "cfg.yaml:10:5: workloads[0].step: duplicate key");
}

// Found by fuzz_config (clang ASan: stack-use-after-scope): MapReader held a reference
// into yaml-cpp's temporary iterator proxy while reading each key. Under the
// sanitizer builds this test reads every key of a mapping through that path.
TEST(ConfigValidationTest, NonScalarKeyIsReportedAtTheKey) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    ? [a, b]\n    : 1\n")),
            "cfg.yaml:9:7: workloads[0].?: keys must be plain names, got a list");
}

TEST(ConfigValidationTest, WrongNodeTypeIsReported) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    capacity: 5\n")),
            "cfg.yaml:9:15: workloads[0].capacity: expected a mapping, got a scalar");
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    namespace: [a, b]\n")),
            "cfg.yaml:9:16: workloads[0].namespace: expected a string, got a list");
}

TEST(ConfigValidationTest, BadDurationIsReportedAtTheValue) {
  EXPECT_THAT(
      ErrorsOf(WithWorkloadLines("    horizon: 5x\n")),
      HasSubstr("cfg.yaml:9:14: workloads[0].horizon: invalid duration \"5x\": unknown unit"));
  EXPECT_THAT(
      ErrorsOf(WithWorkloadLines("    leadTime: 90\n")),
      HasSubstr("cfg.yaml:9:15: workloads[0].leadTime: invalid duration \"90\": missing unit"));
}

TEST(ConfigValidationTest, BadEnumsAreReported) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    mode: passive\n")),
            "cfg.yaml:9:11: workloads[0].mode: \"passive\" is not one of active, shadow");
  EXPECT_EQ(
      ErrorsOf(WithWorkloadLines("    capacity: {rounding: up}\n")),
      "cfg.yaml:9:26: workloads[0].capacity.rounding: \"up\" is not one of ceil, round, floor");
  EXPECT_EQ(ErrorsOf("log: {level: verbose, format: xml}\n" + Yaml(kOneWorkload)),
            "cfg.yaml:1:14: log.level: \"verbose\" is not one of debug, info, warn, error\n"
            "cfg.yaml:1:31: log.format: \"xml\" is not one of json, text");
}

TEST(ConfigValidationTest, UnknownModelIsReported) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    model: prophet\n")),
            "cfg.yaml:9:12: workloads[0].model: unknown model \"prophet\" (known: arima, auto, "
            "baseline, ets, mstl, naive, seasonal_naive)");
}

TEST(ConfigValidationTest, NonPositiveStepAndIntervalAreReported) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    step: 0s\n    interval: 0ms\n")),
            "cfg.yaml:9:11: workloads[0].step: must be greater than 0s\n"
            "cfg.yaml:10:15: workloads[0].interval: must be greater than 0s");
}

TEST(ConfigValidationTest, StepLongerThanHorizonIsReportedAtTheStep) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    step: 1h\n")),
            "cfg.yaml:9:11: workloads[0].step: step 1h is longer than horizon 30m");
}

TEST(ConfigValidationTest, HorizonNotAMultipleOfStepIsAccepted) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    step: 7m\n")), "<ok>");
}

TEST(ConfigValidationTest, WindowShorterThanStepIsReported) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    window: 30s\n")),
            "cfg.yaml:9:13: workloads[0].window: window 30s is shorter than step 1m");
}

TEST(ConfigValidationTest, WindowOfMoreThanAMillionStepsIsReported) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    step: 1s\n    horizon: 1m\n    window: 12d\n")),
            "cfg.yaml:11:13: workloads[0].window: window 1w5d holds 1036800 steps of 1s, more than "
            "1000000");
}

TEST(ConfigValidationTest, CrossFieldProblemUsesWorkloadPathWhenOnlyTheOtherFieldIsItsOwn) {
  // step comes from defaults, horizon from the workload: the workload's horizon line is blamed.
  EXPECT_EQ(ErrorsOf("defaults: {step: 10m}\n" + WithWorkloadLines("    horizon: 5m\n")),
            "cfg.yaml:10:14: workloads[0].step: step 10m is longer than horizon 5m");
}

TEST(ConfigValidationTest, ProblemInDefaultsIsReportedOnceAtDefaults) {
  const std::string yaml = "defaults: {step: 1h}\n" + Yaml(kOneWorkload) +
                           "  - name: web\n    source: prom\n    query: up\n";
  EXPECT_EQ(ErrorsOf(yaml), "cfg.yaml:1:18: defaults.step: step 1h is longer than horizon 30m");
}

TEST(ConfigValidationTest, MinReplicasAboveMaxIsReported) {
  EXPECT_EQ(
      ErrorsOf(WithWorkloadLines("    capacity:\n      minReplicas: 10\n      maxReplicas: 5\n")),
      "cfg.yaml:10:20: workloads[0].capacity.minReplicas: minReplicas 10 is above maxReplicas 5");
}

TEST(ConfigValidationTest, EachCapacityRangeIsReportedAtItsValue) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines(R"(    capacity:
      targetPerPod: 0
      headroom: -1
      quantile: 1
      minReplicas: -1
      maxReplicas: 0
      upMaxFactor: 0.5
      downMaxPercent: 101
      prewarmSteps: -2
)")),
            "cfg.yaml:10:21: workloads[0].capacity.targetPerPod: must be greater than 0\n"
            "cfg.yaml:11:17: workloads[0].capacity.headroom: must be greater than 0\n"
            "cfg.yaml:12:17: workloads[0].capacity.quantile: must be in [0.5, 1), got 1\n"
            "cfg.yaml:13:20: workloads[0].capacity.minReplicas: must be at least 0\n"
            "cfg.yaml:14:20: workloads[0].capacity.maxReplicas: must be at least 1\n"
            "cfg.yaml:15:20: workloads[0].capacity.upMaxFactor: must be at least 1\n"
            "cfg.yaml:16:23: workloads[0].capacity.downMaxPercent: must be in [0, 100], got 101\n"
            "cfg.yaml:17:21: workloads[0].capacity.prewarmSteps: must be at least 0");
}

TEST(ConfigValidationTest, QuantileBelowOneHalfIsReported) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    capacity: {quantile: 0.4}\n")),
            "cfg.yaml:9:26: workloads[0].capacity.quantile: must be in [0.5, 1), got 0.4");
}

TEST(ConfigValidationTest, NonNumericCapacityIsReported) {
  EXPECT_EQ(
      ErrorsOf(WithWorkloadLines("    capacity: {maxReplicas: 2.5, headroom: lots}\n")),
      "cfg.yaml:9:29: workloads[0].capacity.maxReplicas: expected a whole number, got \"2.5\"\n"
      "cfg.yaml:9:44: workloads[0].capacity.headroom: expected a number, got \"lots\"");
}

TEST(ConfigValidationTest, SeasonalityMustBeMultiplesOfStep) {
  EXPECT_EQ(
      ErrorsOf(WithWorkloadLines("    seasonality: [1d, 90s]\n")),
      "cfg.yaml:9:23: workloads[0].seasonality[1]: period 1m30s is not a multiple of step 1m");
}

TEST(ConfigValidationTest, InheritedSeasonalityIsCheckedAgainstTheWorkloadsStep) {
  // 1d is not a multiple of the workload's 7m step; the workload's step line is blamed.
  EXPECT_EQ(ErrorsOf("defaults: {seasonality: [1d]}\n" + WithWorkloadLines("    step: 7m\n")),
            "cfg.yaml:10:11: workloads[0].seasonality[0]: period 1d is not a multiple of step 7m");
}

TEST(ConfigValidationTest, SeasonalityRejectsOtherScalars) {
  EXPECT_EQ(ErrorsOf(WithWorkloadLines("    seasonality: daily\n")),
            "cfg.yaml:9:18: workloads[0].seasonality: expected auto or a list of periods such as "
            "[1d, 1w], "
            "got \"daily\"");
}

TEST(ConfigValidationTest, DuplicateWorkloadNameIsReportedAtTheSecond) {
  EXPECT_EQ(ErrorsOf(Yaml(kOneWorkload) + "  - name: api\n    source: prom\n    query: up\n"),
            "cfg.yaml:9:11: workloads[1].name: duplicate workload name \"api\" (first defined on "
            "line 6)");
}

TEST(ConfigValidationTest, WorkloadNamingMissingSourceIsReported) {
  EXPECT_EQ(ErrorsOf(Yaml(kOneWorkload) + "  - {name: web, source: promm}\n"),
            "cfg.yaml:9:25: workloads[1].source: unknown source \"promm\" (known: prom)");
}

TEST(ConfigValidationTest, WorkloadWithoutNameOrSourceIsReported) {
  EXPECT_EQ(ErrorsOf(Yaml(kOneWorkload) + "  - query: up\n"),
            "cfg.yaml:9:5: workloads[1].name: required\n"
            "cfg.yaml:9:5: workloads[1].source: required");
}

TEST(ConfigValidationTest, PrometheusWorkloadWithoutQueryIsReported) {
  EXPECT_EQ(ErrorsOf(Yaml(kOneWorkload) + "  - name: web\n    source: prom\n"),
            "cfg.yaml:9:5: workloads[1].query: required: source \"prom\" is prometheus");
}

TEST(ConfigValidationTest, WorkloadNameMustBeKubernetesLike) {
  EXPECT_THAT(ErrorsOf(Yaml(kOneWorkload) + "  - {name: Web, source: prom, query: up}\n"),
              HasSubstr("cfg.yaml:9:12: workloads[1].name: \"Web\" must be lower-case"));
  EXPECT_THAT(ErrorsOf(Yaml(kOneWorkload) + "  - {name: web-, source: prom, query: up}\n"),
              HasSubstr("cfg.yaml:9:12: workloads[1].name: \"web-\" must be lower-case"));
  EXPECT_EQ(ErrorsOf(Yaml(kOneWorkload) + "  - {name: " + std::string(254, 'a') +
                     ", source: prom, query: up}\n"),
            "cfg.yaml:9:12: workloads[1].name: longer than 253 characters");
  EXPECT_EQ(ErrorsOf(Yaml(kOneWorkload) + "  - {name: a.b_c-9, source: prom, query: up}\n"),
            "<ok>");
}

TEST(ConfigValidationTest, PrometheusSourceNeedsAnHttpUrl) {
  EXPECT_EQ(
      ErrorsOf("sources:\n  p: {type: prometheus}\nworkloads: [{name: a, source: p, query: up}]\n"),
      "cfg.yaml:2:6: sources.p.url: required for a prometheus source");
  EXPECT_EQ(ErrorsOf("sources:\n  p: {type: prometheus, url: prom:9090}\n"
                     "workloads: [{name: a, source: p, query: up}]\n"),
            "cfg.yaml:2:30: sources.p.url: \"prom:9090\" must start with http:// or https://");
}

TEST(ConfigValidationTest, ReplaySourceNeedsAFileAndNoPrometheusKeys) {
  EXPECT_EQ(ErrorsOf("sources:\n  r:\n    type: replay\nworkloads: [{name: a, source: r}]\n"),
            "cfg.yaml:3:5: sources.r.file: required for a replay source");
  EXPECT_EQ(
      ErrorsOf(
          "sources:\n  r:\n    type: replay\n    file: ''\nworkloads: [{name: a, source: r}]\n"),
      "cfg.yaml:4:11: sources.r.file: must not be empty");
  EXPECT_EQ(ErrorsOf("sources:\n  r:\n    type: replay\n    file: r.csv\n    url: http://x:1\n"
                     "workloads: [{name: a, source: r}]\n"),
            "cfg.yaml:5:10: sources.r.url: only prometheus sources use url");
}

TEST(ConfigValidationTest, SourceWithoutTypeIsReported) {
  EXPECT_EQ(ErrorsOf("sources:\n  r:\n    file: r.csv\nworkloads: [{name: a, source: r}]\n"),
            "cfg.yaml:3:5: sources.r.type: required (prometheus or replay)");
}

TEST(ConfigValidationTest, RedisNeedsAValidAddress) {
  EXPECT_EQ(ErrorsOf("redis:\n  db: 1\n" + Yaml(kOneWorkload)),
            "cfg.yaml:2:3: redis.address: required when redis is configured");
  EXPECT_THAT(ErrorsOf("redis: {address: redis}\n" + Yaml(kOneWorkload)),
              HasSubstr("cfg.yaml:1:18: redis.address: invalid address \"redis\": missing :port"));
  EXPECT_EQ(ErrorsOf("redis: {address: 'r:6379', mode: follower}\n" + Yaml(kOneWorkload)),
            "cfg.yaml:1:34: redis.mode: \"follower\" is not one of leader, independent");
}

TEST(ConfigValidationTest, ServerAddressesMustBeHostPort) {
  EXPECT_EQ(ErrorsOf("server:\n  http: 0.0.0.0:99999\n  grpc: ':50051'\n" + Yaml(kOneWorkload)),
            "cfg.yaml:2:9: server.http: invalid address \"0.0.0.0:99999\": port must be a number "
            "from 0 to 65535\n"
            "cfg.yaml:3:9: server.grpc: invalid address \":50051\": missing host");
}

TEST(ConfigValidationTest, MissingOrEmptyWorkloadsIsReported) {
  EXPECT_EQ(ErrorsOf("sources:\n  p: {type: prometheus, url: http://p:1}\n"),
            "cfg.yaml:1:1: workloads: at least one workload is required");
  EXPECT_EQ(ErrorsOf("sources:\n  p: {type: prometheus, url: http://p:1}\nworkloads: []\n"),
            "cfg.yaml:3:12: workloads: at least one workload is required");
}

TEST(ConfigValidationTest, EmptyDocumentIsReported) {
  EXPECT_EQ(ErrorsOf(""), "cfg.yaml:1:1: workloads: at least one workload is required");
}

TEST(ConfigValidationTest, SyntaxErrorIsReportedWithPosition) {
  const std::string errors = ErrorsOf("workloads:\n  - name: a\n   source: [p\n");
  EXPECT_THAT(errors, ::testing::StartsWith("cfg.yaml:"));
  EXPECT_THAT(errors, HasSubstr(": syntax error: "));
  EXPECT_THAT(ErrorsOf("a: 1\n b: 2\n"), ::testing::StartsWith("cfg.yaml:2:3: syntax error: "));
}

TEST(ConfigValidationTest, ReportsAllProblemsTogetherInFileOrder) {
  EXPECT_EQ(
      ErrorsOf(R"(
log: {level: loud}
defaults:
  stepp: 1m
sources:
  p: {type: prometheus}
workloads:
  - name: a
    source: q
  - name: a
    source: p
    query: up
    interval: soon
)"),
      "cfg.yaml:1:14: log.level: \"loud\" is not one of debug, info, warn, error\n"
      "cfg.yaml:3:3: defaults.stepp: unknown key (did you mean \"step\"?)\n"
      "cfg.yaml:5:6: sources.p.url: required for a prometheus source\n"
      "cfg.yaml:8:13: workloads[0].source: unknown source \"q\" (known: p)\n"
      "cfg.yaml:9:11: workloads[1].name: duplicate workload name \"a\" (first defined on line 7)\n"
      "cfg.yaml:12:15: workloads[1].interval: invalid duration \"soon\": expected a whole number "
      "at \"soon\"");
}

TEST(ConfigValidationTest, ValidConfigHasNoErrors) {
  EXPECT_THAT(ErrorsOf(kFullExample), Not(HasSubstr("cfg.yaml")));
}

// --- LoadConfig ------------------------------------------------------------------------------

TEST(LoadConfigTest, MissingFileIsAnIoError) {
  const std::string path = ::testing::TempDir() + "/kedastral-no-such-config.yaml";
  auto config = LoadConfig(path);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code, ErrorCode::kIo);
  EXPECT_THAT(config.error().message, ::testing::StartsWith(path + ": "));
}

TEST(LoadConfigTest, ReadsFileAndResolvesReplayPathsAgainstItsFolder) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "kedastral-config-test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "kedastral.yaml").string();
  {
    std::ofstream out(path);
    out << "sources:\n  demo: {type: replay, file: demo.csv}\nworkloads:\n  - {name: demo, source: "
           "demo}\n";
  }
  auto config = LoadConfig(path);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->path, path);
  ASSERT_EQ(config->sources.size(), 1u);
  EXPECT_EQ(config->sources[0].file, (dir / "demo.csv").string());
}

TEST(LoadConfigTest, ErrorsNameTheFile) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "kedastral-config-test-bad";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "bad.yaml").string();
  {
    std::ofstream out(path);
    out << "workloads: []\n";
  }
  auto config = LoadConfig(path);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(config.error().message, path + ":1:12: workloads: at least one workload is required");
}

// --- ParseHostPort ---------------------------------------------------------------------------

TEST(ParseHostPortTest, SplitsHostAndPort) {
  auto hp = ParseHostPort("redis.kedastral.svc:6379");
  ASSERT_TRUE(hp.has_value());
  EXPECT_EQ(hp->host, "redis.kedastral.svc");
  EXPECT_EQ(hp->port, 6379);
}

TEST(ParseHostPortTest, SplitsBracketedIpv6) {
  auto hp = ParseHostPort("[::1]:50051");
  ASSERT_TRUE(hp.has_value());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 50051);
}

TEST(ParseHostPortTest, RejectsMalformedAddresses) {
  EXPECT_FALSE(ParseHostPort("").has_value());
  EXPECT_FALSE(ParseHostPort("host").has_value());
  EXPECT_FALSE(ParseHostPort("host:").has_value());
  EXPECT_FALSE(ParseHostPort(":80").has_value());
  EXPECT_FALSE(ParseHostPort("host:65536").has_value());
  EXPECT_FALSE(ParseHostPort("host:-1").has_value());
  EXPECT_FALSE(ParseHostPort("::1:80").has_value());
  EXPECT_FALSE(ParseHostPort("[::1]80").has_value());
  EXPECT_FALSE(ParseHostPort("ho st:80").has_value());
  EXPECT_TRUE(ParseHostPort("host:0").has_value());
  EXPECT_TRUE(ParseHostPort("host:65535").has_value());
}

}  // namespace
}  // namespace kedastral

namespace kedastral {
namespace {

constexpr char kPromYaml[] = R"(
defaults:
  maxGapSteps: 3
  aggregate: max
sources:
  prom:
    type: prometheus
    url: http://vmselect:8481/select/0/prometheus
    maxResponseBytes: 1048576
    retries: 4
    retryBackoff: 500ms
    circuitBreakerFailures: 7
    circuitBreakerCooldown: 1m
workloads:
  - name: a
    source: prom
    query: up
  - name: b
    source: prom
    query: up
    aggregate: avg
    expectSingleSeries: true
    maxGapSteps: 0
)";

TEST(ConfigPrometheusTest, ReadsTheSourcesFetchSettings) {
  auto config = ParseConfig(std::string(kPromYaml).substr(1), "cfg.yaml", "");
  ASSERT_TRUE(config) << config.error().message;
  const SourceSpec& s = config->sources.at(0);
  EXPECT_EQ(s.max_response_bytes, 1048576);
  EXPECT_EQ(s.retries, 4);
  EXPECT_EQ(s.retry_backoff, Duration(500));
  EXPECT_EQ(s.circuit_breaker_failures, 7);
  EXPECT_EQ(s.circuit_breaker_cooldown, Duration(60000));
}

TEST(ConfigPrometheusTest, FetchSettingsHaveDefaults) {
  const SourceSpec s;
  EXPECT_EQ(s.max_response_bytes, 64L << 20);
  EXPECT_EQ(s.retries, 2);
  EXPECT_EQ(s.circuit_breaker_failures, 5);
  const WorkloadSpec w;
  EXPECT_EQ(w.aggregate, Aggregate::kSum);
  EXPECT_FALSE(w.expect_single_series);
  EXPECT_EQ(w.max_gap_steps, 5);
}

TEST(ConfigPrometheusTest, WorkloadInheritsOrOverridesAggregateAndGapSettings) {
  auto config = ParseConfig(std::string(kPromYaml).substr(1), "cfg.yaml", "");
  ASSERT_TRUE(config) << config.error().message;
  const WorkloadSpec& a = *config->workloads.at(0);
  const WorkloadSpec& b = *config->workloads.at(1);
  EXPECT_EQ(a.aggregate, Aggregate::kMax);
  EXPECT_EQ(a.max_gap_steps, 3);
  EXPECT_FALSE(a.expect_single_series);
  EXPECT_EQ(b.aggregate, Aggregate::kAvg);
  EXPECT_EQ(b.max_gap_steps, 0);
  EXPECT_TRUE(b.expect_single_series);
}

TEST(ConfigPrometheusTest, RejectsBadFetchSettings) {
  const std::string yaml =
      "sources:\n  prom:\n    type: prometheus\n    url: http://p:9090\n    retries: -1\n"
      "    maxResponseBytes: 10\nworkloads:\n  - name: a\n    source: prom\n    query: up\n"
      "    aggregate: median\n    maxGapSteps: -2\n";
  auto config = ParseConfig(yaml, "cfg.yaml", "");
  ASSERT_FALSE(config);
  const std::string& m = config.error().message;
  EXPECT_NE(m.find("cfg.yaml:5:14: sources.prom.retries: must be at least 0"), std::string::npos) << m;
  EXPECT_NE(m.find("sources.prom.maxResponseBytes: must be at least 1024"), std::string::npos) << m;
  EXPECT_NE(m.find("aggregate: \"median\" is not one of sum, avg, max, min"), std::string::npos) << m;
  EXPECT_NE(m.find("maxGapSteps: must be at least 0"), std::string::npos) << m;
}

TEST(ConfigPrometheusTest, ReplaySourceRejectsPrometheusFetchSettings) {
  const std::string yaml =
      "sources:\n  r:\n    type: replay\n    file: x.csv\n    retries: 1\n"
      "workloads:\n  - name: a\n    source: r\n";
  auto config = ParseConfig(yaml, "cfg.yaml", "");
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("only prometheus sources use retries"), std::string::npos);
}

}  // namespace
}  // namespace kedastral
