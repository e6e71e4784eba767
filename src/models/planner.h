#pragma once

#include <vector>

#include "core/config.h"
#include "core/result.h"
#include "core/series.h"

namespace kedastral::models {

// Turns a forecast into replicas per step under a capacity policy. Pure function.
//
// Formula (the why of each part is in planner.cc): for each step k = 0 .. n-1
//   demand[k]  = max(0, q[k]) where q = the forecast's series at policy.quantile if
//                set (no headroom), else p50[k] * headroom
//   prewarm[k] = max(demand[k .. min(k + prewarmSteps, n - 1)])
//   raw[k]     = round_mode(prewarm[k] / targetPerPod), clamped to [min, max]
//                ceil(x - 1e-9), floor(x + 1e-9), round = floor(x + 0.5 + 1e-9), so
//                float noise cannot add or drop a replica (150 / 50 is exactly 3)
//   rate limit against prev = the previous step's planned replicas, and before
//   step 0 prev = previous_replicas (previous_replicas < 0: unknown, no limit at step 0):
//     up:   raw[k] <= ceil(max(prev, 1) * upMaxFactor - 1e-9)
//           (max(prev, 1): a workload at 0 replicas can still scale up)
//     down: raw[k] >= ceil(prev * (1 - downMaxPercent / 100) - 1e-9)
//   finally clamped to [min, max] again (bounds win over rate limits).
// Example: demand 40 per pod from previous 1 with upMaxFactor 2 plans 2, 4, 8, 16,
// 32, 40; demand 1 from previous 40 with downMaxPercent 50 plans 20, 10, 5, 3, 2, 1.
//
// Fails with kInvalidArgument when the policy is invalid (targetPerPod <= 0,
// headroom <= 0, quantile outside [0.5, 1), minReplicas < 0, maxReplicas < 1 or
// < minReplicas, upMaxFactor < 1, downMaxPercent outside [0, 100], prewarmSteps < 0;
// the message lists every problem), when it asks for a quantile the forecast lacks,
// or when a demand value is not finite. An empty forecast gives an empty plan.
Result<std::vector<int>> PlanReplicas(const Forecast& forecast, const CapacityPolicy& policy,
                                      int previous_replicas);

// Same on a plain demand vector, taken as the p50 series of a forecast without
// quantiles: headroom is applied here, and a policy.quantile other than 0.5 fails
// as a missing quantile. (To plan on a p90 series, pass it with headroom 1 and no
// quantile.) Used by backtests and tests.
Result<std::vector<int>> PlanReplicas(const std::vector<double>& p50, const CapacityPolicy& policy,
                                      int previous_replicas);

}  // namespace kedastral::models
