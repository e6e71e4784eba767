// kedastral: predictive autoscaling for Kubernetes. This file only parses the
// command line; App (app.cc) wires the modules together.
#include <iostream>

#include <CLI/CLI.hpp>

#include "app.h"
#include "backtest/cli.h"
#include "core/config.h"

int main(int argc, char** argv) {
  CLI::App cli{"Kedastral: forecasts each workload's load and hands KEDA the replicas it will need"};
  cli.require_subcommand(1);
  std::string config_path;
  auto* serve = cli.add_subcommand("serve", "Forecast every configured workload and serve KEDA and HTTP");
  serve->add_option("-c,--config", config_path, "Config file (YAML)")->required();
  std::string check_path;
  auto* check = cli.add_subcommand("check-config", "Validate a config file and exit");
  check->add_option("file", check_path, "Config file (YAML)")->required();
  auto* version = cli.add_subcommand("version", "Print the version");
  kedastral::backtest::CliArgs backtest_args;
  auto* backtest = kedastral::backtest::AddCliCommand(cli, &backtest_args);
  CLI11_PARSE(cli, argc, argv);

  if (version->parsed()) {
    std::cout << "kedastral " << KEDASTRAL_VERSION << "\n";
    return 0;
  }
  if (backtest->parsed()) return kedastral::backtest::RunCli(backtest_args);
  const std::string& path = serve->parsed() ? config_path : check_path;
  auto config = kedastral::LoadConfig(path);
  if (!config) {
    std::cerr << config.error().message << "\n";
    return 1;
  }
  if (check->parsed()) {
    std::cout << kedastral::Summary(*config) << "\n";
    return 0;
  }
  kedastral::App app(std::move(*config));
  return app.Run();
}
