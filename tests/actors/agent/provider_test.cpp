// The provider seam without actors: the call runner and the mock provider on a manual clock.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

#include "actors/agent/call_runner.hpp"
#include "actors/agent/mock_provider.hpp"
#include "tests/support/drive.hpp"
#include "tests/support/manual_scheduler.hpp"

namespace aragora::agent {
namespace {

using namespace std::chrono_literals;
using debate::call_errc;
using debate::call_request;
using debate::phase;

std::vector<call_request> proposals(size_t n) {
  std::vector<call_request> out;
  for (size_t i = 0; i < n; ++i) {
    call_request r;
    r.key = {phase::propose, 1, static_cast<uint8_t>(i), debate::no_agent};
    out.push_back(r);
  }
  return out;
}

std::shared_ptr<const debate::debate_spec> spec_with(std::string id,
                                                     std::chrono::milliseconds timeout = 1s) {
  return test::make_spec([&](debate::debate_spec& s) {
    s.id = std::move(id);
    s.agent_timeout = timeout;
  });
}

mock_options latency(uint32_t ms) {
  mock_options o;
  o.latency_ms = ms;
  return o;
}

/// What a runner sent back, in order.
struct inbox {
  std::vector<debate::call_outcomes> replies;
  std::vector<token_delta> deltas;
  std::vector<std::string> order;  // "delta <agent> <seq>" / "reply <n>"

  call_runner::reply_fn reply() {
    return [this](debate::call_outcomes&& o) {
      order.push_back("reply " + std::to_string(o.items.size()));
      replies.push_back(std::move(o));
    };
  }
  call_runner::delta_fn delta() {
    return [this](token_delta&& d) {
      order.push_back("delta " + std::to_string(d.key.agent) + " " + std::to_string(d.seq));
      deltas.push_back(std::move(d));
    };
  }
  [[nodiscard]] size_t outcomes() const {
    size_t n = 0;
    for (const auto& r : replies) n += r.items.size();
    return n;
  }
};

/// A provider that answers only when the test says so, and remembers what it was told.
class held_provider final : public provider {
public:
  struct log {
    std::vector<provider_call> started;
    std::vector<call_id> cancelled;
    std::shared_ptr<call_sink> sink;
    bool throw_on_start = false;
  };

  explicit held_provider(std::shared_ptr<log> l) : log_(std::move(l)) {}
  void start(std::span<provider_call> calls, const std::shared_ptr<call_sink>& sink) override {
    if (log_->throw_on_start) throw std::runtime_error("connection refused");
    log_->sink = sink;
    for (auto& c : calls) log_->started.push_back(c);
  }
  void cancel(call_id id, uint64_t) override { log_->cancelled.push_back(id); }

  static provider_catalog catalog(const std::shared_ptr<log>& l, std::string name = "mock") {
    return {{std::move(name), [l](scheduler&) -> std::unique_ptr<provider> {
               return std::make_unique<held_provider>(l);
             }}};
  }

private:
  std::shared_ptr<log> log_;
};

debate::call_outcome answer_to(const provider_call& c) {
  return mock_reply(*c.spec, c.request);
}

TEST(MockThroughTheSeam, RepliesWhatTheMockFunctionGivesInOneBatchPerStep) {
  test::manual_scheduler sched;
  auto opts = test::sized(300);
  call_runner runner{sched, standard_providers(opts)};
  inbox in;
  auto spec = spec_with("d1");
  runner.start(spec, proposals(3), in.reply());
  ASSERT_EQ(in.replies.size(), 1u);  // no latency: answered before start returns, in one batch
  ASSERT_EQ(in.replies[0].items.size(), 3u);
  for (const auto& o : in.replies[0].items) {
    ASSERT_TRUE(o.ok());
    call_request r;
    r.key = o.key;
    EXPECT_EQ(*o.text, *mock_reply(*spec, r, opts).text);
    EXPECT_EQ(o.text->size(), 300u);
  }
  EXPECT_EQ(runner.pending_calls(), 0u);
  EXPECT_EQ(runner.pending_batches(), 0u);
  EXPECT_EQ(sched.pending(), 0u);  // no deadline armed for calls already answered
}

TEST(MockThroughTheSeam, ALatencyIsOneTimerPerStepAndTheRepliesComeTogether) {
  test::manual_scheduler sched;
  call_runner runner{sched, standard_providers(latency(100))};
  inbox in;
  runner.start(spec_with("d1"), proposals(3), in.reply());
  EXPECT_TRUE(in.replies.empty());
  EXPECT_EQ(sched.pending(), 2u);  // the mock's latency and the step's deadline
  sched.advance(99ms);
  EXPECT_TRUE(in.replies.empty());
  sched.advance(1ms);
  ASSERT_EQ(in.replies.size(), 1u);
  EXPECT_EQ(in.replies[0].items.size(), 3u);
  for (const auto& o : in.replies[0].items) EXPECT_TRUE(o.ok());
  EXPECT_EQ(sched.pending(), 0u);  // the deadline went with the last outcome
  EXPECT_EQ(runner.pending_batches(), 0u);
}

TEST(MockThroughTheSeam, TheDeadlineFiresForCallsSlowerThanTheAgentTimeout) {
  test::manual_scheduler sched;
  call_runner runner{sched, standard_providers(latency(5000))};
  inbox in;
  runner.start(spec_with("d1", 50ms), proposals(3), in.reply());
  sched.advance(49ms);
  EXPECT_TRUE(in.replies.empty());
  sched.advance(1ms);
  ASSERT_EQ(in.replies.size(), 1u);
  ASSERT_EQ(in.replies[0].items.size(), 3u);
  for (const auto& o : in.replies[0].items) {
    EXPECT_EQ(o.error, call_errc::timeout);
    EXPECT_EQ(o.error_message, "no reply within the agent timeout of 50 ms");
  }
  sched.advance(10s);  // the mock's latency passes: nothing more arrives
  EXPECT_EQ(in.replies.size(), 1u);
  EXPECT_EQ(sched.pending(), 0u);
}

TEST(MockThroughTheSeam, CancellingADebateStopsItsPendingCallsAndNoOutcomeArrivesAfter) {
  test::manual_scheduler sched;
  call_runner runner{sched, standard_providers(latency(100))};
  inbox a, b;
  runner.start(spec_with("debate-a"), proposals(3), a.reply());
  runner.start(spec_with("debate-b"), proposals(3), b.reply());
  EXPECT_EQ(runner.pending_calls(), 6u);
  EXPECT_EQ(runner.cancel_debate("debate-a"), 3u);
  EXPECT_EQ(runner.pending_calls(), 3u);
  EXPECT_EQ(sched.pending(), 2u);  // debate a's latency timer and deadline are gone
  sched.advance(1h);
  EXPECT_TRUE(a.replies.empty());
  ASSERT_EQ(b.replies.size(), 1u);
  EXPECT_EQ(b.replies[0].items.size(), 3u);
  EXPECT_EQ(runner.cancel_debate("debate-a"), 0u);
  EXPECT_EQ(sched.pending(), 0u);
}

TEST(MockThroughTheSeam, TokenDeltasArriveInOrderBeforeTheirOutcome) {
  for (uint32_t ms : {0u, 20u}) {
    test::manual_scheduler sched;
    call_runner runner{sched, standard_providers(latency(ms))};
    inbox in;
    runner.start(spec_with("d1"), proposals(2), in.reply(), in.delta());
    sched.advance(1s);
    ASSERT_EQ(in.replies.size(), 1u) << ms;
    ASSERT_EQ(in.replies[0].items.size(), 2u);
    EXPECT_EQ(in.order.back(), "reply 2");  // every delta came before the outcomes
    for (const auto& o : in.replies[0].items) {
      std::string joined;
      uint32_t expect_seq = 0;
      size_t pieces = 0;
      for (const auto& d : in.deltas) {
        if (!(d.key == o.key)) continue;
        EXPECT_EQ(d.seq, expect_seq++);
        joined += d.text;
        ++pieces;
      }
      EXPECT_GT(pieces, 3u) << "a natural-length text comes in several pieces";
      EXPECT_EQ(joined, *o.text);
    }
  }
}

TEST(MockThroughTheSeam, NoDeltasUnlessAskedFor) {
  test::manual_scheduler sched;
  call_runner runner{sched, standard_providers({})};
  inbox in;
  runner.start(spec_with("d1"), proposals(2), in.reply());
  EXPECT_EQ(in.outcomes(), 2u);
  EXPECT_TRUE(in.deltas.empty());
}

TEST(DeltaPieces, JoinToTheTextAndNeverCutACharacter) {
  std::string text = "Éléphants et émojis 🎉 " + std::string(40, 'x') + " 日本語のテキスト " +
                     "a b c d e f g h i j k l m n o p q r s t u v w x y z";
  auto pieces = delta_pieces(text);
  std::string joined;
  for (auto p : pieces) {
    joined += p;
    auto last = static_cast<unsigned char>(p.back());
    EXPECT_TRUE(last < 0x80) << "a piece ends inside a character";
  }
  EXPECT_EQ(joined, text);
  EXPECT_GT(pieces.size(), 2u);
  EXPECT_TRUE(delta_pieces("").empty());
}

TEST(CallRunner, TheDeadlineCancelsTheProviderCallsAndDropsWhatTheySayLate) {
  test::manual_scheduler sched;
  auto log = std::make_shared<held_provider::log>();
  call_runner runner{sched, held_provider::catalog(log)};
  inbox in;
  runner.start(spec_with("d1", 50ms), proposals(3), in.reply());
  ASSERT_EQ(log->started.size(), 3u);
  EXPECT_EQ(log->started[0].deadline, sched.now() + 50ms);
  // One answers in time.
  log->sink->done(log->started[1].id, answer_to(log->started[1]));
  ASSERT_EQ(in.outcomes(), 1u);
  sched.advance(50ms);
  ASSERT_EQ(in.outcomes(), 3u);
  EXPECT_EQ(in.replies[1].items.size(), 2u);  // the two timeouts together
  for (const auto& o : in.replies[1].items) EXPECT_EQ(o.error, call_errc::timeout);
  std::set<call_id> cancelled(log->cancelled.begin(), log->cancelled.end());
  EXPECT_EQ(cancelled, (std::set<call_id>{log->started[0].id, log->started[2].id}));
  // Too late, and twice: dropped.
  log->sink->done(log->started[0].id, answer_to(log->started[0]));
  log->sink->done(log->started[1].id, answer_to(log->started[1]));
  log->sink->delta(log->started[2].id, "late");
  EXPECT_EQ(in.outcomes(), 3u);
  EXPECT_EQ(runner.pending_batches(), 0u);
}

TEST(CallRunner, AnOutcomeIsDeliveredOnceAndUnderTheKeyOfItsCall) {
  test::manual_scheduler sched;
  auto log = std::make_shared<held_provider::log>();
  call_runner runner{sched, held_provider::catalog(log)};
  inbox in;
  runner.start(spec_with("d1"), proposals(2), in.reply());
  auto wrong_key = answer_to(log->started[0]);
  wrong_key.key.agent = 7;
  log->sink->done(log->started[0].id, wrong_key);
  log->sink->done(log->started[0].id, answer_to(log->started[0]));
  log->sink->done(call_id{999} << 16, answer_to(log->started[0]));  // no such call
  ASSERT_EQ(in.outcomes(), 1u);
  EXPECT_EQ(in.replies[0].items[0].key, log->started[0].request.key);
  EXPECT_EQ(runner.pending_calls(), 1u);
}

TEST(CallRunner, ACancelDropsOutcomesRecordedInTheSameTurnAndTellsTheProvider) {
  test::manual_scheduler sched;
  auto log = std::make_shared<held_provider::log>();
  call_runner runner{sched, held_provider::catalog(log)};
  inbox in;
  runner.start(spec_with("d1"), proposals(3), in.reply());
  {
    call_runner::turn t{runner};  // one answer and the cancel arrive in one turn of the worker
    log->sink->done(log->started[0].id, answer_to(log->started[0]));
    EXPECT_EQ(runner.cancel_debate("d1"), 2u);
  }
  EXPECT_TRUE(in.replies.empty());
  EXPECT_EQ(log->cancelled.size(), 2u);
  log->sink->done(log->started[1].id, answer_to(log->started[1]));
  EXPECT_TRUE(in.replies.empty());
  EXPECT_EQ(sched.pending(), 0u);
}

TEST(CallRunner, AnUnknownProviderOrAThrowingOneFailsTheCallsNotTheRunner) {
  test::manual_scheduler sched;
  auto log = std::make_shared<held_provider::log>();
  log->throw_on_start = true;
  call_runner runner{sched, held_provider::catalog(log, "other")};
  inbox in;
  runner.start(spec_with("d1"), proposals(2), in.reply());  // the agents name "mock"
  ASSERT_EQ(in.outcomes(), 2u);
  for (const auto& o : in.replies[0].items) {
    EXPECT_EQ(o.error, call_errc::provider_error);
    EXPECT_EQ(o.error_message, "no provider 'mock' on this node");
  }
  auto spec = test::make_spec([](debate::debate_spec& s) {
    for (auto& a : s.agents) a.provider = "other";
  });
  runner.start(spec, proposals(2), in.reply());
  ASSERT_EQ(in.outcomes(), 4u);
  for (const auto& o : in.replies[1].items) {
    EXPECT_EQ(o.error, call_errc::provider_error);
    EXPECT_EQ(o.error_message, "the provider failed: connection refused");
  }
  EXPECT_EQ(runner.pending_batches(), 0u);
  EXPECT_EQ(sched.pending(), 0u);
}

TEST(CallRunner, StepsInFlightShareOneDeadlineTimerAndEachTimesOutAtItsOwnDeadline) {
  test::manual_scheduler sched;
  auto log = std::make_shared<held_provider::log>();
  call_runner runner{sched, held_provider::catalog(log)};
  inbox slow, fast, later;
  runner.start(spec_with("slow", 100ms), proposals(2), slow.reply());
  sched.advance(10ms);
  runner.start(spec_with("fast", 30ms), proposals(2), fast.reply());  // due before "slow"
  sched.advance(10ms);
  runner.start(spec_with("later", 100ms), proposals(2), later.reply());
  EXPECT_EQ(sched.pending(), 1u) << "one timer for all the steps in flight";
  sched.advance(19ms);  // t = 39 ms
  EXPECT_EQ(fast.outcomes(), 0u);
  sched.advance(1ms);  // t = 40 ms: "fast" started at 10 ms with 30 ms
  ASSERT_EQ(fast.outcomes(), 2u);
  for (const auto& o : fast.replies[0].items) EXPECT_EQ(o.error, call_errc::timeout);
  EXPECT_EQ(slow.outcomes() + later.outcomes(), 0u);
  sched.advance(59ms);  // t = 99 ms
  EXPECT_EQ(slow.outcomes(), 0u);
  sched.advance(1ms);  // t = 100 ms
  EXPECT_EQ(slow.outcomes(), 2u);
  EXPECT_EQ(later.outcomes(), 0u);
  sched.advance(20ms);  // t = 120 ms
  EXPECT_EQ(later.outcomes(), 2u);
  EXPECT_EQ(log->cancelled.size(), 6u);
  EXPECT_EQ(sched.pending(), 0u);
  EXPECT_EQ(runner.pending_batches(), 0u);
}

TEST(CallRunner, ADeadlineMetDoesNotCutOffTheNextStep) {
  // The timer armed for the first step stays armed when that step completes in time; when it
  // fires it must find the second step not yet due.
  test::manual_scheduler sched;
  auto log = std::make_shared<held_provider::log>();
  call_runner runner{sched, held_provider::catalog(log)};
  inbox a, b;
  runner.start(spec_with("a", 50ms), proposals(1), a.reply());
  sched.advance(10ms);
  runner.start(spec_with("b", 50ms), proposals(1), b.reply());
  log->sink->done(log->started[0].id, answer_to(log->started[0]));
  ASSERT_EQ(a.outcomes(), 1u);
  EXPECT_TRUE(a.replies[0].items[0].ok());
  sched.advance(49ms);  // t = 59 ms: past a's deadline, before b's
  EXPECT_EQ(b.outcomes(), 0u);
  sched.advance(1ms);
  ASSERT_EQ(b.outcomes(), 1u);
  EXPECT_EQ(b.replies[0].items[0].error, call_errc::timeout);
}

TEST(CallRunner, AReportForAFinishedStepIsDroppedEvenWhenItsPlaceIsReused) {
  test::manual_scheduler sched;
  auto log = std::make_shared<held_provider::log>();
  call_runner runner{sched, held_provider::catalog(log)};
  inbox first, second;
  runner.start(spec_with("d1"), proposals(1), first.reply());
  auto old_call = log->started[0];
  EXPECT_EQ(runner.cancel_debate("d1"), 1u);
  runner.start(spec_with("d2"), proposals(1), second.reply());  // takes the freed place
  ASSERT_EQ(log->started.size(), 2u);
  EXPECT_NE(log->started[1].id, old_call.id);
  log->sink->done(old_call.id, answer_to(old_call));
  EXPECT_EQ(second.outcomes(), 0u) << "a report for the cancelled step reached the next one";
  log->sink->done(log->started[1].id, answer_to(log->started[1]));
  EXPECT_EQ(second.outcomes(), 1u);
  EXPECT_TRUE(first.replies.empty());
}

TEST(CallRunner, CancelFindsEachDebatesCallsAmongMany) {
  // Enough debates that the index by debate grows while they run, two steps of some in flight.
  test::manual_scheduler sched;
  auto log = std::make_shared<held_provider::log>();
  call_runner runner{sched, held_provider::catalog(log)};
  std::vector<inbox> in(300);
  for (size_t i = 0; i < in.size(); ++i) {
    runner.start(spec_with("debate-" + std::to_string(i)), proposals(2), in[i].reply());
    if (i % 3 == 0) {
      auto next = proposals(1);
      next[0].key.round = 2;
      runner.start(spec_with("debate-" + std::to_string(i)), next, in[i].reply());
    }
  }
  EXPECT_EQ(runner.pending_calls(), 300u * 2 + 100u);
  for (size_t i = 0; i < in.size(); i += 2)
    EXPECT_EQ(runner.cancel_debate("debate-" + std::to_string(i)), i % 3 == 0 ? 3u : 2u) << i;
  EXPECT_EQ(runner.cancel_debate("debate-0"), 0u);
  EXPECT_EQ(runner.cancel_debate("no-such-debate"), 0u);
  EXPECT_EQ(runner.pending_batches(), 150u + 50u);
  EXPECT_EQ(log->cancelled.size(), 150u * 2 + 50u);
  sched.advance(1s);  // the rest time out
  for (size_t i = 0; i < in.size(); ++i)
    EXPECT_EQ(in[i].outcomes(), i % 2 == 0 ? 0u : (i % 3 == 0 ? 3u : 2u)) << i;
  EXPECT_EQ(runner.pending_batches(), 0u);
}

TEST(CallRunner, ACancelInTheSameTurnDropsAStepAnsweredAsItStarted) {
  test::manual_scheduler sched;
  call_runner runner{sched, standard_providers({})};  // no latency: answered inside start
  inbox in, other;
  {
    call_runner::turn t{runner};
    runner.start(spec_with("d1"), proposals(3), in.reply());
    runner.start(spec_with("d2"), proposals(2), other.reply());
    EXPECT_EQ(runner.cancel_debate("d1"), 0u);  // nothing was pending
  }
  EXPECT_TRUE(in.replies.empty());
  EXPECT_EQ(other.outcomes(), 2u);
  EXPECT_EQ(runner.pending_batches(), 0u);
}

TEST(CallRunner, TheProvidersTagComesBackWithTheCancel) {
  class tagging_provider final : public provider {
  public:
    std::vector<std::pair<call_id, uint64_t>> cancelled;
    void start(std::span<provider_call> calls, const std::shared_ptr<call_sink>&) override {
      for (auto& c : calls) c.tag = 1000 + c.request.key.agent;
    }
    void cancel(call_id id, uint64_t tag) override { cancelled.emplace_back(id, tag); }
  };
  test::manual_scheduler sched;
  tagging_provider* p = nullptr;
  provider_catalog catalog{{"mock", [&p](scheduler&) -> std::unique_ptr<provider> {
                              auto made = std::make_unique<tagging_provider>();
                              p = made.get();
                              return made;
                            }}};
  call_runner runner{sched, catalog};
  inbox in;
  runner.start(spec_with("d1"), proposals(3), in.reply());
  EXPECT_EQ(runner.cancel_debate("d1"), 3u);
  ASSERT_EQ(p->cancelled.size(), 3u);
  std::set<uint64_t> tags;
  for (const auto& [id, tag] : p->cancelled) tags.insert(tag);
  EXPECT_EQ(tags, (std::set<uint64_t>{1000, 1001, 1002}));
}

TEST(MockThroughTheSeam, StepsDueInTheSameMillisecondShareATimerAndComeDueInOrder) {
  test::manual_scheduler sched;
  call_runner runner{sched, standard_providers(latency(100))};
  std::vector<inbox> in(5);
  for (size_t i = 0; i < 3; ++i)
    runner.start(spec_with("d" + std::to_string(i)), proposals(3), in[i].reply());
  sched.advance(10ms);
  for (size_t i = 3; i < 5; ++i)
    runner.start(spec_with("d" + std::to_string(i)), proposals(3), in[i].reply());
  EXPECT_EQ(sched.pending(), 3u);  // the mock's two milliseconds and the runner's one deadline
  // A cancelled step in the middle: the others still come, each at its own time.
  ASSERT_EQ(runner.cancel_debate("d1"), 3u);
  sched.advance(89ms);
  EXPECT_EQ(in[0].outcomes(), 0u);
  sched.advance(1ms);  // t = 100 ms
  EXPECT_EQ(in[0].outcomes(), 3u);
  EXPECT_EQ(in[2].outcomes(), 3u);
  EXPECT_EQ(in[3].outcomes(), 0u);
  sched.advance(10ms);
  EXPECT_TRUE(in[1].replies.empty());
  for (size_t i : {0u, 2u, 3u, 4u}) {
    ASSERT_EQ(in[i].outcomes(), 3u) << i;
    for (const auto& o : in[i].replies[0].items) EXPECT_TRUE(o.ok());
  }
  EXPECT_EQ(sched.pending(), 0u);
  EXPECT_EQ(runner.pending_batches(), 0u);
}

TEST(MockThroughTheSeam, StepsComingDueTogetherAreEachSentAsSoonAsTheyAreAnswered) {
  // One timer fire answers both steps; the first goes out before the second is answered, not
  // with it at the end of the fire.
  test::manual_scheduler sched;
  call_runner runner{sched, standard_providers(latency(100))};
  std::vector<size_t> pending_at_reply;
  auto reply = [&](debate::call_outcomes&&) { pending_at_reply.push_back(runner.pending_calls()); };
  runner.start(spec_with("d1"), proposals(3), reply);
  runner.start(spec_with("d2"), proposals(3), reply);
  sched.advance(100ms);
  EXPECT_EQ(pending_at_reply, (std::vector<size_t>{3, 0}));
}

TEST(MockThroughTheSeam, ManyStepsComingDueTogetherAreAllAnsweredInTheOrderTheyStarted) {
  test::manual_scheduler sched;
  call_runner runner{sched, standard_providers(latency(100))};
  std::vector<std::string> order;
  for (int i = 0; i < 100; ++i) {
    auto id = "d" + std::to_string(i);
    runner.start(spec_with(id), proposals(2), [&order, id](debate::call_outcomes&& o) {
      EXPECT_EQ(o.items.size(), 2u);
      order.push_back(id);
    });
  }
  sched.advance(100ms);
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], "d" + std::to_string(i));
  EXPECT_EQ(sched.pending(), 0u);
  EXPECT_EQ(runner.pending_batches(), 0u);
}

TEST(MockThroughTheSeam, CancellingEveryWaitingCallDropsTheMocksTimer) {
  test::manual_scheduler sched;
  mock_provider mock{latency(100), sched};
  struct recording_sink final : call_sink {
    size_t done_calls = 0;
    void delta(call_id, std::string_view) override {}
    void done(call_id, debate::call_outcome) override { ++done_calls; }
  };
  auto sink = std::make_shared<recording_sink>();
  auto spec = spec_with("d1");
  std::vector<provider_call> calls;
  for (auto& r : proposals(2))
    calls.push_back({static_cast<call_id>(calls.size() + 1), spec, r, sched.now() + 1s, false});
  mock.start(calls, sink);
  EXPECT_EQ(mock.pending(), 2u);
  EXPECT_EQ(sched.pending(), 1u);
  mock.cancel(calls[0].id, calls[0].tag);
  mock.cancel(calls[0].id, calls[0].tag);  // twice: ignored
  mock.cancel(calls[1].id, 0);             // not its tag: ignored
  EXPECT_EQ(mock.pending(), 1u);
  mock.cancel(calls[1].id, calls[1].tag);
  EXPECT_EQ(mock.pending(), 0u);
  EXPECT_EQ(sched.pending(), 0u);
  sched.advance(1s);
  EXPECT_EQ(sink->done_calls, 0u);
}

TEST(MockOptions, TheFailRateIsAProbability) {
  EXPECT_TRUE(valid_fail_rate(0.0));
  EXPECT_TRUE(valid_fail_rate(0.5));
  EXPECT_TRUE(valid_fail_rate(1.0));
  EXPECT_FALSE(valid_fail_rate(1.01));
  EXPECT_FALSE(valid_fail_rate(-0.1));
  EXPECT_FALSE(valid_fail_rate(std::numeric_limits<double>::quiet_NaN()));
}

}  // namespace
}  // namespace aragora::agent
