// The debate's persistence bookkeeping, pure (label unit): one write in flight, stale and lost
// acks, backoff, the hold limit, a replaced writer.

#include "actors/debate/actor/write_tracker.hpp"

#include <gtest/gtest.h>

namespace aragora::debate {
namespace {

using namespace std::chrono_literals;
using clock_t_ = write_tracker::clock;

std::vector<event_ref> events(uint32_t from, uint32_t to) {
  std::vector<event_ref> out;
  for (auto s = from; s <= to; ++s) out.push_back({s, event_type::agent_message, 1, s});
  return out;
}

TEST(WriteTracker, TheFirstWriteCarriesTheRecordAndTheStartAudit) {
  write_tracker t{{}};
  t.recorded(events(1, 3));
  ASSERT_TRUE(t.wants_write(false, false));
  auto w = t.begin(false, 3);
  EXPECT_TRUE(w.record);
  EXPECT_TRUE(w.start_audit);
  EXPECT_FALSE(w.final);
  EXPECT_TRUE(t.busy());
  auto o = t.acked(w.token, true, clock_t_::now());
  auto* d = std::get_if<write_tracker::done>(&o);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->events_written, 3u);
  EXPECT_EQ(d->durable_seq, 3u);
  EXPECT_FALSE(t.busy());
  EXPECT_FALSE(t.wants_write(false, false));
  // Later writes carry only events, until the last one.
  t.recorded(events(4, 4));
  auto w2 = t.begin(false, 4);
  EXPECT_FALSE(w2.record);
  EXPECT_FALSE(w2.start_audit);
  ASSERT_TRUE(std::holds_alternative<write_tracker::done>(t.acked(w2.token, true, clock_t_::now())));
  auto w3_final = t.begin(true, 4);
  EXPECT_TRUE(w3_final.record);
  EXPECT_TRUE(w3_final.final);
}

TEST(WriteTracker, EventsRecordedDuringAWriteWaitForTheNextOne) {
  write_tracker t{{}};
  t.recorded(events(1, 2));
  auto w = t.begin(false, 2);
  t.recorded(events(3, 5));
  auto o = t.acked(w.token, true, clock_t_::now());
  EXPECT_EQ(std::get<write_tracker::done>(o).events_written, 2u);
  ASSERT_EQ(t.unsaved().size(), 3u);
  EXPECT_EQ(t.unsaved().front().seq, 3u);
  EXPECT_TRUE(t.wants_write(false, false));
}

TEST(WriteTracker, ALostAckTimesOutAndItsLateAckIsIgnored) {
  write_tracker t{{}};
  auto now = clock_t_::now();
  t.recorded(events(1, 2));
  auto w = t.begin(false, 2);
  auto o = t.timed_out(w.token, now);
  auto* f = std::get_if<write_tracker::failed>(&o);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->first);
  EXPECT_EQ(f->backoff, 100ms);
  EXPECT_FALSE(f->give_up);
  EXPECT_TRUE(t.busy());  // waiting for the backoff
  // The first attempt's ack arrives after all: stale, nothing changes.
  EXPECT_TRUE(std::holds_alternative<write_tracker::stale>(t.acked(w.token, true, now)));
  EXPECT_EQ(t.unsaved().size(), 2u);
  t.retry_due();
  ASSERT_FALSE(t.busy());
  auto again = t.begin(false, 2);
  EXPECT_NE(again.token, w.token);
  EXPECT_TRUE(again.record);  // nothing was confirmed: the record goes again
  auto done = t.acked(again.token, true, now);
  EXPECT_TRUE(std::get<write_tracker::done>(done).recovered);
  // A timeout for a write that was answered is stale too.
  EXPECT_TRUE(std::holds_alternative<write_tracker::stale>(t.timed_out(again.token, now)));
}

TEST(WriteTracker, BackoffDoublesToItsCapAndFailuresPastTheHoldLimitGiveUp) {
  write_tracker t{{.max_backoff = 400ms, .hold_limit = 10s}};
  auto t0 = clock_t_::now();
  t.recorded(events(1, 1));
  std::vector<std::chrono::milliseconds> seen;
  for (int i = 0; i < 4; ++i) {
    auto w = t.begin(false, 1);
    auto f = std::get<write_tracker::failed>(t.acked(w.token, false, t0 + std::chrono::seconds{i}));
    EXPECT_EQ(f.first, i == 0);
    EXPECT_FALSE(f.give_up);
    seen.push_back(f.backoff);
    t.retry_due();
  }
  EXPECT_EQ(seen, (std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms, 400ms}));
  auto w = t.begin(false, 1);
  auto f = std::get<write_tracker::failed>(t.timed_out(w.token, t0 + 10s));
  EXPECT_TRUE(f.give_up);
  EXPECT_FALSE(t.busy());  // no retry is pending once it gave up
}

TEST(WriteTracker, AReplacedWriterEndsTheWaitForAWriteThatWillNeverBeAnswered) {
  write_tracker t{{}};
  t.recorded(events(1, 1));
  auto w = t.begin(false, 1);
  EXPECT_TRUE(t.writer_replaced());
  EXPECT_FALSE(t.busy());
  EXPECT_TRUE(std::holds_alternative<write_tracker::stale>(t.acked(w.token, true, clock_t_::now())));
  EXPECT_TRUE(t.wants_write(false, false));
  EXPECT_FALSE(t.writer_replaced());  // nothing outstanding now
}

TEST(WriteTracker, ARebuiltDebateDoesNotWriteItsRecordAgainUntilItEnds) {
  write_tracker t{{}, true};
  EXPECT_FALSE(t.wants_write(false, false));
  EXPECT_TRUE(t.wants_write(true, false));  // finished, receipt not sealed yet
  auto w = t.begin(true, 0);
  EXPECT_TRUE(w.record);
  EXPECT_FALSE(w.start_audit);
}

}  // namespace
}  // namespace aragora::debate
