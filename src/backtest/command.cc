#include "backtest/command.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "io/csv.h"

namespace kedastral::backtest {
namespace {

namespace fs = std::filesystem;

Result<NamedSeries> LoadOne(const fs::path& path) {
  auto points = io::ReadCsvFile(path.string());
  if (!points) return Fail(points.error());
  auto series = io::ToRegularSeries(*points);
  if (!series) return Fail(Error::InvalidArgument(path.string() + ": " + series.error().message));
  return NamedSeries{path.stem().string(), std::move(*series)};
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

Result<void> WriteDump(const std::string& dir, const std::string& name,
                       const std::vector<OriginForecast>& forecasts, const Options& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path path = fs::path(dir) / (name + ".csv");
  std::ofstream out(path);
  if (!out) return Fail(Error::Io("cannot write " + path.string()));
  size_t plan_index = options.levels.size();
  for (size_t l = 0; l < options.levels.size(); ++l) {
    if (std::abs(options.levels[l] - options.plan_level) < 1e-12) plan_index = l;
  }
  out << "origin_index,step,p50," << QuantileName(options.plan_level) << ",fit_ms\n";
  char buf[160];
  for (const OriginForecast& f : forecasts) {
    if (!f.ok) continue;
    for (size_t k = 0; k < f.p50.size(); ++k) {
      const double q = plan_index < f.quantiles.size() ? f.quantiles[plan_index][k] : f.p50[k];
      std::snprintf(buf, sizeof buf, "%zu,%zu,%.10g,%.10g,%.4f\n", f.origin, k + 1, f.p50[k], q,
                    f.fit_ms);
      out << buf;
    }
  }
  if (!out) return Fail(Error::Io("cannot write " + path.string()));
  return {};
}

boost::json::object CapacityJson(const Capacity& c) {
  return {{"policy", c.policy},
          {"under", c.under},
          {"over", c.over},
          {"over_median", c.over_median},
          {"steps", c.steps}};
}

}  // namespace

Result<std::vector<NamedSeries>> LoadInputs(const std::vector<std::string>& inputs) {
  std::vector<NamedSeries> out;
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::recursive_directory_iterator(input, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".csv") {
          files.push_back(entry.path());
        }
      }
      if (ec) return Fail(Error::Io(input + ": " + ec.message()));
      std::sort(files.begin(), files.end());
      if (files.empty()) return Fail(Error::InvalidArgument(input + ": no .csv files"));
      for (const fs::path& f : files) {
        auto s = LoadOne(f);
        if (!s) return Fail(s.error());
        out.push_back(std::move(*s));
      }
    } else {
      auto s = LoadOne(input);
      if (!s) return Fail(s.error());
      out.push_back(std::move(*s));
    }
  }
  return out;
}

Result<std::vector<size_t>> ReadOriginsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Fail(Error::Io("cannot read " + path));
  std::vector<size_t> origins;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t\r");
    const std::string text = line.substr(first, last - first + 1);
    size_t value = 0;
    const auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (err != std::errc() || ptr != text.data() + text.size()) {
      return Fail(Error::Parse(path + ":" + std::to_string(number) + ": not an origin index: " +
                               text));
    }
    origins.push_back(value);
  }
  if (origins.empty()) return Fail(Error::InvalidArgument(path + ": no origins"));
  return origins;
}

Result<std::vector<SeriesReport>> RunAll(const std::vector<NamedSeries>& inputs,
                                         const Options& options, size_t jobs,
                                         const std::string& dump_dir) {
  std::vector<OriginPlan> plans;
  struct Task {
    size_t series;
    size_t origin_index;
  };
  std::vector<Task> tasks;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto plan = PlanOrigins(inputs[i].series, options);
    if (!plan) return Fail(Error::InvalidArgument(inputs[i].name + ": " + plan.error().message));
    for (size_t j = 0; j < plan->origins.size(); ++j) tasks.push_back({i, j});
    plans.push_back(std::move(*plan));
  }
  std::vector<std::vector<OriginForecast>> forecasts(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) forecasts[i].resize(plans[i].origins.size());

  // Every task writes only its own slot; the atomic counter hands out tasks.
  std::atomic<size_t> next{0};
  const auto worker = [&] {
    for (size_t t = next.fetch_add(1); t < tasks.size(); t = next.fetch_add(1)) {
      const Task& task = tasks[t];
      const OriginPlan& plan = plans[task.series];
      forecasts[task.series][task.origin_index] = ForecastAt(
          inputs[task.series].series, plan, plan.origins[task.origin_index], options);
    }
  };
  if (jobs == 0) jobs = std::max<size_t>(1, std::thread::hardware_concurrency());
  jobs = std::min(jobs, std::max<size_t>(tasks.size(), 1));
  std::vector<std::thread> threads;
  for (size_t j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();

  std::vector<SeriesReport> reports;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!dump_dir.empty()) {
      if (auto ok = WriteDump(dump_dir, inputs[i].name, forecasts[i], options); !ok) {
        return Fail(ok.error());
      }
    }
    auto report = ScoreSeries(inputs[i].name, inputs[i].series, plans[i], forecasts[i], options);
    if (!report) return Fail(report.error());
    reports.push_back(std::move(*report));
  }
  return reports;
}

void WriteText(std::ostream& out, const std::vector<SeriesReport>& reports,
               const Options& options) {
  const std::string plan = QuantileName(options.plan_level);
  char line[512];
  out << "model: " << options.model << "\n\n";
  std::snprintf(line, sizeof line, "%-28s %6s %5s %4s %6s %7s %8s %11s %11s %7s %7s %7s %8s\n",
                "series", "N", "step", "H", "MASE", "sMAPE%", "cov_" "p90", "spinball90",
                "fit_ms", "under", "over", "r_under", "labels");
  out << line;
  for (const SeriesReport& r : reports) {
    double cov = 0, spin = 0;
    for (const QuantileScore& q : r.quantiles) {
      if (std::abs(q.level - options.plan_level) < 1e-12) cov = q.coverage, spin = q.scaled_pinball;
    }
    std::string labels;
    for (const std::string& l : r.model_labels) labels += (labels.empty() ? "" : ",") + l;
    const Capacity& p = r.capacity_step1[1];
    std::snprintf(line, sizeof line,
                  "%-28s %6zu %5s %4zu %6.3f %7.2f %7.1f%% %11.3f %11.3f %6.1f%% %6.1f%% %6.1f%% %s\n",
                  r.name.c_str(), r.n, FormatDuration(r.step).c_str(), r.horizon, r.mase, r.smape,
                  100 * cov, spin, r.fit_ms_median, 100 * p.under, 100 * p.over,
                  100 * r.reactive_under_at_plan_over, labels.c_str());
    out << line;
  }
  out << "\n(under/over: step-1 " << plan
      << " plan; r_under: reactive under-provisioning interpolated at the same over-provision)\n";
  if (reports.size() == 1) {
    const SeriesReport& r = reports.front();
    out << "\nRMSE " << Fixed(r.rmse, 4) << "  MAE " << Fixed(r.mae, 4) << "  origins "
        << r.origins << " (failed " << r.failed_origins << ")  targetPerPod "
        << Fixed(r.target_per_pod, 4) << "\n";
    for (const QuantileScore& q : r.quantiles) {
      out << QuantileName(q.level) << ": coverage " << Fixed(100 * q.coverage, 1) << "%  pinball "
          << Fixed(q.pinball, 4) << "  scaled " << Fixed(q.scaled_pinball, 4) << "\n";
    }
    out << "\ncapacity        step-1 under   over   | all steps under   over\n";
    for (size_t c = 0; c < r.capacity_step1.size(); ++c) {
      std::snprintf(line, sizeof line, "%-16s %10.1f%% %6.1f%% | %14.1f%% %6.1f%%\n",
                    r.capacity_step1[c].policy.c_str(), 100 * r.capacity_step1[c].under,
                    100 * r.capacity_step1[c].over, 100 * r.capacity_all[c].under,
                    100 * r.capacity_all[c].over);
      out << line;
    }
    return;
  }
  const Summary s = Summarise(reports, options);
  out << "\nsummary over " << s.series << " series: geometric-mean MASE " << Fixed(s.gm_mase, 3)
      << ", geometric-mean scaled pinball " << plan << " " << Fixed(s.gm_scaled_pinball, 3)
      << ", mean " << plan << " coverage " << Fixed(100 * s.mean_coverage, 1)
      << "%, mean sMAPE " << Fixed(s.mean_smape, 2) << "%, median fit+forecast "
      << Fixed(s.fit_ms_median, 3) << " ms\n";
  out << "capacity at step 1 (under: mean over series; over: mean and median over series):\n";
  for (const Capacity& c : s.capacity_step1) {
    std::snprintf(line, sizeof line, "  %-16s under %5.1f%%  over %6.1f%% (median %6.1f%%)\n",
                  c.policy.c_str(), 100 * c.under, 100 * c.over, 100 * c.over_median);
    out << line;
  }
  out << "  reactive under at the " << plan << " plan's over: "
      << Fixed(100 * s.reactive_under_at_plan_over, 1) << "%\n";
}

void WriteJson(std::ostream& out, const std::vector<SeriesReport>& reports,
               const Options& options) {
  boost::json::array series;
  for (const SeriesReport& r : reports) {
    boost::json::array quantiles, step1, all, labels;
    for (const QuantileScore& q : r.quantiles) {
      quantiles.push_back({{"level", q.level},
                           {"coverage", q.coverage},
                           {"pinball", q.pinball},
                           {"scaled_pinball", q.scaled_pinball}});
    }
    for (const Capacity& c : r.capacity_step1) step1.push_back(CapacityJson(c));
    for (const Capacity& c : r.capacity_all) all.push_back(CapacityJson(c));
    for (const std::string& l : r.model_labels) labels.push_back(boost::json::value(l));
    series.push_back({{"name", r.name},
                      {"points", r.n},
                      {"step_s", static_cast<double>(r.step.count()) / 1000.0},
                      {"horizon", r.horizon},
                      {"window", r.window},
                      {"origins", r.origins},
                      {"failed_origins", r.failed_origins},
                      {"mase", r.mase},
                      {"smape", r.smape},
                      {"rmse", r.rmse},
                      {"mae", r.mae},
                      {"quantiles", quantiles},
                      {"target_per_pod", r.target_per_pod},
                      {"capacity_step1", step1},
                      {"capacity_all_steps", all},
                      {"reactive_under_at_plan_over", r.reactive_under_at_plan_over},
                      {"fit_ms_median", r.fit_ms_median},
                      {"fit_ms_mean", r.fit_ms_mean},
                      {"model_labels", labels}});
  }
  const Summary s = Summarise(reports, options);
  boost::json::array cap;
  for (const Capacity& c : s.capacity_step1) cap.push_back(CapacityJson(c));
  boost::json::object summary{{"series", s.series},
                              {"gm_mase", s.gm_mase},
                              {"gm_scaled_pinball", s.gm_scaled_pinball},
                              {"mean_coverage", s.mean_coverage},
                              {"mean_smape", s.mean_smape},
                              {"capacity_step1", cap},
                              {"reactive_under_at_plan_over", s.reactive_under_at_plan_over},
                              {"fit_ms_median", s.fit_ms_median}};
  boost::json::object doc{{"model", options.model},
                          {"plan_level", options.plan_level},
                          {"series", series},
                          {"summary", summary}};
  out << boost::json::serialize(doc) << "\n";
}

}  // namespace kedastral::backtest
