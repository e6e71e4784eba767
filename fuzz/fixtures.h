#pragma once

#include "core/snapshot_table.h"
#include "core/time.h"

namespace kedastral::fuzz {

// The time the fixture's forecasts start at; fuzzers pick `now` around it.
TimePoint FixtureStart();

// Fills `table` with workloads covering the states the servers distinguish:
//   "checkout"  active, fresh forecast with quantiles, accuracy, actuals and earlier forecasts
//   "search"    active, namespace "shop", no snapshot yet
//   "batch"     shadow mode, fresh forecast
//   "legacy"    active, snapshot carrying only an error (no forecast)
// Call once per process (the table is then only read).
void FillFixtureTable(SnapshotTable& table);

}  // namespace kedastral::fuzz
