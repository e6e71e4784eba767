#pragma once

#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "core/series.h"

namespace kedastral::models {

// Turns a forecast into replicas per step under a capacity policy. Pure function.
//
// Formula (documented in full in planner.cc): for each step k
//   demand[k]  = quantile series at policy.quantile if set, else p50[k] * headroom
//   prewarm    = max(demand[k .. k + prewarmSteps])
//   raw[k]     = round_mode(prewarm / targetPerPod), clamped to [min, max]
//   rate limit against the previous step's replicas (previous_replicas before step 0):
//     up:   raw[k] <= ceil(prev * upMaxFactor)
//     down: raw[k] >= ceil(prev * (1 - downMaxPercent / 100))
//   finally clamped to [min, max] again.
// Fails with kInvalidArgument when the policy asks for a quantile the forecast lacks
// or the policy is invalid (targetPerPod <= 0, min > max, ...).
Result<std::vector<int>> PlanReplicas(const Forecast& forecast, const CapacityPolicy& policy,
                                      int previous_replicas);

// Same on a plain demand vector (already quantile/headroom-adjusted is NOT assumed:
// headroom is applied here). Used by backtests and tests.
Result<std::vector<int>> PlanReplicas(const std::vector<double>& p50, const CapacityPolicy& policy,
                                      int previous_replicas);

}  // namespace kedastral::models
