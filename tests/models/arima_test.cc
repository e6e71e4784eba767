// ARIMA on synthetic series with known structure: coefficient recovery,
// differencing undone in the forecast, seasonal differencing.
#include "models/arima.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "test_series.h"

namespace kedastral::models {
namespace {

using std::chrono::minutes;
using synth::DailySine;
using synth::MakeSeries;
using synth::Noise;

TEST(ArimaHelpersTest, PacfOfOneLagIsTheCoefficient) {
  const std::vector<double> r{0.4};
  EXPECT_DOUBLE_EQ(PacfToCoefficients(r)[0], 0.4);
}

TEST(ArimaHelpersTest, PacfOfTwoLagsFollowsDurbinLevinson) {
  const std::vector<double> r{0.5, 0.2};
  const std::vector<double> phi = PacfToCoefficients(r);
  ASSERT_EQ(phi.size(), 2u);
  EXPECT_DOUBLE_EQ(phi[0], 0.5 - 0.2 * 0.5);
  EXPECT_DOUBLE_EQ(phi[1], 0.2);
}

TEST(ArimaHelpersTest, DifferencingTermsExpandTheProduct) {
  // (1 - B)(1 - B^4) = 1 - B - B^4 + B^5: y_t = w_t + y_{t-1} + y_{t-4} - y_{t-5}.
  const auto terms = DifferencingTerms(1, 1, 4);
  const std::vector<std::pair<size_t, double>> expected{{1, 1.0}, {4, 1.0}, {5, -1.0}};
  EXPECT_EQ(terms, expected);
}

TEST(ArimaHelpersTest, CssIsZeroForAnExactAr1Path) {
  std::vector<double> w{1.0};
  for (int i = 0; i < 20; ++i) w.push_back(0.5 * w.back());
  ArimaSpec spec;
  spec.p = 1;
  spec.phi = {0.5};
  EXPECT_NEAR(ArimaCss(w, spec, nullptr), 0.0, 1e-20);
}

TEST(ArimaModelTest, RecoversAr1Coefficient) {
  Noise noise(1, 7);
  double x = 0;
  const Series s =
      MakeSeries(minutes(1), 3000, [&](size_t) { return 50 + (x = 0.6 * x + noise()); });
  ArimaModel model({});
  ASSERT_TRUE(model.Fit(s).has_value());
  const ArimaSpec& spec = model.spec();
  EXPECT_EQ(spec.d, 0u);
  EXPECT_EQ(spec.seasonal_d, 0u);
  ASSERT_GE(spec.p, 1u);
  EXPECT_NEAR(spec.phi[0], 0.6, 0.08);
  EXPECT_NEAR(spec.mu, 50, 0.5);
}

TEST(ArimaModelTest, ExtrapolatesLinearTrendThroughDifferencing) {
  Noise noise(0.5, 3);
  const Series s = MakeSeries(
      minutes(1), 2000, [&](size_t i) { return 10 + 0.2 * static_cast<double>(i) + noise(); });
  ArimaModel model({});
  ASSERT_TRUE(model.Fit(s).has_value());
  EXPECT_EQ(model.spec().d, 1u);
  auto f = model.Predict(60);
  ASSERT_TRUE(f.has_value());
  for (size_t k : {0u, 29u, 59u}) {
    const double truth = 10 + 0.2 * static_cast<double>(2000 + k);
    EXPECT_NEAR(f->p50[k], truth, 2.0) << "step " << k + 1;
  }
}

TEST(ArimaModelTest, SeasonalSeriesUsesSeasonalDifferencing) {
  constexpr size_t kDay = 288;  // 5-minute steps
  Noise noise(2, 11);
  const Series s = MakeSeries(minutes(5), 5 * kDay,
                              [&](size_t i) { return DailySine(i, kDay, 100, 40) + noise(); });
  ArimaModel model({});
  ASSERT_TRUE(model.Fit(s).has_value());
  EXPECT_EQ(model.spec().seasonal_d, 1u);
  EXPECT_EQ(model.spec().period, kDay);
  auto f = model.Predict(72);  // six hours: a quarter of the cycle
  ASSERT_TRUE(f.has_value());
  double abs_error = 0;
  for (size_t k = 0; k < 72; ++k)
    abs_error += std::abs(f->p50[k] - DailySine(5 * kDay + k, kDay, 100, 40));
  EXPECT_LT(abs_error / 72, 3.0);
}

TEST(ArimaModelTest, RefitKeepsTheSelectedOrder) {
  Noise noise(1, 5);
  double x = 0;
  const Series s =
      MakeSeries(minutes(1), 2000, [&](size_t) { return 20 + (x = 0.5 * x + noise()); });
  ArimaModel model({});
  ASSERT_TRUE(model.Fit(s).has_value());
  const ArimaSpec first = model.spec();
  ASSERT_TRUE(model.Fit(s).has_value());
  EXPECT_EQ(model.spec().p, first.p);
  EXPECT_EQ(model.spec().q, first.q);
  EXPECT_LE(model.spec().css, first.css * (1 + 1e-6));
}

}  // namespace
}  // namespace kedastral::models
