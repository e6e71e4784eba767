#include "loop/history.h"

#include <cmath>

#include <gtest/gtest.h>

namespace kedastral::loop {
namespace {

using std::chrono::minutes;

const TimePoint kT0 = TimePoint(Duration(1'700'000'000'000));

Series Points(TimePoint start, std::vector<double> v) {
  Series s;
  s.start = start;
  s.step = minutes(1);
  s.values = std::move(v);
  return s;
}

TEST(HistoryTest, AppendsInOrder) {
  History h(minutes(1), 10);
  h.Merge(Points(kT0, {1, 2, 3}));
  Series s = h.Copy();
  EXPECT_EQ(s.start, kT0);
  EXPECT_EQ(s.values, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(h.End(), kT0 + minutes(3));
}

TEST(HistoryTest, DropsPointsThatLeaveTheWindow) {
  History h(minutes(1), 3);
  h.Merge(Points(kT0, {1, 2, 3, 4, 5}));
  Series s = h.Copy();
  EXPECT_EQ(s.start, kT0 + minutes(2));
  EXPECT_EQ(s.values, (std::vector<double>{3, 4, 5}));
}

TEST(HistoryTest, LateSamplesOverwrite) {
  History h(minutes(1), 10);
  h.Merge(Points(kT0, {1, 2, 3}));
  h.Merge(Points(kT0 + minutes(2), {30, 4}));
  EXPECT_EQ(h.Copy().values, (std::vector<double>{1, 2, 30, 4}));
}

TEST(HistoryTest, ShortGapIsInterpolated) {
  History h(minutes(1), 10, 5);
  h.Merge(Points(kT0, {0}));
  h.Merge(Points(kT0 + minutes(4), {8}));
  EXPECT_EQ(h.Copy().values, (std::vector<double>{0, 2, 4, 6, 8}));
}

TEST(HistoryTest, LongGapIsMaskedAndKeepsTheOlderPoints) {
  History h(minutes(1), 100, 1);
  h.Merge(Points(kT0, {1, 2}));
  h.Merge(Points(kT0 + minutes(4), {5}));
  Series s = h.Copy();
  EXPECT_EQ(s.start, kT0);
  EXPECT_EQ(s.values, (std::vector<double>{1, 2, 3, 4, 5}));  // bridged, all finite
  EXPECT_EQ(h.Mask(), (std::vector<bool>{false, false, true, true, false}));
  EXPECT_EQ(h.masked(), 2u);
}

TEST(HistoryTest, LateSampleFillsAMaskedStep) {
  History h(minutes(1), 100, 0);
  h.Merge(Points(kT0, {1}));
  h.Merge(Points(kT0 + minutes(3), {4}));
  h.Merge(Points(kT0 + minutes(1), {10}));
  EXPECT_EQ(h.Mask(), (std::vector<bool>{false, false, true, false}));
  EXPECT_EQ(h.Copy().values, (std::vector<double>{1, 10, 7, 4}));
}

TEST(HistoryTest, MaskedStepsAtTheOldEndAreLeftOutOfTheCopy) {
  History h(minutes(1), 4, 0);
  h.Merge(Points(kT0, {1}));
  h.Merge(Points(kT0 + minutes(3), {4, 5}));  // ring: [masked, masked, 4, 5]
  Series s = h.Copy();
  EXPECT_EQ(s.start, kT0 + minutes(3));
  EXPECT_EQ(s.values, (std::vector<double>{4, 5}));
  EXPECT_EQ(h.Mask(), (std::vector<bool>{false, false}));
}

TEST(HistoryTest, GapLongerThanTheWindowStartsOver) {
  History h(minutes(1), 10, 2);
  h.Merge(Points(kT0, {1, 2}));
  h.Merge(Points(kT0 + minutes(30), {7}));
  Series s = h.Copy();
  EXPECT_EQ(s.start, kT0 + minutes(30));
  EXPECT_EQ(s.values, (std::vector<double>{7}));
}

TEST(HistoryTest, NonFiniteValuesAreTreatedAsMissing) {
  History h(minutes(1), 10, 5);
  h.Merge(Points(kT0, {1, std::nan(""), INFINITY, 4}));
  EXPECT_EQ(h.Copy().values, (std::vector<double>{1, 2, 3, 4}));
}

TEST(HistoryTest, OlderPointsThanTheWindowAreIgnored) {
  History h(minutes(1), 3);
  h.Merge(Points(kT0 + minutes(5), {5, 6, 7}));
  h.Merge(Points(kT0, {0}));
  EXPECT_EQ(h.Copy().values, (std::vector<double>{5, 6, 7}));
}

TEST(HistoryTest, WrapsAroundTheRingManyTimes) {
  History h(minutes(1), 4);
  for (int i = 0; i < 50; ++i) h.Merge(Points(kT0 + minutes(i), {static_cast<double>(i)}));
  EXPECT_EQ(h.Copy().values, (std::vector<double>{46, 47, 48, 49}));
  EXPECT_EQ(h.start(), kT0 + minutes(46));
}

}  // namespace
}  // namespace kedastral::loop
