#include "backtest/cli.h"

#include <iostream>

#include "backtest/command.h"
#include "core/time.h"

namespace kedastral::backtest {

CLI::App* AddCliCommand(CLI::App& cli, CliArgs* a) {
  auto* cmd = cli.add_subcommand(
      "backtest",
      "Replay timestamp,value CSVs through a model and the planner (../shared/EVAL.md protocol "
      "unless flags say otherwise)");
  cmd->add_option("-i,--input", a->inputs, "CSV file or directory of CSVs (repeatable)")
      ->required();
  cmd->add_option("-m,--model", a->model, "Model name (auto, ets, mstl, arima, ...)");
  cmd->add_option("--season", a->seasons, "Seasonal period, e.g. 1d (repeatable; default: detect)");
  cmd->add_option("--window", a->window, "History each fit sees, e.g. 7d (default min(7d, 60% of N))");
  cmd->add_option("--horizon", a->horizon, "Forecast horizon, e.g. 1h (default max(2 steps, 1h))");
  cmd->add_option("--origins", a->origins, "Origins evenly spaced over the last 40% (default 40)");
  cmd->add_option("--stride", a->stride, "Instead of --origins: one origin every N points");
  cmd->add_option("--origins-file", a->origins_file, "File with one origin index per line");
  cmd->add_option("--target-per-pod", a->target_per_pod, "Load per replica (default median/5)");
  cmd->add_option("--headroom", a->headroom, "Multiplier on p50 for the p50 plan (default 1)");
  cmd->add_option("--quantile", a->quantile, "Quantile of the quantile plan (default 0.9)");
  cmd->add_option("--min-replicas", a->min_replicas, "Minimum replicas (default 1)");
  cmd->add_option("--max-replicas", a->max_replicas, "Maximum replicas (default: unbounded)");
  cmd->add_option("--up-max-factor", a->up_max_factor, "Ignored for scoring (steps are scored independently)");
  cmd->add_option("--down-max-percent", a->down_max_percent, "Ignored for scoring");
  cmd->add_flag("--json", a->json, "Print one JSON document");
  cmd->add_option("--dump-forecasts", a->dump_dir, "Write origin_index,step,p50,p90,fit_ms CSVs here");
  cmd->add_option("-j,--jobs", a->jobs, "Threads (default: every core)");
  return cmd;
}

int RunCli(const CliArgs& a) {
  Options o;
  o.model = a.model;
  const auto duration = [](const std::string& text, const char* flag) -> Result<Duration> {
    auto d = ParseDuration(text);
    if (!d || d->count() <= 0) {
      return Fail(Error::InvalidArgument(std::string(flag) + ": not a positive duration: " + text));
    }
    return *d;
  };
  for (const std::string& s : a.seasons) {
    auto d = duration(s, "--season");
    if (!d) return std::cerr << d.error().message << "\n", 1;
    o.seasons.push_back(*d);
  }
  if (!a.window.empty()) {
    auto d = duration(a.window, "--window");
    if (!d) return std::cerr << d.error().message << "\n", 1;
    o.window = *d;
  }
  if (!a.horizon.empty()) {
    auto d = duration(a.horizon, "--horizon");
    if (!d) return std::cerr << d.error().message << "\n", 1;
    o.horizon = *d;
  }
  o.origins = a.origins;
  if (a.stride > 0) o.stride = a.stride;
  if (!a.origins_file.empty()) {
    auto list = ReadOriginsFile(a.origins_file);
    if (!list) return std::cerr << list.error().message << "\n", 1;
    o.origin_indices = std::move(*list);
  }
  if (!(a.quantile > 0.5 && a.quantile < 1)) {
    return std::cerr << "--quantile must be in (0.5, 1)\n", 1;
  }
  if (!(a.headroom > 0) || a.target_per_pod < 0 || a.min_replicas < 0) {
    return std::cerr << "--headroom must be > 0, --target-per-pod and --min-replicas >= 0\n", 1;
  }
  o.plan_level = a.quantile;
  o.levels = {0.9, 0.95, 0.99};
  if (std::find(o.levels.begin(), o.levels.end(), a.quantile) == o.levels.end()) {
    o.levels.push_back(a.quantile);
    std::sort(o.levels.begin(), o.levels.end());
  }
  o.policy.target_per_pod = a.target_per_pod;
  o.policy.headroom = a.headroom;
  o.policy.min_replicas = a.min_replicas;
  if (a.max_replicas > 0) o.policy.max_replicas = a.max_replicas;

  auto inputs = LoadInputs(a.inputs);
  if (!inputs) return std::cerr << inputs.error().message << "\n", 1;
  auto reports = RunAll(*inputs, o, a.jobs, a.dump_dir);
  if (!reports) return std::cerr << reports.error().message << "\n", 1;
  if (a.json) {
    WriteJson(std::cout, *reports, o);
  } else {
    WriteText(std::cout, *reports, o);
  }
  return 0;
}

}  // namespace kedastral::backtest
