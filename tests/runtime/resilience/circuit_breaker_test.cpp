#include "runtime/resilience/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace aragora::resilience {
namespace {

using namespace std::chrono_literals;
using clock = circuit_breaker::clock;

TEST(CircuitBreaker, OpensAfterTheThresholdOfConsecutiveFailures) {
  circuit_breaker b{2, 10s};
  clock::time_point t{};
  EXPECT_TRUE(b.allow(t));
  b.record_failure(t);
  EXPECT_EQ(b.state(t), breaker_state::closed);
  b.record_success(t);  // a success resets the count
  b.record_failure(t);
  EXPECT_EQ(b.state(t), breaker_state::closed);
  b.record_failure(t);
  EXPECT_EQ(b.state(t), breaker_state::open);
  EXPECT_FALSE(b.allow(t + 5s));
  EXPECT_EQ(b.retry_after(t + 4s), 6s);
  EXPECT_EQ(b.times_opened(), 1u);
}

TEST(CircuitBreaker, HalfOpenAdmitsOneTrialAndASuccessCloses) {
  circuit_breaker b{2, 10s};
  clock::time_point t{};
  b.record_failure(t);
  b.record_failure(t);
  auto later = t + 10s;
  EXPECT_EQ(b.state(later), breaker_state::half_open);
  EXPECT_TRUE(b.allow(later));
  EXPECT_FALSE(b.allow(later));  // one trial at a time
  b.record_success(later);
  EXPECT_EQ(b.state(later), breaker_state::closed);
  EXPECT_TRUE(b.allow(later));
}

TEST(CircuitBreaker, AFailedTrialReopensForAFreshRecovery) {
  circuit_breaker b{2, 10s};
  clock::time_point t{};
  b.record_failure(t);
  b.record_failure(t);
  auto trial = t + 12s;
  ASSERT_TRUE(b.allow(trial));
  b.record_failure(trial);
  EXPECT_EQ(b.state(trial), breaker_state::open);
  EXPECT_FALSE(b.allow(trial + 9s));        // cooldown restarted at the trial
  EXPECT_TRUE(b.allow(trial + 10s));        // and a new trial after it
  EXPECT_EQ(b.times_opened(), 2u);
}

TEST(CircuitBreaker, NeverWedgesInHalfOpen) {
  // The Python quirk: success, failure, success in half-open left no admissions.
  circuit_breaker b{1, 1s};
  clock::time_point t{};
  b.record_failure(t);
  for (int i = 0; i < 5; ++i) {
    auto now = t + std::chrono::seconds{2 * (i + 1)};
    ASSERT_TRUE(b.allow(now)) << i;
    if (i % 2)
      b.record_success(now);
    else
      b.record_failure(now);
    if (i % 2) b.record_failure(now);  // reopen to test the next trial
  }
}

}  // namespace
}  // namespace aragora::resilience
