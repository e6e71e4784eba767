#include "models/planner.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace kedastral::models {
namespace {

// Replica counts are small integers computed from products and quotients of
// doubles; 1e-9 is far below any real fraction of a replica and far above the
// noise of those operations (125 * 1.2 / 50 may land a hair above 3).
constexpr double kEpsilon = 1e-9;

Result<void> CheckPolicy(const CapacityPolicy& p) {
  std::string problems;
  const auto problem = [&problems](const char* text) {
    problems += (problems.empty() ? "" : "; ") + std::string(text);
  };
  if (!(std::isfinite(p.target_per_pod) && p.target_per_pod > 0))
    problem("targetPerPod must be > 0");
  if (!(std::isfinite(p.headroom) && p.headroom > 0)) problem("headroom must be > 0");
  if (p.quantile && !(*p.quantile >= 0.5 && *p.quantile < 1))
    problem("quantile must be in [0.5, 1)");
  if (p.min_replicas < 0) problem("minReplicas must be >= 0");
  if (p.max_replicas < 1) problem("maxReplicas must be >= 1");
  if (p.max_replicas < p.min_replicas) problem("maxReplicas must be >= minReplicas");
  if (!(std::isfinite(p.up_max_factor) && p.up_max_factor >= 1))
    problem("upMaxFactor must be >= 1");
  if (!(p.down_max_percent >= 0 && p.down_max_percent <= 100)) {
    problem("downMaxPercent must be in [0, 100]");
  }
  if (p.prewarm_steps < 0) problem("prewarmSteps must be >= 0");
  if (p.rounding != Rounding::kCeil && p.rounding != Rounding::kRound &&
      p.rounding != Rounding::kFloor) {
    problem("rounding must be ceil, round or floor");
  }
  if (!problems.empty()) return Fail(Error::InvalidArgument("capacity policy: " + problems));
  return {};
}

double RoundPods(double pods, Rounding mode) {
  switch (mode) {
    case Rounding::kFloor:
      return std::floor(pods + kEpsilon);
    case Rounding::kRound:
      return std::floor(pods + 0.5 + kEpsilon);  // halves round up, as replicas should
    case Rounding::kCeil:
      break;
  }
  return std::ceil(pods - kEpsilon);
}

int ClampToBounds(double replicas, const CapacityPolicy& p) {
  // Clamp in double first: a huge demand must not overflow the int conversion.
  return static_cast<int>(std::clamp(replicas, static_cast<double>(p.min_replicas),
                                     static_cast<double>(p.max_replicas)));
}

// Applies the up/down rate limits of one step against `prev` (>= 0).
double RateLimit(double raw, int prev, const CapacityPolicy& p) {
  // max(prev, 1): from 0 replicas any factor would allow only 0 forever.
  const double up = std::ceil(std::max(prev, 1) * p.up_max_factor - kEpsilon);
  const double down = std::ceil(prev * (1 - p.down_max_percent / 100) - kEpsilon);
  return std::max(std::min(raw, up), down);
}

Result<std::vector<int>> Plan(const std::vector<double>& series, double scale,
                              const CapacityPolicy& policy, int previous_replicas) {
  const size_t n = series.size();
  std::vector<double> demand(n);
  for (size_t k = 0; k < n; ++k) {
    const double d = series[k] * scale;
    if (!std::isfinite(d)) {
      return Fail(Error::InvalidArgument("demand at step " + std::to_string(k) + " is not finite"));
    }
    demand[k] = std::max(d, 0.0);
  }
  std::vector<int> replicas(n);
  int prev = previous_replicas;
  const size_t prewarm = static_cast<size_t>(policy.prewarm_steps);
  for (size_t k = 0; k < n; ++k) {
    // Prewarming plans step k for the peak it must be ready for within N steps,
    // since new replicas take time to become ready.
    const size_t last = k + std::min(prewarm, n - 1 - k);
    const double peak = *std::max_element(demand.begin() + static_cast<long>(k),
                                          demand.begin() + static_cast<long>(last) + 1);
    double planned =
        ClampToBounds(RoundPods(peak / policy.target_per_pod, policy.rounding), policy);
    if (prev >= 0) planned = RateLimit(planned, prev, policy);
    replicas[k] = ClampToBounds(planned, policy);
    prev = replicas[k];
  }
  return replicas;
}

}  // namespace

Result<std::vector<int>> PlanReplicas(const Forecast& forecast, const CapacityPolicy& policy,
                                      int previous_replicas) {
  if (auto ok = CheckPolicy(policy); !ok) return Fail(ok.error());
  if (!policy.quantile) return Plan(forecast.p50, policy.headroom, policy, previous_replicas);
  const std::vector<double>* series = forecast.At(*policy.quantile);
  if (series == nullptr) {
    return Fail(Error::InvalidArgument("capacity policy plans on " +
                                       QuantileName(*policy.quantile) +
                                       " but the forecast has no such quantile"));
  }
  if (series->size() != forecast.p50.size()) {
    return Fail(Error::InvalidArgument("forecast quantile " + QuantileName(*policy.quantile) +
                                       " has a different length than p50"));
  }
  return Plan(*series, 1.0, policy, previous_replicas);
}

Result<std::vector<int>> PlanReplicas(const std::vector<double>& p50, const CapacityPolicy& policy,
                                      int previous_replicas) {
  Forecast forecast;
  forecast.p50 = p50;
  return PlanReplicas(forecast, policy, previous_replicas);
}

}  // namespace kedastral::models
