#include "core/time.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace kedastral {
namespace {

using Millis = std::int64_t;
constexpr Millis kMaxMillis = std::numeric_limits<Millis>::max();

struct DurationUnit {
  std::string_view name;
  Millis millis;
};

// Largest first: FormatDuration walks them in this order.
constexpr std::array<DurationUnit, 6> kDurationUnits = {{
    {"w", 7 * 86'400'000LL},
    {"d", 86'400'000LL},
    {"h", 3'600'000LL},
    {"m", 60'000LL},
    {"s", 1'000LL},
    {"ms", 1LL},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::optional<Millis> UnitMillis(std::string_view name) {
  for (const auto& unit : kDurationUnits) {
    if (unit.name == name) return unit.millis;
  }
  return std::nullopt;
}

Error BadDuration(std::string_view text, std::string_view why) {
  return Error::InvalidArgument("invalid duration \"" + std::string(text) +
                                "\": " + std::string(why));
}

// A cursor over a timestamp; each Read* consumes on success only.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  // Exactly `width` decimal digits.
  std::optional<int> ReadFixed(int width) {
    if (text_.size() - pos_ < static_cast<size_t>(width)) return std::nullopt;
    int value = 0;
    for (int i = 0; i < width; ++i) {
      const char c = text_[pos_ + i];
      if (!IsDigit(c)) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos_ += width;
    return value;
  }

  // One or more digits of a fraction, as milliseconds (digits past the third are truncated).
  std::optional<int> ReadFractionMillis() {
    const size_t start = pos_;
    int millis = 0;
    while (!AtEnd() && IsDigit(Peek())) {
      if (pos_ - start < 3) millis = millis * 10 + (Peek() - '0');
      ++pos_;
    }
    const size_t digits = pos_ - start;
    if (digits == 0 || digits > 9) return std::nullopt;
    for (size_t i = digits; i < 3; ++i) millis *= 10;
    return millis;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// "[-]digits" as Unix seconds, or nullopt if `text` is not such an integer.
std::optional<Result<TimePoint>> ParseUnixSeconds(std::string_view text) {
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  if (digits.empty()) return std::nullopt;
  for (char c : digits) {
    if (!IsDigit(c)) return std::nullopt;
  }
  constexpr Millis kMaxSeconds = kMaxMillis / 1000;
  Millis seconds = 0;
  for (char c : digits) {
    if (seconds > (kMaxSeconds - (c - '0')) / 10) {
      return Result<TimePoint>(Fail(
          Error::InvalidArgument("invalid timestamp \"" + std::string(text) + "\": out of range")));
    }
    seconds = seconds * 10 + (c - '0');
  }
  if (negative) seconds = -seconds;
  return Result<TimePoint>(TimePoint(Duration(seconds * 1000)));
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  if (text.empty()) return Fail(BadDuration(text, "empty"));
  Millis total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    // A number: unsigned decimal digits only, so "-1s" and "1.5h" stop here.
    const size_t number_start = pos;
    Millis number = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      const int digit = text[pos] - '0';
      if (number > (kMaxMillis - digit) / 10) return Fail(BadDuration(text, "too large"));
      number = number * 10 + digit;
      ++pos;
    }
    if (pos == number_start) {
      return Fail(BadDuration(
          text, "expected a whole number at \"" + std::string(text.substr(pos)) + "\""));
    }
    // The unit: the longest run of letters, so "ms" is never read as "m" then "s".
    const size_t unit_start = pos;
    while (pos < text.size() && IsLetter(text[pos])) ++pos;
    const std::string_view unit = text.substr(unit_start, pos - unit_start);
    if (unit.empty()) {
      if (pos < text.size()) {
        return Fail(BadDuration(text, "unexpected \"" + std::string(text.substr(pos)) + "\""));
      }
      return Fail(BadDuration(text, "missing unit (ms, s, m, h, d or w)"));
    }
    const std::optional<Millis> unit_millis = UnitMillis(unit);
    if (!unit_millis) {
      return Fail(
          BadDuration(text, "unknown unit \"" + std::string(unit) + "\" (ms, s, m, h, d or w)"));
    }
    if (number > kMaxMillis / *unit_millis) return Fail(BadDuration(text, "too large"));
    const Millis part = number * *unit_millis;
    if (total > kMaxMillis - part) return Fail(BadDuration(text, "too large"));
    total += part;
  }
  return Duration(total);
}

std::string FormatDuration(Duration d) {
  Millis rest = d.count();
  if (rest == 0) return "0s";
  std::string out;
  if (rest < 0) {
    out = "-";
    // Negating the minimum would overflow; it is not a duration anyone configures.
    rest = rest == std::numeric_limits<Millis>::min() ? kMaxMillis : -rest;
  }
  for (const auto& unit : kDurationUnits) {
    if (rest >= unit.millis) {
      out += std::to_string(rest / unit.millis);
      out += unit.name;
      rest %= unit.millis;
    }
  }
  return out;
}

std::string FormatRfc3339(TimePoint t) {
  using namespace std::chrono;
  // Calendar arithmetic on sys_days instead of gmtime: thread-safe and locale-free.
  const sys_days day = floor<days>(t);
  const year_month_day date(day);
  const hh_mm_ss<milliseconds> time(t - day);
  char buf[48];
  int n = std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d",
                        static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                        static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                        static_cast<int>(time.minutes().count()),
                        static_cast<int>(time.seconds().count()));
  const auto millis = time.subseconds().count();
  if (millis != 0) {
    n += std::snprintf(buf + n, sizeof(buf) - n, ".%03d", static_cast<int>(millis));
  }
  std::string out(buf, static_cast<size_t>(n));
  out += 'Z';
  return out;
}

Result<TimePoint> ParseTimestamp(std::string_view text) {
  if (auto unix_seconds = ParseUnixSeconds(text)) return *unix_seconds;

  auto bad = [&](std::string_view why) {
    return Fail(Error::InvalidArgument("invalid timestamp \"" + std::string(text) +
                                       "\": " + std::string(why)));
  };
  Scanner in(text);
  const auto year = in.ReadFixed(4);
  if (!year || !in.Consume('-')) return bad("expected YYYY-MM-DD");
  const auto month = in.ReadFixed(2);
  if (!month || !in.Consume('-')) return bad("expected YYYY-MM-DD");
  const auto day = in.ReadFixed(2);
  if (!day) return bad("expected YYYY-MM-DD");
  if (!in.Consume('T') && !in.Consume('t') && !in.Consume(' ')) {
    return bad("expected 'T' or ' ' between date and time");
  }
  const auto hour = in.ReadFixed(2);
  if (!hour || !in.Consume(':')) return bad("expected hh:mm:ss");
  const auto minute = in.ReadFixed(2);
  if (!minute || !in.Consume(':')) return bad("expected hh:mm:ss");
  const auto second = in.ReadFixed(2);
  if (!second) return bad("expected hh:mm:ss");
  int millis = 0;
  if (in.Consume('.')) {
    const auto fraction = in.ReadFractionMillis();
    if (!fraction) return bad("expected 1 to 9 digits of fractional seconds");
    millis = *fraction;
  }
  int offset_minutes = 0;
  if (in.Consume('Z') || in.Consume('z')) {
    // UTC.
  } else if (in.Peek() == '+' || in.Peek() == '-') {
    const int sign = in.Peek() == '-' ? -1 : 1;
    in.Consume(in.Peek());
    const auto offset_hours = in.ReadFixed(2);
    if (!offset_hours || !in.Consume(':')) return bad("expected an offset +hh:mm");
    const auto offset_mins = in.ReadFixed(2);
    if (!offset_mins) return bad("expected an offset +hh:mm");
    if (*offset_hours > 23 || *offset_mins > 59) return bad("offset out of range");
    offset_minutes = sign * (*offset_hours * 60 + *offset_mins);
  } else {
    return bad("expected 'Z' or an offset +hh:mm");
  }
  if (!in.AtEnd()) return bad("unexpected trailing text");

  using namespace std::chrono;
  const year_month_day date{std::chrono::year(*year),
                            std::chrono::month(static_cast<unsigned>(*month)),
                            std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return bad("no such date");
  // Leap seconds (":60") are rejected: system_clock does not count them.
  if (*hour > 23 || *minute > 59 || *second > 59) return bad("time of day out of range");
  const TimePoint local = time_point_cast<Duration>(sys_days(date)) + hours(*hour) +
                          minutes(*minute) + seconds(*second) + milliseconds(millis);
  return local - minutes(offset_minutes);
}

}  // namespace kedastral
