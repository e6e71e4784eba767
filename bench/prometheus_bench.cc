// The Prometheus source's cost per cycle: a 7-day window at 1-minute steps refreshed
// every 30 s, fetched incrementally (with the scheduler's two-step overlap) against a
// full refetch of the window, over a local fake Prometheus that answers in Prometheus'
// own JSON layout; and the parse time of an 11,000-point query_range answer.
#include <benchmark/benchmark.h>

#include <boost/asio/io_context.hpp>
#include <boost/url/parse.hpp>
#include <cmath>
#include <string>

#include "fake_http_server.h"
#include "io/prometheus_parse.h"
#include "io/prometheus_source.h"
#include "loop/history.h"

namespace kedastral::io {
namespace {

using testing::FakeHttpServer;
using testing::FakeRequest;
using testing::FakeResponse;

constexpr long long kT0s = 1'699'999'980;  // a multiple of 60
constexpr Duration kStep{60000};
constexpr Duration kWindow{7L * 86400 * 1000};
constexpr Duration kInterval{30000};

// Shaped like Prometheus' answer: [unix_seconds,"value"] pairs with ~6 significant digits.
std::string Body(long long start, long long end, long long step) {
  std::string values;
  for (long long t = start; t <= end; t += step) {
    if (!values.empty()) values += ',';
    values += "[" + std::to_string(t) + ",\"" +
              std::to_string(100 + 50 * std::sin(static_cast<double>(t) / 3600.0)).substr(0, 9) + "\"]";
  }
  return R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"api"},"values":[)" +
         values + "]}]}}";
}

std::string Param(const std::string& target, std::string_view name) {
  auto u = boost::urls::parse_origin_form(target);
  auto it = u->params().find(name);
  return std::string((*it).value);
}

FakeResponse Answer(const FakeRequest& req) {
  return FakeResponse{.body = Body(std::stoll(Param(req.target, "start")),
                                   std::stoll(Param(req.target, "end")),
                                   std::stoll(Param(req.target, "step")))};
}

Result<Series> Fetch(boost::asio::io_context& ioc, PrometheusSource& s, TimePoint from, TimePoint to) {
  loop::FetchRequest req{"api", "sum(rate(http_requests_total[1m]))", from, to, kStep};
  return testing::RunToCompletion(ioc, s.Fetch(std::move(req)));
}

// state.range(0): 1 = incremental, 0 = full refetch every cycle.
void BM_CyclePointsAndBytes(benchmark::State& state) {
  const bool incremental = state.range(0) == 1;
  FakeHttpServer server(Answer);
  boost::asio::io_context ioc(1);
  SourceSpec spec;
  spec.name = "prom";
  spec.url = server.url();
  auto source = std::move(*PrometheusSource::Open(ioc, spec, nullptr));
  loop::History history(kStep, static_cast<size_t>(kWindow / kStep), 5);
  TimePoint now = TimePoint(Duration(kT0s * 1000));
  history.Merge(*Fetch(ioc, *source, now - kWindow, now));  // warm start, not counted
  const auto base = source->stats();
  long cycles = 0;
  for (auto _ : state) {
    now += kInterval;
    const TimePoint to = TimePoint(Duration((now.time_since_epoch() / kStep) * kStep.count())) + kStep;
    TimePoint from = to - kWindow;
    if (incremental) from = std::max(from, history.End() - 2 * kStep);
    auto r = Fetch(ioc, *source, from, to);
    if (!r) state.SkipWithError(r.error().message.c_str());
    history.Merge(*r);
    ++cycles;
  }
  const auto s = source->stats();
  state.counters["points_per_cycle"] = static_cast<double>(s.points - base.points) / cycles;
  state.counters["bytes_per_cycle"] = static_cast<double>(s.bytes - base.bytes) / cycles;
  state.counters["requests_per_cycle"] = static_cast<double>(s.requests - base.requests) / cycles;
}
BENCHMARK(BM_CyclePointsAndBytes)->Arg(0)->Arg(1)->Iterations(40)->Unit(benchmark::kMillisecond);

void BM_Parse11000Points(benchmark::State& state) {
  const std::string body = Body(kT0s, kT0s + 60 * (kMaxPointsPerQuery - 1), 60);
  const TimePoint start = TimePoint(Duration(kT0s * 1000));
  for (auto _ : state) {
    auto r = ParseQueryRange(body, start, kStep, kMaxPointsPerQuery, FoldOptions{});
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_Parse11000Points)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kedastral::io
