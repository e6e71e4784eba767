#include "io/csv.h"

#include <gtest/gtest.h>

namespace kedastral::io {
namespace {

TEST(CsvTest, ParsesHeaderAndRows) {
  auto p = ParseCsv("timestamp,value\n2024-01-01T00:00:00Z,1.5\n2024-01-01T00:01:00Z,2\n", "x.csv");
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->values.size(), 2u);
  EXPECT_EQ(p->values[0], 1.5);
  EXPECT_EQ(p->times[1] - p->times[0], std::chrono::minutes(1));
}

TEST(CsvTest, AcceptsUnixSecondsCommentsAndCrLf) {
  auto p = ParseCsv("# recorded\r\n1700000000,1\r\n\r\n1700000060,2\r\n", "x.csv");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->values.size(), 2u);
}

TEST(CsvTest, BadValueNamesTheLine) {
  auto p = ParseCsv("timestamp,value\n2024-01-01T00:00:00Z,1\n2024-01-01T00:01:00Z,abc\n", "x.csv");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message.rfind("x.csv:3: ", 0), 0u) << p.error().message;
}

TEST(CsvTest, TimestampsMustIncrease) {
  auto p = ParseCsv("1700000060,1\n1700000000,2\n", "x.csv");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("x.csv:2"), std::string::npos);
}

TEST(CsvTest, RejectsNonFiniteValues) {
  EXPECT_FALSE(ParseCsv("1700000000,1\n1700000060,inf\n", "x.csv"));
  EXPECT_FALSE(ParseCsv("1700000000,1\n1700000060,nan\n", "x.csv"));
}

TEST(CsvTest, EnforcesPointLimit) {
  auto p = ParseCsv("1700000000,1\n1700000060,2\n1700000120,3\n", "x.csv", 2);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
}

TEST(CsvTest, MissingFileIsIoError) {
  auto p = ReadCsvFile("/nonexistent/kedastral.csv");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kIo);
}

TEST(CsvTest, RegularSeriesUsesCommonStepAndFillsGaps) {
  auto p = ParseCsv("1700000000,1\n1700000060,2\n1700000180,4\n1700000240,5\n", "x.csv");
  ASSERT_TRUE(p);
  auto s = ToRegularSeries(*p);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->step, std::chrono::minutes(1));
  EXPECT_EQ(s->values, (std::vector<double>{1, 2, 2, 4, 5}));
}

TEST(CsvTest, RegularSeriesNeedsTwoPoints) {
  auto p = ParseCsv("1700000000,1\n", "x.csv");
  ASSERT_TRUE(p);
  EXPECT_FALSE(ToRegularSeries(*p));
}

// Found by fuzz_csv: two points 2 s apart and one 13 years earlier made the grid
// 214 million points (1.7 GB) instead of an error.
TEST(CsvTest, RegularSeriesRefusesAGridBeyondTheLimit) {
  auto p = ParseCsv("1200000090,1\n1629000060,2.5\n1629000062,3\n", "x.csv");
  ASSERT_TRUE(p);
  auto s = ToRegularSeries(*p);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("more than 5000000"), std::string::npos) << s.error().message;
}

// Found by fuzz_csv (UBSan): two points 258 million years apart overflowed the
// rounding `span + step / 2` in milliseconds.
TEST(CsvTest, RegularSeriesOfFarApartPointsDoesNotOverflow) {
  auto p = ParseCsv("0,1\n8162590000600062,2\n", "x.csv");
  ASSERT_TRUE(p) << p.error().message;
  auto s = ToRegularSeries(*p);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->step, std::chrono::seconds(8162590000600062));
  EXPECT_EQ(s->values, (std::vector<double>{1, 2}));
}

TEST(CsvTest, RegularSeriesSnapsHalfwayPointsUp) {
  // Step 60 s; 1700000090 lies halfway between grid times 60 and 120 s in: it goes to 120.
  auto p = ParseCsv("1700000000,1\n1700000060,2\n1700000090,3\n1700000180,4\n1700000240,5\n", "x.csv");
  ASSERT_TRUE(p);
  auto s = ToRegularSeries(*p);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->values, (std::vector<double>{1, 2, 3, 4, 5}));
}

TEST(CsvTest, RegularSeriesAcceptsAGridAtTheLimit) {
  auto p = ParseCsv("1700000000,1\n1700000060,2\n1700000240,5\n", "x.csv");
  ASSERT_TRUE(p);
  auto exact = ToRegularSeries(*p, 5);
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->values.size(), 5u);
  EXPECT_FALSE(ToRegularSeries(*p, 4));
}

}  // namespace
}  // namespace kedastral::io
