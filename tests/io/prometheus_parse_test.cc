#include "io/prometheus_parse.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace kedastral::io {
namespace {

const TimePoint kT0 = TimePoint(Duration(1'700'000'000'000));
constexpr Duration kStep{60000};

std::string Matrix(const std::string& series) {
  return R"({"status":"success","data":{"resultType":"matrix","result":[)" + series + "]}}";
}

Result<QueryRangeData> Parse(const std::string& body, size_t points = 3, FoldOptions opts = {}) {
  return ParseQueryRange(body, kT0, kStep, points, opts);
}

TEST(PrometheusParseTest, SingleSeriesLandsOnTheGrid) {
  auto r = Parse(Matrix(R"({"metric":{},"values":[[1700000000,"1"],[1700000060,"2.5"],[1700000120,"3"]]})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->series.start, kT0);
  EXPECT_EQ(r->series.values, (std::vector<double>{1, 2.5, 3}));
  EXPECT_EQ(r->series_count, 1u);
  EXPECT_EQ(r->samples, 3u);
}

TEST(PrometheusParseTest, MissingStepsAreNaN) {
  auto r = Parse(Matrix(R"({"metric":{},"values":[[1700000000,"1"],[1700000120,"3"]]})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->series.values[0], 1);
  EXPECT_TRUE(std::isnan(r->series.values[1]));
  EXPECT_EQ(r->series.values[2], 3);
}

TEST(PrometheusParseTest, SeveralSeriesAreSummedPerTimestampByDefault) {
  auto r = Parse(Matrix(R"({"metric":{"a":"1"},"values":[[1700000000,"1"],[1700000060,"2"]]},)"
                        R"({"metric":{"a":"2"},"values":[[1700000060,"10"],[1700000120,"20"]]})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->series.values, (std::vector<double>{1, 12, 20}));
  EXPECT_EQ(r->series_count, 2u);
}

TEST(PrometheusParseTest, AvgDividesByTheSeriesPresentAtEachStep) {
  auto r = Parse(Matrix(R"({"metric":{"a":"1"},"values":[[1700000000,"1"],[1700000060,"2"]]},)"
                        R"({"metric":{"a":"2"},"values":[[1700000060,"10"]]})"),
                 2, FoldOptions{Aggregate::kAvg, false});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->series.values, (std::vector<double>{1, 6}));
}

TEST(PrometheusParseTest, MaxAndMinPickTheExtremes) {
  const std::string body = Matrix(R"({"metric":{"a":"1"},"values":[[1700000000,"1"]]},)"
                                  R"({"metric":{"a":"2"},"values":[[1700000000,"-4"]]})");
  EXPECT_EQ(Parse(body, 1, {Aggregate::kMax, false})->series.values[0], 1);
  EXPECT_EQ(Parse(body, 1, {Aggregate::kMin, false})->series.values[0], -4);
}

TEST(PrometheusParseTest, ExpectSingleSeriesRejectsSeveral) {
  auto r = Parse(Matrix(R"({"metric":{"a":"1"},"values":[]},{"metric":{"a":"2"},"values":[]})"), 3,
                 FoldOptions{Aggregate::kSum, true});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("2 series"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("expectSingleSeries"), std::string::npos);
}

TEST(PrometheusParseTest, NaNAndInfSamplesAreDroppedAndCounted) {
  auto r = Parse(Matrix(R"({"metric":{},"values":[[1700000000,"NaN"],[1700000060,"+Inf"],[1700000120,"-Inf"]]})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->non_finite, 3u);
  for (double v : r->series.values) EXPECT_TRUE(std::isnan(v));
}

TEST(PrometheusParseTest, StatusErrorIsSurfacedVerbatim) {
  auto r = Parse(R"({"status":"error","errorType":"bad_data","error":"parse error at char 5: unexpected"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "prometheus error bad_data: parse error at char 5: unexpected");
}

TEST(PrometheusParseTest, TimeoutErrorTypeIsATimeout) {
  auto r = Parse(R"({"status":"error","errorType":"timeout","error":"query timed out"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
}

TEST(PrometheusParseTest, MalformedJsonIsAParseError) {
  auto r = Parse(R"({"status":"success","data":{"resultType":"matrix","result":[)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
}

TEST(PrometheusParseTest, MalformedSampleIsAParseError) {
  auto r = Parse(Matrix(R"({"metric":{},"values":[[1700000000,"one"]]})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
}

TEST(PrometheusParseTest, NonMatrixResultIsRejected) {
  auto r = Parse(R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(PrometheusParseTest, SamplesOffTheGridAreDropped) {
  auto r = Parse(Matrix(R"({"metric":{},"values":[[1699999940,"9"],[1700000030,"9"],[1700000180,"9"],[1700000060,"2"]]})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->off_grid, 3u);
  EXPECT_EQ(r->series.values[1], 2);
}

TEST(PrometheusParseTest, FractionalTimestampsAreRead) {
  auto r = ParseQueryRange(Matrix(R"({"metric":{},"values":[[1700000000.5,"7"]]})"),
                           kT0 + Duration(500), Duration(500), 1, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->series.values[0], 7);
}

TEST(PrometheusParseTest, EmptyResultIsAllMissing) {
  auto r = Parse(Matrix(""));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->series_count, 0u);
  ASSERT_EQ(r->series.values.size(), 3u);
  EXPECT_TRUE(std::isnan(r->series.values[0]));
}

TEST(PrometheusParseTest, ParsePrometheusErrorIgnoresOtherBodies) {
  EXPECT_TRUE(ParsePrometheusError("<html>bad gateway</html>"));
  EXPECT_TRUE(ParsePrometheusError(Matrix("")));
  auto r = ParsePrometheusError(R"({"status":"error","errorType":"execution","error":"too many samples"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "prometheus error execution: too many samples");
}

}  // namespace
}  // namespace kedastral::io
