#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace kedastral::backtest {

// Raw `kedastral backtest` flags, as parsed by CLI11 (validated in RunCli).
struct CliArgs {
  std::vector<std::string> inputs;
  std::string model = "auto";
  std::vector<std::string> seasons;
  std::string window, horizon;
  size_t origins = 40;
  size_t stride = 0;
  std::string origins_file;
  double target_per_pod = 0;
  double headroom = 1;
  double quantile = 0.9;
  int min_replicas = 1;
  int max_replicas = 0;
  double up_max_factor = 0;
  double down_max_percent = -1;
  bool json = false;
  std::string dump_dir;
  size_t jobs = 0;
};

// Adds the `backtest` subcommand and its flags to `cli`, writing into `args`.
CLI::App* AddCliCommand(CLI::App& cli, CliArgs* args);

// Runs the backtest: prints the report to stdout (text or JSON); errors go to
// stderr. Returns the process exit code (0 ok, 1 on any error).
int RunCli(const CliArgs& args);

}  // namespace kedastral::backtest
