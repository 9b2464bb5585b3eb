#include "runtime/base/resilience/circuit_breaker.hpp"

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

TEST(CircuitBreaker, AnAbandonedTrialLetsTheNextCallBeTheTrial) {
  circuit_breaker b{1, 10s};
  clock::time_point t{};
  b.record_failure(t);
  auto later = t + 10s;
  EXPECT_TRUE(b.allow(later));
  EXPECT_FALSE(b.allow(later));
  b.abandon_trial();
  EXPECT_EQ(b.state(later), breaker_state::half_open);
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

TEST(CircuitBreaker, SuccessFailureSuccessInHalfOpenKeepsAdmitting) {
  // The Python quirk: after success, failure, success around half-open, no call was admitted.
  circuit_breaker b{1, 1s};
  clock::time_point t{};
  b.record_failure(t);
  auto t1 = t + 1s;
  ASSERT_TRUE(b.allow(t1));
  b.record_success(t1);
  EXPECT_EQ(b.state(t1), breaker_state::closed);
  b.record_failure(t1);  // threshold 1: open again
  EXPECT_EQ(b.state(t1), breaker_state::open);
  EXPECT_FALSE(b.allow(t1));
  auto t2 = t1 + 1s;
  ASSERT_TRUE(b.allow(t2));
  b.record_success(t2);
  EXPECT_EQ(b.state(t2), breaker_state::closed);
  EXPECT_TRUE(b.allow(t2));
  EXPECT_TRUE(b.allow(t2));
  EXPECT_EQ(b.times_opened(), 2u);
}

TEST(CircuitBreaker, ATrialThatNeverReportsLapsesAfterRecovery) {
  circuit_breaker b{1, 1s};
  clock::time_point t{};
  b.record_failure(t);
  auto trial = t + 1s;
  ASSERT_TRUE(b.allow(trial));  // this caller never reports back
  EXPECT_FALSE(b.allow(trial + 500ms));
  EXPECT_TRUE(b.allow(trial + 1s));  // the lost trial lapsed; a new one goes ahead
  EXPECT_FALSE(b.allow(trial + 1s));
  b.record_success(trial + 1s);
  EXPECT_EQ(b.state(trial + 1s), breaker_state::closed);
}

}  // namespace
}  // namespace aragora::resilience
