#include "io/snapshot_codec.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "snapshot.pb.h"

namespace kedastral::io {
namespace {

Snapshot Sample() {
  Snapshot s;
  s.workload = "api";
  s.metric = "sum(rate(x[1m]))";
  s.generated_at = TimePoint(Duration(1'700'000'000'123));
  s.start = TimePoint(Duration(1'700'000'040'000));
  s.step = Duration(60000);
  s.horizon = Duration(180000);
  s.values = {1.5, 2.5, 3.5};
  s.quantiles = {{0.9, {2, 3, 4}}, {0.99, {3, 4, 5}}};
  s.replicas = {1, 2, 3};
  s.model = "auto:seasonal_naive";
  s.config_fingerprint = "abc123";
  s.sequence = 42;
  s.last_error = "source timeout";
  s.last_error_at = TimePoint(Duration(1'700'000'000'000));
  s.consecutive_failures = 2;
  AccuracyStats a;
  a.window = Duration(3600000);
  a.points = 60;
  a.mase = 0.8;
  s.accuracy = {a};
  s.mase_scale = "naive1";
  s.underprovision_seconds_total = 12.5;
  s.actuals = {TimePoint(Duration(1'699'999'000'000)), Duration(60000), {1, 2}};
  s.earlier_forecasts = {{TimePoint(Duration(1'699'999'900'000)), {TimePoint(Duration(1'700'000'000'000)), Duration(60000), {7, 8}}}};
  return s;
}

v1::Snapshot Parsed(const std::string& bytes) {
  v1::Snapshot m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

TEST(SnapshotCodecTest, RoundTripKeepsEveryField) {
  const Snapshot s = Sample();
  auto out = DecodeSnapshot(EncodeSnapshot(s, 7, "peer-a"));
  ASSERT_TRUE(out) << out.error().message;
  const Snapshot& d = *out->snapshot;
  EXPECT_EQ(out->leader_epoch, 7u);
  EXPECT_EQ(out->publisher, "peer-a");
  EXPECT_EQ(d.workload, s.workload);
  EXPECT_EQ(d.metric, s.metric);
  EXPECT_EQ(d.generated_at, s.generated_at);
  EXPECT_EQ(d.start, s.start);
  EXPECT_EQ(d.step, s.step);
  EXPECT_EQ(d.horizon, s.horizon);
  EXPECT_EQ(d.values, s.values);
  ASSERT_EQ(d.quantiles.size(), 2u);
  EXPECT_EQ(d.quantiles[1].level, 0.99);
  EXPECT_EQ(d.quantiles[1].values, s.quantiles[1].values);
  EXPECT_EQ(d.replicas, s.replicas);
  EXPECT_EQ(d.model, s.model);
  EXPECT_EQ(d.config_fingerprint, s.config_fingerprint);
  EXPECT_EQ(d.sequence, 42u);
  EXPECT_EQ(d.last_error, s.last_error);
  EXPECT_EQ(d.last_error_at, s.last_error_at);
  EXPECT_EQ(d.consecutive_failures, 2u);
  ASSERT_EQ(d.accuracy.size(), 1u);
  EXPECT_EQ(d.accuracy[0].points, 60u);
  EXPECT_TRUE(std::isnan(d.accuracy[0].mape));  // NaN means "undefined" and survives
  EXPECT_EQ(d.mase_scale, "naive1");
  EXPECT_EQ(d.actuals.values, s.actuals.values);
  ASSERT_EQ(d.earlier_forecasts.size(), 1u);
  EXPECT_EQ(d.earlier_forecasts[0].p50.values, (std::vector<double>{7, 8}));
}

TEST(SnapshotCodecTest, ErrorOnlySnapshotRoundTrips) {
  Snapshot s;
  s.workload = "api";
  s.last_error = "no data";
  auto out = DecodeSnapshot(EncodeSnapshot(s, 0, "p"));
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->snapshot->has_forecast());
  EXPECT_EQ(out->snapshot->last_error, "no data");
}

TEST(SnapshotCodecTest, RejectsGarbage) {
  EXPECT_FALSE(DecodeSnapshot(std::string("\xff\xff\xff\xff garbage", 12)));
}

TEST(SnapshotCodecTest, RejectsOversizedPayload) {
  std::string huge(kMaxSnapshotBytes + 1, '\0');
  auto out = DecodeSnapshot(huge);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kParse);
}

TEST(SnapshotCodecTest, RejectsReplicasOfOtherLength) {
  auto m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.add_replicas(4);
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
}

TEST(SnapshotCodecTest, RejectsQuantileOfOtherLength) {
  auto m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.mutable_quantiles(0)->add_values(1);
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
}

TEST(SnapshotCodecTest, RejectsNonFiniteForecastValue) {
  auto m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.set_p50(1, std::numeric_limits<double>::infinity());
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
  auto q = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  q.mutable_quantiles(1)->set_values(0, std::nan(""));
  EXPECT_FALSE(DecodeSnapshot(q.SerializeAsString()));
}

TEST(SnapshotCodecTest, RejectsNonPositiveStep) {
  auto m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.set_step_ms(0);
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
}

// Found by fuzz_snapshot_codec (UBSan): a payload with start_ms near INT64_MIN decoded,
// and MaxReplicasInWindow then overflowed computing now - start on every request.
TEST(SnapshotCodecTest, RejectsTimesBeforeTheEpochOrAfterYear9999) {
  auto m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.set_start_ms(-9'223'372'036'854'775'807);
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
  m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.set_generated_at_ms(kMaxSnapshotTimeMs + 1);
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
  m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.mutable_actuals()->set_start_ms(-1);
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
}

TEST(SnapshotCodecTest, RejectsStepLongerThanAYear) {
  auto m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.set_step_ms(kMaxSnapshotStepMs + 1);
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
  m.set_step_ms(kMaxSnapshotStepMs);
  EXPECT_TRUE(DecodeSnapshot(m.SerializeAsString()));
}

TEST(SnapshotCodecTest, RejectsUnorderedQuantileLevels) {
  auto m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.mutable_quantiles(1)->set_level(0.5);
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
}

TEST(SnapshotCodecTest, RejectsNegativeReplicas) {
  auto m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.set_replicas(0, -1);
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
}

TEST(SnapshotCodecTest, RejectsEmptyWorkload) {
  auto m = Parsed(EncodeSnapshot(Sample(), 1, "p"));
  m.clear_workload();
  EXPECT_FALSE(DecodeSnapshot(m.SerializeAsString()));
}

}  // namespace
}  // namespace kedastral::io
