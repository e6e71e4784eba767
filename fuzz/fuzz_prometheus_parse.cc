// Fuzzes the Prometheus query_range parser: the first bytes choose the grid and fold
// options, the rest is the response body.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/prometheus_parse.h"

using kedastral::Aggregate;
using kedastral::Duration;
using kedastral::TimePoint;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  // Grids as sources ask for them: second-aligned starts around now, steps of 1 s to a
  // day, up to 11 000 points (the chunk size bound).
  const auto start_s = in.ConsumeIntegralInRange<int64_t>(1'700'000'000, 1'900'000'000);
  const auto step_s = in.ConsumeIntegralInRange<int64_t>(1, 86'400);
  const auto points = in.ConsumeIntegralInRange<size_t>(0, 11'000);
  kedastral::io::FoldOptions opts;
  opts.aggregate = in.PickValueInArray(
      {Aggregate::kSum, Aggregate::kAvg, Aggregate::kMax, Aggregate::kMin});
  opts.expect_single_series = in.ConsumeBool();
  const std::string body = in.ConsumeRemainingBytesAsString();

  const TimePoint start{std::chrono::seconds(start_s)};
  const Duration step = std::chrono::seconds(step_s);
  auto parsed = kedastral::io::ParseQueryRange(body, start, step, points, opts);
  if (parsed) {
    // The contract: the grid asked for, one value per step.
    if (parsed->series.start != start || parsed->series.step != step ||
        parsed->series.values.size() != points) {
      __builtin_trap();
    }
    for (double v : parsed->series.values) {
      if (std::isinf(v)) __builtin_trap();  // NaN marks a gap; Inf is dropped
    }
  }
  (void)kedastral::io::ParsePrometheusError(body);
  return 0;
}
