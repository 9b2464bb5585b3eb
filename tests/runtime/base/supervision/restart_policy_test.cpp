// When a supervisor restarts a dead child, pure (label unit): backoff with jitter, a stable child
// resets it, a crash loop opens the breaker, a trial after recovery closes it again.

#include "runtime/base/supervision/restart_policy.hpp"

#include <gtest/gtest.h>

namespace aragora::supervision {
namespace {

using namespace std::chrono_literals;
using resilience::breaker_state;
using clock_t_ = restart_policy::clock;

restart_options opts() {
  return {.base = 100ms, .cap = 1s, .stable_after = 2s, .breaker_failures = 3,
          .breaker_recovery = 10s};
}

TEST(RestartPolicy, BacksOffExponentiallyWithinThirtyPercentAndUpToTheCap) {
  restart_options o = opts();
  o.breaker_failures = 100;
  restart_policy p{o};
  auto t = clock_t_::now();
  p.started(t);
  std::vector<clock_t_::duration> mid;
  for (int i = 0; i < 6; ++i) {
    auto d = p.on_death(t, 0.5);
    ASSERT_TRUE(d.restart);
    mid.push_back(d.delay);
    p.started(t);
  }
  EXPECT_EQ(mid[0], 100ms);
  EXPECT_EQ(mid[1], 200ms);
  EXPECT_EQ(mid[2], 400ms);
  EXPECT_EQ(mid[3], 800ms);
  EXPECT_EQ(mid[4], 1s);  // capped
  EXPECT_EQ(mid[5], 1s);
  restart_policy q{o};
  q.started(t);
  EXPECT_EQ(q.on_death(t, 0.0).delay, 70ms);
  restart_policy r{o};
  r.started(t);
  auto top = r.on_death(t, 0.999999).delay;
  EXPECT_GT(top, 129ms);
  EXPECT_LE(top, 130ms);
}

TEST(RestartPolicy, AChildThatStayedUpStartsTheBackoffAgainAndKeepsTheBreakerClosed) {
  restart_policy p{opts()};
  auto t = clock_t_::now();
  for (int i = 0; i < 10; ++i) {
    p.started(t);
    t += 3s;  // up longer than stable_after
    auto d = p.on_death(t, 0.5);
    ASSERT_TRUE(d.restart) << i;
    EXPECT_EQ(d.delay, 100ms);
    EXPECT_EQ(p.breaker(t), breaker_state::closed);
  }
  EXPECT_EQ(p.times_opened(), 0u);
}

TEST(RestartPolicy, ACrashLoopOpensTheBreakerAndAStableTrialClosesIt) {
  restart_policy p{opts()};
  auto t = clock_t_::now();
  p.started(t);
  ASSERT_TRUE(p.on_death(t + 10ms, 0.5).restart);
  p.started(t + 200ms);
  ASSERT_TRUE(p.on_death(t + 210ms, 0.5).restart);
  p.started(t + 500ms);
  auto third = p.on_death(t + 510ms, 0.5);
  EXPECT_FALSE(third.restart);
  EXPECT_EQ(p.breaker(t + 510ms), breaker_state::open);
  EXPECT_EQ(third.delay, 10s);
  EXPECT_EQ(p.times_opened(), 1u);
  // Refused until the recovery has passed, then exactly one trial.
  EXPECT_FALSE(p.may_start(t + 5s));
  auto later = t + 510ms + 10s;
  ASSERT_TRUE(p.may_start(later));
  EXPECT_FALSE(p.may_start(later));
  p.started(later);
  EXPECT_EQ(p.breaker(later), breaker_state::half_open);
  p.tick(later + 1s);
  EXPECT_EQ(p.breaker(later + 1s), breaker_state::half_open);
  p.tick(later + 2s);
  EXPECT_EQ(p.breaker(later + 2s), breaker_state::closed);
}

TEST(RestartPolicy, ATrialThatDiesOpensTheBreakerAgain) {
  restart_policy p{opts()};
  auto t = clock_t_::now();
  for (int i = 0; i < 3; ++i) {
    p.started(t);
    (void)p.on_death(t, 0.5);
  }
  ASSERT_EQ(p.breaker(t), breaker_state::open);
  t += 10s;
  ASSERT_TRUE(p.may_start(t));
  p.started(t);
  auto d = p.on_death(t + 100ms, 0.5);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(p.breaker(t + 100ms), breaker_state::open);
  EXPECT_EQ(p.times_opened(), 2u);
}

TEST(RestartPolicy, ASharedBreakerWithNoChildToTryClosesOnceTheCrashesStop) {
  // The debates share one policy: after a crash loop there may be no debate to try.
  restart_policy p{opts()};
  auto t = clock_t_::now();
  for (int i = 0; i < 3; ++i) (void)p.on_death(t, 0.5);
  ASSERT_EQ(p.breaker(t), breaker_state::open);
  p.tick(t + 10s);
  EXPECT_EQ(p.breaker(t + 10s), breaker_state::half_open);  // recovered, not yet quiet for long
  p.tick(t + 12s);
  EXPECT_EQ(p.breaker(t + 12s), breaker_state::closed);
  // And it counts from zero again.
  (void)p.on_death(t + 13s, 0.5);
  EXPECT_EQ(p.breaker(t + 13s), breaker_state::closed);
}

}  // namespace
}  // namespace aragora::supervision
