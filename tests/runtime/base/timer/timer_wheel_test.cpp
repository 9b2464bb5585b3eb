#include "runtime/base/timer/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace aragora::timer {
namespace {

TEST(TimerWheel, FiresAtTheDueTickAndNotBefore) {
  timer_wheel<int> w(8);
  w.add(3, 30);
  w.add(1, 10);
  std::vector<int> due;
  w.advance(0, due);
  EXPECT_TRUE(due.empty());
  w.advance(2, due);
  EXPECT_EQ(due, std::vector<int>{10});
  due.clear();
  w.advance(3, due);
  EXPECT_EQ(due, std::vector<int>{30});
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, EntriesBeyondOneLapWaitForTheirLap) {
  timer_wheel<int> w(4);
  w.add(2, 1);
  w.add(6, 2);  // same slot, next lap
  w.add(14, 3);
  std::vector<int> due;
  w.advance(2, due);
  EXPECT_EQ(due, std::vector<int>{1});
  due.clear();
  w.advance(5, due);
  EXPECT_TRUE(due.empty());
  w.advance(6, due);
  EXPECT_EQ(due, std::vector<int>{2});
  due.clear();
  w.advance(100, due);  // a long jump visits every slot once
  EXPECT_EQ(due, std::vector<int>{3});
}

TEST(TimerWheel, CancelRemovesAndStaleHandlesFail) {
  timer_wheel<int> w(16);
  auto a = w.add(5, 1);
  auto b = w.add(5, 2);
  EXPECT_TRUE(w.cancel(a));
  EXPECT_FALSE(w.cancel(a));
  EXPECT_FALSE(w.cancel(0));
  EXPECT_FALSE(w.cancel(0xFFFFFFFFull));
  std::vector<int> due;
  w.advance(5, due);
  EXPECT_EQ(due, std::vector<int>{2});
  EXPECT_FALSE(w.cancel(b));  // fired
  // The freed node is reused with a new generation: the old handle stays dead.
  auto c = w.add(9, 3);
  EXPECT_FALSE(w.cancel(a));
  EXPECT_TRUE(w.cancel(c));
}

TEST(TimerWheel, PastDueEntriesFireOnTheNextAdvance) {
  timer_wheel<int> w(8);
  std::vector<int> due;
  w.advance(10, due);
  w.add(3, 7);
  w.advance(11, due);
  EXPECT_EQ(due, std::vector<int>{7});
}

TEST(TimerWheel, AnEntryDueNowFiresOnTheNextTickNotALapLater) {
  // Its slot was visited already this tick; left there it would wait for the next lap.
  timer_wheel<int> w(8);
  std::vector<int> due;
  w.advance(10, due);
  w.add(10, 1);
  w.advance(11, due);
  EXPECT_EQ(due, std::vector<int>{1});
}

TEST(TimerWheel, AStaleHandleCannotCancelTheTimerThatReusedItsNode) {
  timer_wheel<int> w(8);
  auto old = w.add(5, 1);
  ASSERT_TRUE(w.cancel(old));
  auto reused = w.add(6, 2);  // takes the freed node
  ASSERT_EQ(reused & 0xFFFFFFFFu, old & 0xFFFFFFFFu);
  EXPECT_FALSE(w.cancel(old));
  EXPECT_EQ(w.size(), 1u);
  std::vector<int> due;
  w.advance(6, due);
  EXPECT_EQ(due, std::vector<int>{2});
}

TEST(TimerWheel, ManyRandomTimersFireExactlyOnceAtTheirTick) {
  timer_wheel<uint64_t> w(64);
  std::mt19937_64 rng(5);
  std::vector<uint64_t> due_at(20'000);
  std::vector<uint64_t> handles(due_at.size());
  for (size_t i = 0; i < due_at.size(); ++i) {
    due_at[i] = 1 + rng() % 1000;
    handles[i] = w.add(due_at[i], i);
  }
  std::vector<bool> cancelled(due_at.size());
  for (size_t i = 0; i < due_at.size(); i += 3) cancelled[i] = w.cancel(handles[i]);
  std::vector<uint64_t> due;
  std::vector<int> fired(due_at.size(), 0);
  for (uint64_t t = 1; t <= 1000; t += 1 + rng() % 7) {
    due.clear();
    w.advance(t, due);
    for (auto i : due) {
      EXPECT_LE(due_at[i], t);
      ++fired[i];
    }
  }
  due.clear();
  w.advance(1001, due);
  for (auto i : due) ++fired[i];
  for (size_t i = 0; i < due_at.size(); ++i) EXPECT_EQ(fired[i], cancelled[i] ? 0 : 1) << i;
  EXPECT_TRUE(w.empty());
}

}  // namespace
}  // namespace aragora::timer
