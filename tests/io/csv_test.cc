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

}  // namespace
}  // namespace kedastral::io
