#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "backtest/backtest.h"
#include "core/result.h"
#include "core/series.h"

namespace kedastral::backtest {

// A series to replay, named for reports and dump files (file name without ".csv").
struct NamedSeries {
  std::string name;
  Series series;
};

// Reads every input: a `timestamp,value` CSV file, or a directory whose *.csv
// files (recursively, sorted by path) are all read. Each is put on a regular grid
// (io::ToRegularSeries). Fails on the first unreadable input.
Result<std::vector<NamedSeries>> LoadInputs(const std::vector<std::string>& inputs);

// Reads an origins file: one non-negative integer per line; blank lines and
// lines starting with '#' are skipped.
Result<std::vector<size_t>> ReadOriginsFile(const std::string& path);

// Backtests every series: all (series, origin) fits run on `jobs` threads
// (0: every core), each origin independently. Reports come back in input order.
// A series that cannot be planned or whose every origin failed fails the run.
Result<std::vector<SeriesReport>> RunAll(const std::vector<NamedSeries>& inputs,
                                         const Options& options, size_t jobs,
                                         const std::string& dump_dir);

// Human-readable tables: one row per series, then the summary (with several series).
void WriteText(std::ostream& out, const std::vector<SeriesReport>& reports, const Options& options);

// One JSON document: {"model", "options", "series": [...], "summary": {...}}.
void WriteJson(std::ostream& out, const std::vector<SeriesReport>& reports, const Options& options);

}  // namespace kedastral::backtest
