#include "io/replay_source.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace kedastral::io {
namespace {

using std::chrono::minutes;

// 0, 1, 2, 3 at one-minute steps from a whole-day boundary.
const TimePoint kDay = TimePoint(Duration(19'000LL * 86'400'000));

Series Recording() {
  Series s;
  s.start = kDay;
  s.step = minutes(1);
  s.values = {0, 1, 2, 3};
  return s;
}

loop::FetchRequest Request(TimePoint from, TimePoint to, Duration step = minutes(1)) {
  return loop::FetchRequest{"w", "q", from, to, step};
}

TEST(ReplaySourceTest, LoopsOverWallClockTime) {
  ReplaySource src(Recording());
  const TimePoint later = kDay + minutes(4 * 1000 + 1);  // many loops later, index 1
  auto s = src.Read(Request(later, later + minutes(4)), later + minutes(10));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->start, later);
  EXPECT_EQ(s->values, (std::vector<double>{1, 2, 3, 0}));
}

TEST(ReplaySourceTest, NeverReturnsTheFuture) {
  ReplaySource src(Recording());
  auto s = src.Read(Request(kDay, kDay + minutes(4)), kDay + minutes(1) + std::chrono::seconds(30));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->values, (std::vector<double>{0, 1}));
}

TEST(ReplaySourceTest, AlignsTheStartToTheGrid) {
  ReplaySource src(Recording());
  auto s = src.Read(Request(kDay + std::chrono::seconds(10), kDay + minutes(3)), kDay + minutes(9));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->start, kDay + minutes(1));
  EXPECT_EQ(s->values, (std::vector<double>{1, 2}));
}

TEST(ReplaySourceTest, CoarserStepAverages) {
  ReplaySource src(Recording());
  auto s = src.Read(Request(kDay, kDay + minutes(4), minutes(2)), kDay + minutes(9));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->step, minutes(2));
  EXPECT_EQ(s->values, (std::vector<double>{0.5, 2.5}));
}

TEST(ReplaySourceTest, FetchCompletesOnTheLoop) {
  ReplaySource src(Recording(), [] { return kDay + minutes(100); });
  boost::asio::io_context ioc;
  Result<Series> got = Fail(Error::Internal("not run"));
  boost::asio::co_spawn(ioc, src.Fetch(Request(kDay + minutes(96), kDay + minutes(98))),
                        [&](std::exception_ptr e, Result<Series> r) {
                          ASSERT_FALSE(e);
                          got = std::move(r);
                        });
  ioc.run();
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->values, (std::vector<double>{0, 1}));
}

TEST(ReplaySourceTest, OpenReportsMissingFile) {
  auto s = ReplaySource::Open("/nonexistent/demo.csv");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("/nonexistent/demo.csv"), std::string::npos);
}

TEST(ReplaySourceTest, OpensTheBundledDemo) {
  auto s = ReplaySource::Open(KEDASTRAL_SOURCE_DIR "/examples/demo.csv");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)->series().step, minutes(1));
  EXPECT_EQ((*s)->series().size(), 5760u);
}

}  // namespace
}  // namespace kedastral::io
