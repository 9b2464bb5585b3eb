// Per-key rate limits: the burst, then refusal with the exact Retry-After; refill; independent
// keys; the bound on buckets and which bucket goes; retry_after never 0.

#include <gtest/gtest.h>

#include "net/edge/auth/rate_limiter.hpp"

namespace aragora::edge {
namespace {

using namespace std::chrono_literals;
using clock_type = rate_limiter::clock;

const clock_type::time_point t0 = clock_type::time_point{} + 1000h;

TEST(RateLimiter, DefaultsComeFromTheDefaultsTable) {
  rate_limit_options o;
  EXPECT_EQ(o.per_second, defaults::edge_rate_limit_per_s);
  EXPECT_EQ(o.burst, defaults::edge_rate_limit_burst);
  EXPECT_EQ(o.max_keys, defaults::edge_rate_limit_max_keys);
  rate_limiter r;
  for (uint32_t i = 0; i < defaults::edge_rate_limit_burst; ++i)
    ASSERT_TRUE(r.admit("ip:10.0.0.1", t0).allowed) << i;
  auto a = r.admit("ip:10.0.0.1", t0);
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_after_s, 1u);
}

TEST(RateLimiter, BurstThenRefusalWithTheExactRetryAfter) {
  // One token per 4 s, two at once.
  rate_limiter r{{.per_second = 0.25, .burst = 2, .max_keys = 10}};
  EXPECT_TRUE(r.admit("alice", t0).allowed);
  auto second = r.admit("alice", t0);
  EXPECT_TRUE(second.allowed);
  EXPECT_EQ(second.retry_after_s, 0u);
  auto a = r.admit("alice", t0);
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_after_s, 4u);
  EXPECT_EQ(r.admit("alice", t0 + 1500ms).retry_after_s, 3u);     // 2.5 s left
  EXPECT_EQ(r.admit("alice", t0 + 3s).retry_after_s, 1u);         // exactly 1 s left
  EXPECT_EQ(r.admit("alice", t0 + 3001ms).retry_after_s, 1u);     // 0.999 s left
  EXPECT_EQ(r.admit("alice", t0 + 4s - 1ns).retry_after_s, 1u);   // 1 ns left
  EXPECT_TRUE(r.admit("alice", t0 + 4s).allowed);
  a = r.admit("alice", t0 + 4s);
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_after_s, 4u);
}

TEST(RateLimiter, RefusedRequestsTakeNothing) {
  rate_limiter r{{.per_second = 1, .burst = 1, .max_keys = 10}};
  EXPECT_TRUE(r.admit("k", t0).allowed);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(r.admit("k", t0 + 10ms * i).allowed);
  EXPECT_TRUE(r.admit("k", t0 + 1s).allowed);
}

TEST(RateLimiter, RefillsOverTimeUpToTheBurst) {
  rate_limiter r{{.per_second = 10, .burst = 5, .max_keys = 10}};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(r.admit("k", t0).allowed);
  EXPECT_FALSE(r.admit("k", t0).allowed);
  EXPECT_FALSE(r.admit("k", t0 + 99ms).allowed);
  EXPECT_TRUE(r.admit("k", t0 + 100ms).allowed);  // one token per 100 ms
  EXPECT_FALSE(r.admit("k", t0 + 100ms).allowed);
  EXPECT_TRUE(r.admit("k", t0 + 350ms).allowed);  // 2.5 tokens back: 2 usable
  EXPECT_TRUE(r.admit("k", t0 + 350ms).allowed);
  EXPECT_FALSE(r.admit("k", t0 + 350ms).allowed);
  // A long quiet spell fills the bucket, never past the burst.
  auto later = t0 + 1h;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(r.admit("k", later).allowed) << i;
  EXPECT_FALSE(r.admit("k", later).allowed);
  // Steady traffic at the rate is always admitted.
  for (int i = 1; i <= 50; ++i) ASSERT_TRUE(r.admit("k", later + 100ms * i).allowed) << i;
}

TEST(RateLimiter, KeysAreIndependent) {
  rate_limiter r{{.per_second = 1, .burst = 2, .max_keys = 10}};
  EXPECT_TRUE(r.admit("alice", t0).allowed);
  EXPECT_TRUE(r.admit("alice", t0).allowed);
  EXPECT_FALSE(r.admit("alice", t0).allowed);
  EXPECT_TRUE(r.admit("bob", t0).allowed);
  EXPECT_TRUE(r.admit("bob", t0).allowed);
  EXPECT_FALSE(r.admit("bob", t0).allowed);
  EXPECT_EQ(r.size(), 2u);
}

TEST(RateLimiter, HoldsAtMostMaxKeysAndDropsTheLeastRecentlyUsed) {
  rate_limiter r{{.per_second = 1, .burst = 1, .max_keys = 3}};
  for (auto k : {"a", "b", "c"}) ASSERT_TRUE(r.admit(k, t0).allowed);  // all three empty now
  EXPECT_EQ(r.size(), 3u);
  EXPECT_FALSE(r.admit("a", t0).allowed);  // a is now the most recently used: b is the least
  EXPECT_TRUE(r.admit("d", t0).allowed);   // drops b
  EXPECT_EQ(r.size(), 3u);
  EXPECT_FALSE(r.admit("a", t0).allowed);  // kept, still empty
  EXPECT_FALSE(r.admit("d", t0).allowed);
  EXPECT_TRUE(r.admit("b", t0).allowed);   // dropped: a new, full bucket; this drops c
  EXPECT_TRUE(r.admit("c", t0).allowed);   // so c was dropped too (and this drops a)
  EXPECT_TRUE(r.admit("a", t0).allowed);
  EXPECT_EQ(r.size(), 3u);

  // Many keys: the bound holds.
  for (int i = 0; i < 10'000; ++i) (void)r.admit("ip:" + std::to_string(i), t0 + 1ms * i);
  EXPECT_EQ(r.size(), 3u);
}

TEST(RateLimiter, RetryAfterIsNeverZero) {
  // The next token is 1 ms away: still 1 s, since clients parse Retry-After as an integer.
  rate_limiter r{{.per_second = 1000, .burst = 1, .max_keys = 10}};
  ASSERT_TRUE(r.admit("k", t0).allowed);
  auto a = r.admit("k", t0);
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_after_s, 1u);
  // Every refusal, at any moment, says at least 1 s and at most the whole refill.
  rate_limiter slow{{.per_second = 0.1, .burst = 3, .max_keys = 10}};
  int refused = 0;
  for (int i = 0; i < 2000; ++i) {
    auto now = t0 + 7ms * i;
    auto x = slow.admit("k", now);
    if (x.allowed) {
      EXPECT_EQ(x.retry_after_s, 0u);
      continue;
    }
    ++refused;
    EXPECT_GE(x.retry_after_s, 1u);
    EXPECT_LE(x.retry_after_s, 10u);
  }
  EXPECT_GT(refused, 1900);
}

TEST(RateLimiter, ZeroRateMeansNoLimit) {
  rate_limiter r{{.per_second = 0, .burst = 1, .max_keys = 1}};
  EXPECT_TRUE(r.unlimited());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(r.admit("k", t0).allowed);
  EXPECT_EQ(r.size(), 0u);
}

TEST(RateLimiter, OutOfRangeOptionsAreClamped) {
  // burst 0 acts as 1, max_keys 0 as 1.
  rate_limiter r{{.per_second = 1, .burst = 0, .max_keys = 0}};
  EXPECT_FALSE(r.unlimited());
  EXPECT_TRUE(r.admit("a", t0).allowed);
  EXPECT_FALSE(r.admit("a", t0).allowed);
  EXPECT_TRUE(r.admit("b", t0).allowed);
  EXPECT_EQ(r.size(), 1u);
  // A rate below one a day waits a day, and a huge burst does not overflow.
  rate_limiter slow{{.per_second = 1e-12, .burst = UINT32_MAX, .max_keys = 1}};
  EXPECT_TRUE(slow.admit("a", t0).allowed);
  rate_limiter tiny{{.per_second = 1e-12, .burst = 1, .max_keys = 1}};
  EXPECT_TRUE(tiny.admit("a", t0).allowed);
  auto a = tiny.admit("a", t0);
  EXPECT_FALSE(a.allowed);
  EXPECT_EQ(a.retry_after_s, 86'400u);
}

}  // namespace
}  // namespace aragora::edge
