#include "bench/loadgen/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace aragora::loadgen {
namespace {

TEST(Histogram, ExactBelowSixtyFourMicroseconds) {
  latency_histogram h;
  for (uint64_t v = 1; v <= 50; ++v) h.record(v);
  EXPECT_EQ(h.count(), 50u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 50u);
  EXPECT_EQ(h.percentile(50), 25u);
  EXPECT_EQ(h.percentile(100), 50u);
  EXPECT_EQ(h.percentile(0), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 25.5);
}

TEST(Histogram, PercentilesWithinTwoPercentOfTheExactValue) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> dist(10.0, 1.5);  // ~ 22 ms median, long tail
  std::vector<uint64_t> values;
  latency_histogram h;
  for (int i = 0; i < 200'000; ++i) {
    auto v = static_cast<uint64_t>(dist(rng)) + 1;
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 95.0, 99.0, 99.9}) {
    auto rank = static_cast<size_t>(std::ceil(p / 100.0 * values.size())) - 1;
    double exact = static_cast<double>(values[rank]);
    EXPECT_NEAR(static_cast<double>(h.percentile(p)), exact, exact * 0.02) << p;
  }
  EXPECT_EQ(h.max(), values.back());
}

TEST(Histogram, BucketsCoverEveryValueOnce) {
  for (uint64_t v : std::vector<uint64_t>{0, 1, 63, 64, 65, 127, 128, 1000, 123456789,
                                          (uint64_t{1} << 40) + 12345, UINT64_MAX}) {
    auto b = latency_histogram::bucket_of(v);
    EXPECT_LE(latency_histogram::bucket_low(b), v) << v;
    EXPECT_GE(latency_histogram::bucket_high(b), v) << v;
  }
  latency_histogram empty;
  EXPECT_EQ(empty.percentile(99), 0u);
}

TEST(Histogram, HighPercentilesAreNotRoundedUpToTheMaximum) {
  latency_histogram h;
  for (uint64_t v = 1; v <= 1000; ++v) h.record(v < 1000 ? 10 : 5000);
  EXPECT_EQ(h.percentile(99.9), 10u);  // rank 999, not 1000
  EXPECT_EQ(h.percentile(100), 5000u);
}

TEST(Histogram, MergeAddsCounts) {
  latency_histogram a, b;
  a.record(10);
  b.record(1000);
  b.record(2000);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min(), 10u);
  EXPECT_EQ(a.max(), 2000u);
}

}  // namespace
}  // namespace aragora::loadgen
