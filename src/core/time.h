#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.h"

namespace kedastral {

// Wall-clock instants (forecasts are about wall time) and durations.
// Durations are kept in milliseconds since configs accept "500ms".
using WallClock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<WallClock, std::chrono::milliseconds>;
using Duration = std::chrono::milliseconds;

// Current wall-clock time, truncated to milliseconds.
inline TimePoint Now() { return std::chrono::time_point_cast<Duration>(WallClock::now()); }

// Parses "500ms", "30s", "5m", "2h", "7d", "1w" and combinations such as "1h30m".
// Rejects empty strings, negative or fractional numbers, unknown units and overflow.
Result<Duration> ParseDuration(std::string_view text);

// Formats a duration in the largest exact units, e.g. 90000ms -> "1m30s", 0 -> "0s".
std::string FormatDuration(Duration d);

// RFC 3339 UTC with millisecond precision when not whole seconds: "2026-11-22T16:19:45Z",
// "2026-11-22T16:19:45.250Z".
std::string FormatRfc3339(TimePoint t);

// Parses RFC 3339 / ISO 8601 timestamps with a "Z" or +hh:mm offset, optional
// fractional seconds, and a 'T' or ' ' separator; also a plain integer of Unix seconds.
Result<TimePoint> ParseTimestamp(std::string_view text);

// Seconds since the Unix epoch, as a double (for JSON and metrics).
inline double ToUnixSeconds(TimePoint t) {
  return static_cast<double>(t.time_since_epoch().count()) / 1000.0;
}

}  // namespace kedastral
