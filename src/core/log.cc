#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>

#include <boost/json.hpp>

#include "core/time.h"

namespace kedastral::log {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kJson};

const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

// JSON string literal (quotes included), escaped by Boost.JSON.
std::string Quote(std::string_view s) { return boost::json::serialize(boost::json::string_view(s)); }

// Text values are quoted only when they contain spaces, quotes or '=' (logfmt style).
std::string TextValue(const Field& f) {
  if (!f.quoted) return f.value;
  if (f.value.empty() || f.value.find_first_of(" \"=\t\n") != std::string::npos) return Quote(f.value);
  return f.value;
}

}  // namespace

Field::Field(std::string k, double v) : key(std::move(k)), quoted(false) {
  if (!std::isfinite(v)) {
    value = std::isnan(v) ? "\"NaN\"" : (v > 0 ? "\"+Inf\"" : "\"-Inf\"");
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  value = buf;
}

Field::Field(std::string k, long long v) : key(std::move(k)), value(std::to_string(v)), quoted(false) {}

void Configure(LogLevel level, LogFormat format) {
  g_level.store(level);
  g_format.store(format);
}

bool Enabled(LogLevel level) { return level >= g_level.load(std::memory_order_relaxed); }

void Write(LogLevel level, std::string_view msg, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  const std::string time = FormatRfc3339(Now());
  std::string line;
  line.reserve(128 + msg.size());
  if (g_format.load(std::memory_order_relaxed) == LogFormat::kJson) {
    line += "{\"time\":\"" + time + "\",\"level\":\"" + LevelName(level) + "\",\"msg\":" + Quote(msg);
    for (const Field& f : fields) {
      line += "," + Quote(f.key) + ":" + (f.quoted ? Quote(f.value) : f.value);
    }
    line += "}\n";
  } else {
    line += time + " " + LevelName(level) + " " + std::string(msg);
    for (const Field& f : fields) line += " " + f.key + "=" + TextValue(f);
    line += "\n";
  }
  // One write per line keeps lines whole when threads log at once.
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace kedastral::log
