// Fit + forecast of a 7-day, 1-minute series (10,080 points) with daily and
// weekly cycles and noise, 30-step horizon, per model. One model instance per
// benchmark, reused across iterations as the scheduler reuses a workload's model
// (so ets/mstl warm-start and auto re-weights every 10th fit, amortised).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <numbers>
#include <random>

#include "models/model.h"

namespace {

using kedastral::Series;

Series Week() {
  Series s;
  s.step = std::chrono::minutes(1);
  s.start = kedastral::TimePoint(std::chrono::seconds(1704067200));
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0, 5);
  constexpr double kDay = 1440, kWeek = 10080;
  for (size_t i = 0; i < 10080; ++i) {
    const double t = static_cast<double>(i);
    s.values.push_back(100 + 40 * std::sin(2 * std::numbers::pi * t / kDay) +
                       15 * std::sin(2 * std::numbers::pi * t / kWeek) + noise(rng));
  }
  return s;
}

void BM_FitForecast(benchmark::State& state, const char* name) {
  const Series history = Week();
  auto model = kedastral::models::MakeModel(name, {});
  if (!model) {
    state.SkipWithError("unknown model");
    return;
  }
  for (auto _ : state) {
    auto fit = (*model)->Fit(history);
    auto forecast = (*model)->Predict(30);
    benchmark::DoNotOptimize(forecast);
    if (!fit || !forecast) state.SkipWithError("fit or predict failed");
  }
}

// A fresh instance per iteration: the cold cost (arima's full order search,
// auto's evaluation of every candidate), as in the backtest.
void BM_ColdFitForecast(benchmark::State& state, const char* name) {
  const Series history = Week();
  for (auto _ : state) {
    auto model = kedastral::models::MakeModel(name, {});
    if (!model) {
      state.SkipWithError("unknown model");
      return;
    }
    auto fit = (*model)->Fit(history);
    auto forecast = (*model)->Predict(30);
    benchmark::DoNotOptimize(forecast);
    if (!fit || !forecast) state.SkipWithError("fit or predict failed");
  }
}

BENCHMARK_CAPTURE(BM_FitForecast, naive, "naive")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FitForecast, seasonal_naive, "seasonal_naive")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FitForecast, ets, "ets")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FitForecast, mstl, "mstl")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FitForecast, auto, "auto")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FitForecast, arima, "arima")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ColdFitForecast, arima, "arima")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ColdFitForecast, auto, "auto")->Unit(benchmark::kMillisecond);

}  // namespace
