#include "runtime/base/timer/timer_service.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>

namespace aragora::timer {
namespace {

using namespace std::chrono_literals;

TEST(TimerService, DeliversToAnActorAfterTheDelay) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  timer_service timers;
  caf::scoped_actor self{sys};
  auto start = std::chrono::steady_clock::now();
  timers.schedule(30ms, caf::actor_cast<caf::strong_actor_ptr>(self), caf::make_message(7));
  int got = 0;
  self->receive([&](int x) { got = x; }, caf::after(2s) >> [] { FAIL() << "no delivery"; });
  EXPECT_EQ(got, 7);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
  EXPECT_EQ(timers.pending(), 0u);
  timers.stop();
}

TEST(TimerService, CancelledDeliveriesNeverArrive) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  timer_service timers;
  caf::scoped_actor self{sys};
  auto target = caf::actor_cast<caf::strong_actor_ptr>(self);
  auto h = timers.schedule(20ms, target, caf::make_message(1));
  timers.schedule(40ms, target, caf::make_message(2));
  EXPECT_TRUE(timers.cancel(h));
  EXPECT_FALSE(timers.cancel(h));
  int got = 0;
  self->receive([&](int x) { got = x; }, caf::after(2s) >> [] { FAIL() << "no delivery"; });
  EXPECT_EQ(got, 2);
  timers.stop();
}

TEST(TimerService, StopDropsPendingDeliveries) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  timer_service timers;
  caf::scoped_actor self{sys};
  for (int i = 0; i < 100; ++i)
    timers.schedule(10s, caf::actor_cast<caf::strong_actor_ptr>(self), caf::make_message(i));
  EXPECT_EQ(timers.pending(), 100u);
  timers.stop();
  EXPECT_EQ(timers.pending(), 0u);
  EXPECT_EQ(timers.schedule(1ms, caf::actor_cast<caf::strong_actor_ptr>(self),
                            caf::make_message(0)),
            0u);
}

}  // namespace
}  // namespace aragora::timer
