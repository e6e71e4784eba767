#include "io/csv.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace kedastral::io {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool ParseDouble(std::string_view s, double& out) {
  s = Trim(s);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

Result<CsvPoints> ParseCsv(std::string_view text, const std::string& name, size_t max_points) {
  CsvPoints out;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = Trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const size_t comma = line.find(',');
    auto where = [&] { return name + ":" + std::to_string(line_no) + ": "; };
    if (comma == std::string_view::npos) {
      return Fail(Error::Parse(where() + "expected `timestamp,value`"));
    }
    const std::string_view ts = Trim(line.substr(0, comma));
    std::string_view val = Trim(line.substr(comma + 1));
    if (const size_t extra = val.find(','); extra != std::string_view::npos) val = Trim(val.substr(0, extra));
    double v = 0;
    if (!ParseDouble(val, v)) {
      if (out.times.empty() && line_no == 1) continue;  // header
      return Fail(Error::Parse(where() + "value \"" + std::string(val) + "\" is not a number"));
    }
    if (!std::isfinite(v)) return Fail(Error::Parse(where() + "value is not finite"));
    auto t = ParseTimestamp(ts);
    if (!t) return Fail(Error::Parse(where() + t.error().message));
    if (!out.times.empty() && *t <= out.times.back()) {
      return Fail(Error::Parse(where() + "timestamps must increase"));
    }
    if (out.times.size() >= max_points) {
      return Fail(Error::InvalidArgument(where() + "more than " + std::to_string(max_points) + " points"));
    }
    out.times.push_back(*t);
    out.values.push_back(v);
  }
  return out;
}

Result<CsvPoints> ReadCsvFile(const std::string& path, size_t max_points) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::Io(path + ": cannot open"));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Fail(Error::Io(path + ": read failed"));
  return ParseCsv(buf.str(), path, max_points);
}

Result<Series> ToRegularSeries(const CsvPoints& points, size_t max_points) {
  const size_t n = points.times.size();
  if (n < 2) return Fail(Error::InvalidArgument("need at least two points, have " + std::to_string(n)));
  std::map<long, size_t> spacing;
  for (size_t i = 1; i < n; ++i) ++spacing[(points.times[i] - points.times[i - 1]).count()];
  long step_ms = 0;
  size_t best = 0;
  for (const auto& [ms, count] : spacing) {
    if (count > best) best = count, step_ms = ms;
  }
  const Duration step(step_ms);
  Series s;
  s.start = points.times.front();
  s.step = step;
  // Nearest grid index of t, rounding half up; `d + step / 2` could overflow for far-apart
  // timestamps, so round on the remainder instead.
  auto index = [&](TimePoint t) {
    const Duration d = t - s.start;
    const Duration rem = d % step;
    return static_cast<size_t>(d / step) + (rem >= step - step / 2 ? 1 : 0);
  };
  const size_t grid = index(points.times.back()) + 1;
  if (grid > max_points) {
    return Fail(Error::InvalidArgument("a regular grid at the usual spacing of " +
                                       std::to_string(step_ms) + " ms needs " + std::to_string(grid) +
                                       " points, more than " + std::to_string(max_points)));
  }
  s.values.assign(grid, std::nan(""));
  for (size_t i = 0; i < n; ++i) {
    const size_t k = index(points.times[i]);
    s.values[std::min(k, grid - 1)] = points.values[i];
  }
  for (size_t k = 1; k < grid; ++k) {
    if (std::isnan(s.values[k])) s.values[k] = s.values[k - 1];
  }
  return s;
}

}  // namespace kedastral::io
