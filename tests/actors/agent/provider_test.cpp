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
  void cancel(call_id id) override { log_->cancelled.push_back(id); }

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
