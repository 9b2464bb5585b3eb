#include "actors/debate/replay.hpp"

#include <gtest/gtest.h>

#include "actors/debate/codec.hpp"
#include "actors/debate/receipt.hpp"
#include "tests/support/drive.hpp"

namespace aragora::debate {
namespace {

std::vector<v1::Event> materialize(const debate_machine& m, const std::vector<event_ref>& refs) {
  std::vector<v1::Event> out;
  for (const auto& r : refs) {
    v1::Event e;
    fill_event(m, r, e);
    // Through the wire format, as the store keeps them.
    std::string bytes;
    e.SerializeToString(&bytes);
    v1::Event back;
    back.ParseFromString(bytes);
    out.push_back(std::move(back));
  }
  return out;
}

std::unique_ptr<debate_machine> must_replay(std::shared_ptr<const debate_spec> spec,
                                            std::span<const v1::Event> events) {
  auto r = replay(std::move(spec), {}, events);
  if (auto* err = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << *err;
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<debate_machine>>(r));
}

test::provider_fn flaky(double fail_rate) {
  return test::mock_with(test::failing(fail_rate));
}

class ReplayProtocols : public ::testing::TestWithParam<std::tuple<protocol_kind, consensus_method>> {
protected:
  /// Three rounds of the parameter's protocol and consensus, with a contrarian among the agents.
  std::shared_ptr<const debate_spec> spec() const {
    // Not a structured binding: clang 14 (the sanitize build) cannot capture one in a lambda.
    const auto protocol = std::get<0>(GetParam());
    const auto consensus = std::get<1>(GetParam());
    return test::make_spec([&](debate_spec& s) {
      s.protocol = protocol;
      s.consensus = consensus;
      s.rounds = 3;
      s.agents.push_back({"contrarian", "mock", "contrarian"});
    });
  }
};

TEST_P(ReplayProtocols, AFullLogRebuildsTheSameDebate) {
  auto spec = this->spec();
  debate_machine original(spec);
  auto refs = test::drive(original, flaky(0.15), {.shuffle_seed = 5});
  ASSERT_TRUE(original.finished());
  auto events = materialize(original, refs);
  auto rebuilt = must_replay(spec, events);
  ASSERT_TRUE(rebuilt);
  ASSERT_TRUE(rebuilt->finished());
  EXPECT_EQ(rebuilt->last_seq(), original.last_seq());
  EXPECT_EQ(rebuilt->agent_calls(), original.agent_calls());
  EXPECT_EQ(rebuilt->failed_calls(), original.failed_calls());
  EXPECT_EQ(rebuilt->outcome().status, original.outcome().status);
  EXPECT_EQ(rebuilt->outcome().winner, original.outcome().winner);
  // Same transcript, same timestamps: the receipt digest is identical.
  EXPECT_EQ(seal_receipt(*rebuilt, std::nullopt).sha256, seal_receipt(original, std::nullopt).sha256);
}

TEST_P(ReplayProtocols, ADebateThatLetsGoOfItsTextsAtEachStepEndsWithTheSameReceipt) {
  // What a summary-only debate does to hold less per debate in flight (bench/RESULTS.md, issue
  // 12): the same debate, its texts dropped as soon as each step is published, decides the same
  // and seals the same receipt, dissenters' reasoning included.
  auto spec = this->spec();
  debate_machine kept(spec), released(spec);
  (void)test::drive(kept, flaky(0.15), {.shuffle_seed = 5});
  (void)test::drive(released, flaky(0.15), {.shuffle_seed = 5, .release_texts = true});
  ASSERT_TRUE(kept.finished() && released.finished());
  size_t dropped = 0;
  for (const auto& e : released.transcript()) dropped += e.text ? 0 : 1;
  EXPECT_GT(dropped, released.transcript().size() / 2) << "the texts were not let go";
  EXPECT_EQ(make_receipt(released, std::nullopt).SerializeAsString(),
            make_receipt(kept, std::nullopt).SerializeAsString());
  EXPECT_EQ(seal_receipt(released, std::nullopt).sha256, seal_receipt(kept, std::nullopt).sha256);
  const auto& a = kept.outcome();
  const auto& b = released.outcome();
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.winner, b.winner);
  EXPECT_EQ(a.confidence, b.confidence);
  ASSERT_EQ(static_cast<bool>(a.final_answer), static_cast<bool>(b.final_answer));
  if (a.final_answer) EXPECT_EQ(*a.final_answer, *b.final_answer);
}

INSTANTIATE_TEST_SUITE_P(
    Protocols, ReplayProtocols,
    ::testing::Values(std::tuple{protocol_kind::lite, consensus_method::majority},
                      std::tuple{protocol_kind::lite, consensus_method::judge},
                      std::tuple{protocol_kind::full, consensus_method::judge},
                      std::tuple{protocol_kind::full, consensus_method::unanimous}));

TEST(Replay, EveryPrefixResumesWhereTheOriginalWas) {
  auto spec = test::make_spec([](debate_spec& s) { s.rounds = 2; });
  // Record the machine's pending calls after every event, then replay each prefix.
  debate_machine original(spec);
  auto refs = test::drive(original, test::mock);
  auto events = materialize(original, refs);
  for (size_t n = 1; n < events.size(); ++n) {
    auto m = must_replay(spec, std::span{events}.first(n));
    ASSERT_TRUE(m) << n;
    // GE, not EQ: a prefix ending on a step's last outcome makes the machine emit that step's
    // derived events (phase and consensus) again, so it may run ahead of the prefix.
    EXPECT_GE(m->last_seq(), events[n - 1].seq());
    // Resuming from the prefix with the same provider finishes with the same transcript.
    while (!m->finished()) {
      std::vector<call_request> pending;
      for (size_t i = 0; i < m->calls().size(); ++i)
        if (m->pending(i)) pending.push_back(m->calls()[i]);
      ASSERT_FALSE(pending.empty());
      for (const auto& c : pending) {
        auto r = m->record(agent::mock_reply(*spec, c), test::fake_epoch());
        if (r.new_step || m->finished()) break;
      }
    }
    EXPECT_EQ(m->agent_calls(), original.agent_calls()) << "prefix " << n;
    ASSERT_EQ(m->transcript().size(), original.transcript().size()) << "prefix " << n;
    for (size_t i = 0; i < m->transcript().size(); ++i)
      EXPECT_EQ(*m->transcript()[i].text, *original.transcript()[i].text) << "prefix " << n << ", " << i;
    EXPECT_EQ(m->outcome().status, original.outcome().status);
  }
}

TEST(Replay, ACancellationIsReplayed) {
  auto spec = test::make_spec();
  debate_machine m(spec);
  auto t = test::fake_epoch();
  std::vector<event_ref> refs;
  auto keep = [&](debate_machine::step_result r) { refs.insert(refs.end(), r.events.begin(), r.events.end()); };
  keep(m.start(t));
  keep(m.record(agent::mock_reply(*spec, m.calls()[0]), t));
  keep(m.cancel(t, "stopped by operator"));
  auto rebuilt = must_replay(spec, materialize(m, refs));
  ASSERT_TRUE(rebuilt && rebuilt->finished());
  EXPECT_EQ(rebuilt->outcome().status, debate_status::cancelled);
  EXPECT_EQ(rebuilt->outcome().error, "stopped by operator");
  EXPECT_EQ(rebuilt->transcript().size(), 1u);
}

TEST(Replay, RefusesALogThatDoesNotFit) {
  auto spec = test::make_spec();
  debate_machine m(spec);
  auto refs = test::drive(m, test::mock);
  auto events = materialize(m, refs);
  auto dropped = events;
  dropped.erase(dropped.begin() + 4);  // a hole in the sequence
  EXPECT_TRUE(std::holds_alternative<std::string>(replay(spec, {}, dropped)));
  auto renamed = events;
  renamed[3].mutable_message()->set_agent("mallory");
  auto r = replay(spec, {}, renamed);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("mallory"), std::string::npos);
  auto twice = events;
  twice.insert(twice.begin() + 3, events[2]);
  EXPECT_TRUE(std::holds_alternative<std::string>(replay(spec, {}, twice)));
  // A log whose beginning expired, or an empty one, cannot be resumed.
  EXPECT_TRUE(std::holds_alternative<std::string>(replay(spec, {}, {})));
  EXPECT_TRUE(std::holds_alternative<std::string>(
      replay(spec, {}, std::span{events}.subspan(2))));
}

TEST(Replay, RefusesADerivedEventTheLogDoesNotProduce) {
  // A forged consensus event after the end: replay skips derived events while folding, so only
  // the final check (every event's seq was produced by the replay) catches it.
  auto spec = test::make_spec();
  debate_machine m(spec);
  auto events = materialize(m, test::drive(m, test::mock));
  ASSERT_TRUE(must_replay(spec, events));
  auto forged = events;
  v1::Event extra;
  extra.set_debate_id(spec->id);
  extra.set_seq(events.back().seq() + 1);
  extra.set_type(v1::EventType::consensus);
  extra.set_round(events.back().round());
  extra.mutable_consensus()->set_reached(true);
  extra.mutable_consensus()->set_winner("critical");
  extra.mutable_consensus()->set_confidence(1.0);
  forged.push_back(extra);
  auto r = replay(spec, {}, forged);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("not produced by replaying"), std::string::npos)
      << std::get<std::string>(r);
}


TEST(Replay, ADebateThatRanOverItsBudgetEndsAtTheSameCall) {
  // Failed calls cost too: their cost is in the log, or the replay would spend less.
  auto spec = test::make_spec([](debate_spec& s) {
    s.rounds = 3;
    s.early_stop = false;
    s.budget_usd = 0.15;
  });
  debate_machine original(spec);
  auto refs = test::drive(original, [](const debate_spec& sp, const call_request& c) {
    auto o = test::mock(sp, c);
    o.cost_usd = 0.01;
    o.tokens_in = 7;
    if (c.key.agent == 1 && c.key.ph == phase::critique) o.error = call_errc::bad_reply;
    return o;
  });
  ASSERT_EQ(original.outcome().status, debate_status::budget_exceeded);
  auto rebuilt = must_replay(spec, materialize(original, refs));
  ASSERT_TRUE(rebuilt);
  ASSERT_TRUE(rebuilt->finished());
  EXPECT_EQ(rebuilt->outcome().status, debate_status::budget_exceeded);
  EXPECT_EQ(rebuilt->agent_calls(), original.agent_calls());
  EXPECT_EQ(rebuilt->cost_usd(), original.cost_usd());
  EXPECT_EQ(rebuilt->stats()[1].tokens_in, original.stats()[1].tokens_in);
  EXPECT_EQ(seal_receipt(*rebuilt, std::nullopt).sha256, seal_receipt(original, std::nullopt).sha256);
}

}  // namespace
}  // namespace aragora::debate
