#include "core/time.h"

#include <gtest/gtest.h>

namespace kedastral {
namespace {

using std::chrono::milliseconds;

// 2026-11-22T16:19:45Z, computed independently of the code under test.
constexpr std::int64_t kSample = 1795364385;

TimePoint FromUnixMillis(std::int64_t ms) { return TimePoint(milliseconds(ms)); }

Duration ParseOk(std::string_view text) {
  auto d = ParseDuration(text);
  EXPECT_TRUE(d.has_value()) << text << ": " << (d ? "" : d.error().message);
  return d.value_or(Duration(-1));
}

// --- ParseDuration -------------------------------------------------------------------------

TEST(ParseDurationTest, ReadsMilliseconds) { EXPECT_EQ(ParseOk("500ms"), milliseconds(500)); }
TEST(ParseDurationTest, ReadsSeconds) { EXPECT_EQ(ParseOk("30s"), milliseconds(30'000)); }
TEST(ParseDurationTest, ReadsMinutes) { EXPECT_EQ(ParseOk("5m"), milliseconds(300'000)); }
TEST(ParseDurationTest, ReadsHours) { EXPECT_EQ(ParseOk("2h"), milliseconds(7'200'000)); }
TEST(ParseDurationTest, ReadsDays) { EXPECT_EQ(ParseOk("7d"), milliseconds(604'800'000)); }
TEST(ParseDurationTest, ReadsWeeks) { EXPECT_EQ(ParseOk("1w"), milliseconds(604'800'000)); }
TEST(ParseDurationTest, ReadsZero) { EXPECT_EQ(ParseOk("0s"), milliseconds(0)); }

TEST(ParseDurationTest, AddsCombinedUnits) {
  EXPECT_EQ(ParseOk("1h30m"), milliseconds(5'400'000));
  EXPECT_EQ(ParseOk("1w2d3h4m5s6ms"),
            milliseconds(604'800'000 + 2 * 86'400'000 + 3 * 3'600'000 + 4 * 60'000 + 5'000 + 6));
}

TEST(ParseDurationTest, DistinguishesMillisecondsFromMinutesThenSeconds) {
  EXPECT_EQ(ParseOk("1m1s"), milliseconds(61'000));
  EXPECT_EQ(ParseOk("1m1ms"), milliseconds(60'001));
}

TEST(ParseDurationTest, RejectsEmpty) {
  auto d = ParseDuration("");
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
}

TEST(ParseDurationTest, RejectsNumberWithoutUnit) {
  auto d = ParseDuration("5");
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message.find("missing unit"), std::string::npos) << d.error().message;
}

TEST(ParseDurationTest, RejectsNegative) { EXPECT_FALSE(ParseDuration("-1s").has_value()); }
TEST(ParseDurationTest, RejectsFraction) { EXPECT_FALSE(ParseDuration("1.5h").has_value()); }

TEST(ParseDurationTest, RejectsUnknownUnit) {
  auto d = ParseDuration("5x");
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message.find("unknown unit \"x\""), std::string::npos) << d.error().message;
}

TEST(ParseDurationTest, RejectsSurroundingSpaceAndTrailingNumber) {
  EXPECT_FALSE(ParseDuration(" 5s").has_value());
  EXPECT_FALSE(ParseDuration("5s ").has_value());
  EXPECT_FALSE(ParseDuration("1h30").has_value());
}

TEST(ParseDurationTest, RejectsOverflow) {
  EXPECT_FALSE(ParseDuration("99999999999999999999ms").has_value());    // the number itself
  EXPECT_FALSE(ParseDuration("9999999999999999w").has_value());         // number x unit
  EXPECT_FALSE(ParseDuration("9223372036854775807ms1ms").has_value());  // the sum
  EXPECT_TRUE(ParseDuration("9223372036854775807ms").has_value());
}

// --- FormatDuration ------------------------------------------------------------------------

TEST(FormatDurationTest, UsesLargestExactUnits) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(1'500)), "1s500ms");
  EXPECT_EQ(FormatDuration(milliseconds(8 * 86'400'000LL)), "1w1d");
  EXPECT_EQ(FormatDuration(milliseconds(3'600'000)), "1h");
}

TEST(FormatDurationTest, RoundTripsThroughParse) {
  for (std::int64_t ms : {1LL, 999LL, 61'001LL, 5'400'000LL, 694'861'001LL}) {
    EXPECT_EQ(ParseOk(FormatDuration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

// --- FormatRfc3339 -------------------------------------------------------------------------

TEST(FormatRfc3339Test, OmitsMillisecondsOnWholeSeconds) {
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(kSample * 1000)), "2026-11-22T16:19:45Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(0)), "1970-01-01T00:00:00Z");
}

TEST(FormatRfc3339Test, ShowsMillisecondsWhenPresent) {
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(kSample * 1000 + 250)), "2026-11-22T16:19:45.250Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(kSample * 1000 + 7)), "2026-11-22T16:19:45.007Z");
}

TEST(FormatRfc3339Test, HandlesLeapDayAndTimesBeforeTheEpoch) {
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(1709208000LL * 1000)), "2024-02-29T12:00:00Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(-500)), "1969-12-31T23:59:59.500Z");
}

// --- ParseTimestamp ------------------------------------------------------------------------

TimePoint ParseTsOk(std::string_view text) {
  auto t = ParseTimestamp(text);
  EXPECT_TRUE(t.has_value()) << text << ": " << (t ? "" : t.error().message);
  return t.value_or(TimePoint{});
}

TEST(ParseTimestampTest, ReadsUtc) {
  EXPECT_EQ(ParseTsOk("2026-11-22T16:19:45Z"), FromUnixMillis(kSample * 1000));
  EXPECT_EQ(ParseTsOk("2026-11-22t16:19:45z"), FromUnixMillis(kSample * 1000));
}

TEST(ParseTimestampTest, AppliesOffsets) {
  EXPECT_EQ(ParseTsOk("2026-11-22T18:19:45+02:00"), FromUnixMillis(kSample * 1000));
  EXPECT_EQ(ParseTsOk("2026-11-22T10:49:45-05:30"), FromUnixMillis(kSample * 1000));
  EXPECT_EQ(ParseTsOk("2026-11-22T16:19:45+00:00"), FromUnixMillis(kSample * 1000));
}

TEST(ParseTimestampTest, ReadsFractionalSecondsToMilliseconds) {
  EXPECT_EQ(ParseTsOk("2026-11-22T16:19:45.5Z"), FromUnixMillis(kSample * 1000 + 500));
  EXPECT_EQ(ParseTsOk("2026-11-22T16:19:45.25Z"), FromUnixMillis(kSample * 1000 + 250));
  EXPECT_EQ(ParseTsOk("2026-11-22T16:19:45.123456789Z"), FromUnixMillis(kSample * 1000 + 123));
}

TEST(ParseTimestampTest, AcceptsSpaceSeparator) {
  EXPECT_EQ(ParseTsOk("2026-11-22 16:19:45Z"), FromUnixMillis(kSample * 1000));
}

TEST(ParseTimestampTest, ReadsUnixSeconds) {
  EXPECT_EQ(ParseTsOk("1795364385"), FromUnixMillis(kSample * 1000));
  EXPECT_EQ(ParseTsOk("0"), FromUnixMillis(0));
  EXPECT_EQ(ParseTsOk("-60"), FromUnixMillis(-60'000));
}

TEST(ParseTimestampTest, RoundTripsFormatRfc3339) {
  for (std::int64_t ms : {std::int64_t{0}, kSample * 1000, kSample * 1000 + 250,
                          std::int64_t{946684800001}, std::int64_t{-500}}) {
    const TimePoint t = FromUnixMillis(ms);
    EXPECT_EQ(ParseTsOk(FormatRfc3339(t)), t) << FormatRfc3339(t);
  }
}

TEST(ParseTimestampTest, RejectsMissingOffset) {
  auto t = ParseTimestamp("2026-11-22T16:19:45");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
}

TEST(ParseTimestampTest, RejectsImpossibleDatesAndTimes) {
  EXPECT_FALSE(ParseTimestamp("2026-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(ParseTimestamp("2026-13-01T00:00:00Z").has_value());
  EXPECT_FALSE(ParseTimestamp("2026-11-22T24:00:00Z").has_value());
  EXPECT_FALSE(ParseTimestamp("2026-11-22T16:60:00Z").has_value());
  EXPECT_FALSE(ParseTimestamp("2026-11-22T16:19:45+24:00").has_value());
}

TEST(ParseTimestampTest, RejectsMalformedText) {
  EXPECT_FALSE(ParseTimestamp("").has_value());
  EXPECT_FALSE(ParseTimestamp("yesterday").has_value());
  EXPECT_FALSE(ParseTimestamp("2026-11-22").has_value());
  EXPECT_FALSE(ParseTimestamp("2026-11-22T16:19:45Zjunk").has_value());
  EXPECT_FALSE(ParseTimestamp("2026-11-22T16:19:45.Z").has_value());
  EXPECT_FALSE(ParseTimestamp("2026-11-22T16:19:45+0200").has_value());
  EXPECT_FALSE(ParseTimestamp("1795364385.5").has_value());
  EXPECT_FALSE(ParseTimestamp("99999999999999999999").has_value());
}

}  // namespace
}  // namespace kedastral
