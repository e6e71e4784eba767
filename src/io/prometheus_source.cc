#include "io/prometheus_source.h"

#include <openssl/evp.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/log.h"
#include "io/http_client.h"

namespace kedastral::io {
namespace {

namespace net = boost::asio;
using SteadyClock = std::chrono::steady_clock;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr int kMaxCooldownFactor = 10;

// Unix seconds for query parameters: "1700000000" or "1700000000.5".
std::string FormatSeconds(long long ms) {
  std::string out = std::to_string(ms / 1000);
  if (const long long frac = ms % 1000; frac != 0) {
    std::string digits = std::to_string(1000 + frac).substr(1);
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out;
}

long long FloorDiv(long long a, long long b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// A secret kept in a file and re-read when the file changes (projected service-account
// tokens are rotated by swapping the file).
class SecretFile {
 public:
  explicit SecretFile(std::string path) : path_(std::move(path)) {}

  Result<std::string> Get() {
    std::error_code ec;
    const auto mtime = std::filesystem::last_write_time(path_, ec);
    if (ec) return Fail(Error::Unavailable("cannot read " + path_ + ": " + ec.message()));
    if (loaded_ && mtime == mtime_) return value_;
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) return Fail(Error::Unavailable("cannot read " + path_));
    value_ = text.str();
    // Files usually end with a newline that is not part of the secret.
    while (!value_.empty() && (value_.back() == '\n' || value_.back() == '\r' || value_.back() == ' '))
      value_.pop_back();
    mtime_ = mtime;
    loaded_ = true;
    return value_;
  }

 private:
  std::string path_;
  std::filesystem::file_time_type mtime_{};
  std::string value_;
  bool loaded_ = false;
};

// A FIFO counting semaphore for coroutines on one single-threaded io_context. A waiter
// parks on a timer that never expires; Release hands its slot over by cancelling it.
class FairLimiter {
 public:
  explicit FairLimiter(size_t limit) : limit_(std::max<size_t>(limit, 1)) {}

  net::awaitable<void> Acquire() {
    if (in_use_ < limit_ && waiters_.empty()) {
      ++in_use_;
      co_return;
    }
    auto timer = std::make_shared<net::steady_timer>(co_await net::this_coro::executor,
                                                     SteadyClock::time_point::max());
    waiters_.push_back(timer);
    co_await timer->async_wait(kTuple);  // cancelled by Release: the slot is ours
  }

  void Release() {
    if (waiters_.empty()) {
      --in_use_;
      return;
    }
    auto next = std::move(waiters_.front());
    waiters_.pop_front();
    next->cancel();
  }

 private:
  size_t limit_;
  size_t in_use_ = 0;
  std::deque<std::shared_ptr<net::steady_timer>> waiters_;
};

// Outcome labels of kedastral_source_requests_total.
constexpr std::string_view kOutcomes[] = {"ok",         "timeout",     "connect_error",
                                          "too_large",  "protocol_error", "http_4xx",
                                          "http_5xx",   "parse_error", "prometheus_error",
                                          "circuit_open"};

struct Attempt {
  Result<QueryRangeData> result = Fail(Error::Internal("not run"));
  std::string_view outcome;
  bool retryable = false;
};

std::string_view FailureOutcome(HttpFailure kind) {
  switch (kind) {
    case HttpFailure::kTimeout:
      return "timeout";
    case HttpFailure::kTooLarge:
      return "too_large";
    case HttpFailure::kProtocol:
      return "protocol_error";
    case HttpFailure::kConnect:
      break;
  }
  return "connect_error";
}

}  // namespace

struct PrometheusSource::Impl {
  Impl(const SourceSpec& s, prometheus::Registry* reg)
      : spec(s),
        limiter(static_cast<size_t>(s.max_concurrent_queries)),
        own_registry(reg == nullptr ? std::make_shared<prometheus::Registry>() : nullptr),
        registry(reg != nullptr ? *reg : *own_registry),
        rng(std::random_device{}()) {
    if (!spec.bearer_token_file.empty()) token_file.emplace(spec.bearer_token_file);
    if (!spec.basic_auth_password_file.empty()) password_file.emplace(spec.basic_auth_password_file);
    const prometheus::Labels labels{{"source", spec.name}};
    auto& requests = prometheus::BuildCounter()
                         .Name("kedastral_source_requests_total")
                         .Help("HTTP requests to a source, by outcome")
                         .Register(registry);
    for (std::string_view o : kOutcomes) {
      outcome_counters.emplace(o, &requests.Add({{"source", spec.name}, {"outcome", std::string(o)}}));
    }
    duration = &prometheus::BuildHistogram()
                    .Name("kedastral_source_request_duration_seconds")
                    .Help("Duration of one HTTP request to a source")
                    .Register(registry)
                    .Add(labels, prometheus::Histogram::BucketBoundaries{
                                     0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
    points_counter = &prometheus::BuildCounter()
                          .Name("kedastral_source_points_fetched_total")
                          .Help("Grid points received from a source")
                          .Register(registry)
                          .Add(labels);
    bytes_counter = &prometheus::BuildCounter()
                         .Name("kedastral_source_bytes_fetched_total")
                         .Help("Response body bytes received from a source")
                         .Register(registry)
                         .Add(labels);
    last_success = &prometheus::BuildGauge()
                        .Name("kedastral_source_last_success_timestamp_seconds")
                        .Help("Unix time of the last successful fetch, per workload")
                        .Register(registry);
    circuit_gauge = &prometheus::BuildGauge()
                         .Name("kedastral_source_circuit_open")
                         .Help("1 while the source's circuit breaker is open")
                         .Register(registry)
                         .Add(labels);
  }

  net::awaitable<Result<Series>> Fetch(loop::FetchRequest req);
  net::awaitable<Result<QueryRangeData>> FetchChunk(const loop::FetchRequest& req, TimePoint start,
                                                    size_t points, const FoldOptions& fold);
  net::awaitable<Attempt> Try(const std::string& target, TimePoint start, Duration step,
                              size_t points, const FoldOptions& fold);
  Result<std::vector<std::pair<std::string, std::string>>> Headers();
  void Count(std::string_view outcome) { outcome_counters.at(outcome)->Increment(); }
  void RecordFetch(bool ok, const Error* error);

  SourceSpec spec;
  std::unique_ptr<HttpClient> client;
  FairLimiter limiter;
  std::optional<SecretFile> token_file;
  std::optional<SecretFile> password_file;
  std::map<std::string, FoldOptions> fold_by_workload;

  std::shared_ptr<prometheus::Registry> own_registry;
  prometheus::Registry& registry;
  std::map<std::string_view, prometheus::Counter*> outcome_counters;
  prometheus::Histogram* duration = nullptr;
  prometheus::Counter* points_counter = nullptr;
  prometheus::Counter* bytes_counter = nullptr;
  prometheus::Family<prometheus::Gauge>* last_success = nullptr;
  prometheus::Gauge* circuit_gauge = nullptr;

  // Circuit breaker.
  int consecutive_failures = 0;
  SteadyClock::time_point open_until{};
  Duration cooldown{0};
  std::string last_error;

  std::mt19937 rng;
  PrometheusSourceStats stats;
};

Result<std::vector<std::pair<std::string, std::string>>> PrometheusSource::Impl::Headers() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : spec.headers) out.emplace_back(name, value);
  if (token_file) {
    auto token = token_file->Get();
    if (!token) return Fail(Error::Unavailable("bearerTokenFile: " + token.error().message));
    out.emplace_back("Authorization", "Bearer " + *token);
  } else if (!spec.bearer_token.empty()) {
    out.emplace_back("Authorization", "Bearer " + spec.bearer_token);
  } else if (!spec.basic_auth_user.empty()) {
    std::string password;
    if (password_file) {
      auto p = password_file->Get();
      if (!p) return Fail(Error::Unavailable("basicAuth.passwordFile: " + p.error().message));
      password = *p;
    }
    out.emplace_back("Authorization", "Basic " + Base64(spec.basic_auth_user + ":" + password));
  }
  return out;
}

// One HTTP attempt, classified: what to count, and whether trying again may help.
net::awaitable<Attempt> PrometheusSource::Impl::Try(const std::string& target, TimePoint start,
                                                    Duration step, size_t points,
                                                    const FoldOptions& fold) {
  Attempt a;
  auto headers = Headers();
  if (!headers) {
    a.result = Fail(headers.error());
    a.outcome = "connect_error";
    co_return a;
  }
  const auto t0 = SteadyClock::now();
  ++stats.requests;
  auto res = co_await client->Get(target, std::move(*headers));
  duration->Observe(std::chrono::duration<double>(SteadyClock::now() - t0).count());
  if (!res) {
    const HttpError& e = res.error();
    a.outcome = FailureOutcome(e.kind);
    a.retryable = e.kind != HttpFailure::kTooLarge;
    a.result = Fail(e.kind == HttpFailure::kTimeout ? Error::Timeout(e.message)
                                                    : Error::Unavailable(e.message));
    co_return a;
  }
  stats.bytes += res->body.size();
  bytes_counter->Increment(static_cast<double>(res->body.size()));
  if (res->status != 200) {
    const bool server_side = res->status >= 500 || res->status == 429;
    a.outcome = server_side ? "http_5xx" : "http_4xx";
    a.retryable = server_side;
    // Prometheus explains itself in a JSON body (400 bad_data, 422 execution, 503 ...).
    Result<void> said = ParsePrometheusError(res->body);
    std::string message = "HTTP " + std::to_string(res->status);
    if (!said) message += ": " + said.error().message;
    // A 4xx is about the query (not retried, not held against the server).
    ErrorCode code = ErrorCode::kInvalidArgument;
    if (server_side) code = !said && said.error().code == ErrorCode::kTimeout ? ErrorCode::kTimeout
                                                                             : ErrorCode::kUnavailable;
    a.result = Fail(Error{code, message});
    co_return a;
  }
  a.result = ParseQueryRange(res->body, start, step, points, fold);
  if (a.result) {
    a.outcome = "ok";
  } else if (a.result.error().code == ErrorCode::kParse) {
    a.outcome = "parse_error";
  } else {
    a.outcome = "prometheus_error";
    a.retryable = a.result.error().code == ErrorCode::kUnavailable ||
                  a.result.error().code == ErrorCode::kTimeout;
  }
  co_return a;
}

net::awaitable<Result<QueryRangeData>> PrometheusSource::Impl::FetchChunk(
    const loop::FetchRequest& req, TimePoint start, size_t points, const FoldOptions& fold) {
  // Every byte but the unreserved ones is percent-encoded: Go's query parser reads a
  // bare '+' as a space, and PromQL is full of '+', '{', '"' and spaces.
  const auto enc = [](std::string_view v) { return boost::urls::encode(v, boost::urls::unreserved_chars); };
  const long long start_ms = start.time_since_epoch().count();
  const long long end_ms = start_ms + req.step.count() * static_cast<long long>(points - 1);
  boost::urls::url url;
  url.set_path(client->path_prefix() + "/api/v1/query_range");
  url.set_encoded_query("query=" + enc(req.query) + "&start=" + FormatSeconds(start_ms) +
                        "&end=" + FormatSeconds(end_ms) + "&step=" + FormatSeconds(req.step.count()));
  const std::string target(url.encoded_target());

  auto executor = co_await net::this_coro::executor;
  for (int attempt = 0;; ++attempt) {
    co_await limiter.Acquire();
    Attempt a = co_await Try(target, start, req.step, points, fold);
    limiter.Release();
    Count(a.outcome);
    if (a.result) co_return std::move(a.result);
    const bool again = a.retryable && attempt < spec.retries;
    log::Warn("prometheus request failed",
              {{"source", spec.name},
               {"workload", req.workload},
               {"outcome", a.outcome},
               {"attempt", attempt + 1},
               {"retrying", again},
               {"error", a.result.error().message}});
    if (!again) co_return std::move(a.result);
    // Exponential backoff with "equal jitter": half fixed, half random.
    const long long base = spec.retry_backoff.count() << std::min(attempt, 16);
    std::uniform_int_distribution<long long> jitter(0, base / 2);
    net::steady_timer timer(executor, Duration(base - base / 2 + jitter(rng)));
    co_await timer.async_wait(kTuple);
  }
}

void PrometheusSource::Impl::RecordFetch(bool ok, const Error* error) {
  if (ok) {
    if (consecutive_failures >= spec.circuit_breaker_failures)
      log::Info("source recovered", {{"source", spec.name}});
    consecutive_failures = 0;
    cooldown = Duration(0);
    circuit_gauge->Set(0);
    return;
  }
  // Only the server being away counts: a wrong query is the workload's problem.
  if (error->code != ErrorCode::kUnavailable && error->code != ErrorCode::kTimeout) return;
  last_error = error->message;
  if (++consecutive_failures < spec.circuit_breaker_failures) return;
  cooldown = cooldown.count() == 0
                 ? spec.circuit_breaker_cooldown
                 : std::min(cooldown * 2, spec.circuit_breaker_cooldown * kMaxCooldownFactor);
  open_until = SteadyClock::now() + cooldown;
  circuit_gauge->Set(1);
  log::Error("source circuit opened", {{"source", spec.name},
                                       {"failures", consecutive_failures},
                                       {"cooldown", FormatDuration(cooldown)},
                                       {"error", last_error}});
}

net::awaitable<Result<Series>> PrometheusSource::Impl::Fetch(loop::FetchRequest req) {
  if (req.step.count() <= 0) co_return Fail(Error::InvalidArgument("step must be positive"));
  if (consecutive_failures >= spec.circuit_breaker_failures && SteadyClock::now() < open_until) {
    Count("circuit_open");
    const auto left = std::chrono::duration_cast<Duration>(open_until - SteadyClock::now());
    co_return Fail(Error::Unavailable("circuit open for " + FormatDuration(left) + " more after " +
                                      std::to_string(consecutive_failures) +
                                      " failed fetches; last: " + last_error));
  }
  // The grid: multiples of step since the epoch, first >= from, last < to.
  const long long step = req.step.count();
  const long long first = -FloorDiv(-req.from.time_since_epoch().count(), step) * step;
  const long long last = FloorDiv(req.to.time_since_epoch().count() - 1, step) * step;
  Series out;
  out.step = req.step;
  out.start = TimePoint(Duration(first));
  if (last < first) co_return out;
  const size_t total = static_cast<size_t>((last - first) / step) + 1;
  const auto found = fold_by_workload.find(req.workload);
  const FoldOptions fold = found != fold_by_workload.end() ? found->second : FoldOptions{};

  out.values.reserve(total);
  for (size_t done = 0; done < total;) {
    const size_t n = std::min(kMaxPointsPerQuery, total - done);
    const TimePoint chunk_start = out.start + req.step * static_cast<long>(done);
    Result<QueryRangeData> chunk = co_await FetchChunk(req, chunk_start, n, fold);
    if (!chunk) {
      RecordFetch(false, &chunk.error());
      co_return Fail(chunk.error());
    }
    if (chunk->non_finite > 0) {
      log::Warn("prometheus answered non-finite values (dropped)",
                {{"source", spec.name}, {"workload", req.workload},
                 {"count", static_cast<long>(chunk->non_finite)}});
    }
    out.values.insert(out.values.end(), chunk->series.values.begin(), chunk->series.values.end());
    done += n;
  }
  RecordFetch(true, nullptr);
  stats.points += out.values.size();
  points_counter->Increment(static_cast<double>(out.values.size()));
  last_success->Add({{"source", spec.name}, {"workload", req.workload}})
      .Set(ToUnixSeconds(Now()));

  // Start at the first point the server had; drop trailing steps it has not got yet.
  size_t lead = 0;
  while (lead < out.values.size() && std::isnan(out.values[lead])) ++lead;
  size_t tail = out.values.size();
  while (tail > lead && std::isnan(out.values[tail - 1])) --tail;
  out.values.erase(out.values.begin() + static_cast<long>(tail), out.values.end());
  out.values.erase(out.values.begin(), out.values.begin() + static_cast<long>(lead));
  out.start += req.step * static_cast<long>(lead);
  co_return out;
}

PrometheusSource::PrometheusSource(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
PrometheusSource::~PrometheusSource() = default;

Result<std::unique_ptr<PrometheusSource>> PrometheusSource::Open(net::io_context& ioc,
                                                                 const SourceSpec& spec,
                                                                 prometheus::Registry* registry) {
  HttpClientOptions options;
  options.base_url = spec.url;
  options.timeout = spec.timeout;
  options.max_response_bytes = static_cast<size_t>(spec.max_response_bytes);
  options.max_idle_connections = static_cast<size_t>(spec.max_concurrent_queries);
  options.ca_file = spec.ca_file;
  options.cert_file = spec.cert_file;
  options.key_file = spec.key_file;
  options.insecure_skip_verify = spec.insecure_skip_verify;
  auto client = HttpClient::Create(ioc, std::move(options));
  if (!client) return Fail(client.error());
  auto impl = std::make_shared<Impl>(spec, registry);
  impl->client = std::move(*client);
  return std::unique_ptr<PrometheusSource>(new PrometheusSource(std::move(impl)));
}

void PrometheusSource::SetFoldOptions(std::map<std::string, FoldOptions> by_workload) {
  impl_->fold_by_workload = std::move(by_workload);
}

boost::asio::awaitable<Result<Series>> PrometheusSource::Fetch(loop::FetchRequest req) {
  std::shared_ptr<Impl> impl = impl_;  // the frame keeps the state alive
  co_return co_await impl->Fetch(std::move(req));
}

PrometheusSourceStats PrometheusSource::stats() const { return impl_->stats; }

bool PrometheusSource::circuit_open() const {
  return impl_->consecutive_failures >= impl_->spec.circuit_breaker_failures &&
         std::chrono::steady_clock::now() < impl_->open_until;
}

std::map<std::string, FoldOptions> FoldOptionsFor(const Config& config, const std::string& source) {
  std::map<std::string, FoldOptions> out;
  for (const auto& w : config.workloads) {
    if (w->source != source) continue;
    out[w->name] = FoldOptions{w->aggregate, w->expect_single_series};
  }
  return out;
}

}  // namespace kedastral::io
