#include "fixtures.h"

#include <chrono>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/snapshot.h"

namespace kedastral::fuzz {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::shared_ptr<WorkloadSpec> Spec(std::string name, std::string ns, WorkloadMode mode) {
  auto spec = std::make_shared<WorkloadSpec>();
  spec->name = std::move(name);
  spec->ns = std::move(ns);
  spec->metric_name = "kedastral-" + spec->name;
  spec->step = minutes(1);
  spec->lead_time = minutes(2);
  spec->stale_after = minutes(5);
  spec->mode = mode;
  return spec;
}

std::shared_ptr<Snapshot> Forecast(std::string workload) {
  auto s = std::make_shared<Snapshot>();
  s->workload = std::move(workload);
  s->metric = "sum(rate(http_requests_total{job=\"<x>&amp;\"}[1m]))";
  s->generated_at = FixtureStart() - seconds(30);
  s->start = FixtureStart();
  s->step = minutes(1);
  s->horizon = minutes(5);
  s->values = {100, 200, 300, 250, 150.5};
  s->quantiles = {{0.9, {110, 220, 330, 275, 165}}, {0.99, {120, 240, 360, 300, 180}}};
  s->replicas = {1, 2, 5, 3, 7};
  s->model = "seasonal_naive";
  s->sequence = 3;
  AccuracyStats hour{.window = hours(1), .points = 60, .mase = 0.8, .mape = 12.5,
                     .p90_coverage = 0.9, .underprovision_seconds = 30};
  AccuracyStats day{.window = hours(24), .points = 0};  // measures NaN: undefined
  s->accuracy = {hour, day};
  s->mase_scale = "naive1";
  s->underprovision_seconds_total = 120;
  s->actuals.start = FixtureStart() - minutes(10);
  s->actuals.step = minutes(1);
  s->actuals.values = {90, 95, 99, 120, 130, 125, 110, 100, 98, 97};
  PastForecast past;
  past.generated_at = FixtureStart() - minutes(10);
  past.p50 = {FixtureStart() - minutes(10), minutes(1), {91, 92, 93}};
  s->earlier_forecasts = {past};
  return s;
}

}  // namespace

TimePoint FixtureStart() {
  // 2026-11-22T10:00:00Z
  return std::chrono::time_point_cast<Duration>(
      std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + hours(10));
}

void FillFixtureTable(SnapshotTable& table) {
  table.SetWorkloads({Spec("checkout", "", WorkloadMode::kActive),
                      Spec("search", "shop", WorkloadMode::kActive),
                      Spec("batch", "", WorkloadMode::kShadow),
                      Spec("legacy", "", WorkloadMode::kActive)});
  table.Publish(Forecast("checkout"));
  table.Publish(Forecast("batch"));
  auto failed = std::make_shared<Snapshot>();
  failed->workload = "legacy";
  failed->generated_at = FixtureStart() - minutes(1);
  failed->last_error = "source \"prom\": connection refused <script>";
  failed->last_error_at = FixtureStart() - minutes(1);
  failed->consecutive_failures = 4;
  table.Publish(failed);
}

}  // namespace kedastral::fuzz
