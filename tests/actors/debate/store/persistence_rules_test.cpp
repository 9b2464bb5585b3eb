// The pure rules of debate persistence, no store: event keys, the consensus record and its
// strength, topic hashes, the debate record of a running or finished machine (label unit).

#include "actors/debate/store/persistence.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/drive.hpp"

namespace aragora::debate {
namespace {

TEST(EventKeys, SortBySequenceAndStayInsideTheirDebate) {
  EXPECT_LT(event_key("d1", 255), event_key("d1", 256));
  EXPECT_LT(event_key("d1", 9), event_key("d1", 10));
  const auto key = event_key("d1", 7);
  EXPECT_EQ(key.rfind(events_prefix("d1"), 0), 0u);
  // The separator keeps one debate's scan out of another whose id extends it.
  EXPECT_NE(event_key("d10", 1).rfind(events_prefix("d1"), 0), 0u);
}

TEST(ConsensusStrength, NamesEachBandFromItsLowerEdge) {
  EXPECT_EQ(consensus_strength(1.0), "unanimous");
  EXPECT_EQ(consensus_strength(0.9), "unanimous");
  EXPECT_EQ(consensus_strength(0.8999), "strong");
  EXPECT_EQ(consensus_strength(0.8), "strong");
  EXPECT_EQ(consensus_strength(0.7999), "moderate");
  EXPECT_EQ(consensus_strength(0.6), "moderate");
  EXPECT_EQ(consensus_strength(0.5999), "weak");
  EXPECT_EQ(consensus_strength(0.5), "weak");
  EXPECT_EQ(consensus_strength(0.4999), "split");
  EXPECT_EQ(consensus_strength(0.0), "split");
}

TEST(TopicHash, IgnoresCasePunctuationOrderAndRepeats) {
  auto h = topic_hash("Should we adopt Kubernetes?");
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(h, topic_hash("kubernetes, ADOPT we should -- should"));
  EXPECT_NE(h, topic_hash("Should we adopt Nomad?"));
  EXPECT_NE(h, topic_hash("Should we adopt Kubernetes now?"));
  EXPECT_EQ(topic_hash("caf\xC3\xA9 menu"), topic_hash("Menu CAF\xC3\xA9"));
}

TEST(ConsensusRecord, ADecidedDebateListsWhoAgreedAndWhyOthersDissented) {
  auto spec = test::make_spec([](debate_spec& s) { s.rounds = 1; });
  debate_machine m(spec);
  (void)test::drive(m, test::mock);
  const auto& f = m.outcome();
  ASSERT_EQ(f.status, debate_status::consensus_reached);
  ASSERT_TRUE(std::any_of(f.ballots.begin(), f.ballots.end(),
                          [&](const ballot& b) { return b.choice != f.winner; }))
      << "the mock agents no longer disagree in this debate";
  auto r = consensus_of(m);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->debate_id(), spec->id);
  EXPECT_EQ(r->topic_hash(), topic_hash(spec->question));
  EXPECT_EQ(r->strength(), consensus_strength(f.confidence));
  EXPECT_EQ(r->conclusion(), *f.final_answer);
  EXPECT_EQ(r->agreeing_size() + r->dissenting_size(), static_cast<int>(f.ballots.size()));
  for (const auto& b : f.ballots) {
    bool agrees = b.choice == f.winner;
    const auto& names = agrees ? r->agreeing() : r->dissenting();
    EXPECT_NE(std::find(names.begin(), names.end(), m.agent_name(b.voter)), names.end());
  }
  ASSERT_EQ(r->dissents_size(), r->dissenting_size());
  for (const auto& d : r->dissents()) EXPECT_FALSE(d.reasoning().empty()) << d.agent();
}

TEST(ConsensusRecord, ASplitVoteIsRecordedAsSplitWithEveryVoterDissenting) {
  auto spec = test::make_spec([](debate_spec& s) {
    s.rounds = 1;
    s.agents = {{"a", "mock", "supportive"}, {"b", "mock", "supportive"}};
  });
  debate_machine m(spec);
  (void)test::drive(m, test::mock);
  ASSERT_EQ(m.outcome().status, debate_status::no_consensus);
  auto r = consensus_of(m);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->strength(), "split");
  EXPECT_EQ(r->agreeing_size(), 0);
  EXPECT_EQ(r->dissenting_size(), 2);
}

TEST(ConsensusRecord, NothingIsRecordedForADebateThatDecidedNothing) {
  auto spec = test::make_spec();
  debate_machine running(spec);
  (void)running.start(test::fake_epoch());
  EXPECT_FALSE(consensus_of(running));
  debate_machine cancelled(spec);
  (void)cancelled.start(test::fake_epoch());
  (void)cancelled.cancel(test::fake_epoch(), "stopped");
  EXPECT_FALSE(consensus_of(cancelled));
}

TEST(DebateRecord, SaysRunningUntilTheEndThenCarriesTheOutcome) {
  auto spec = test::make_spec([](debate_spec& s) { s.rounds = 1; });
  debate_machine m(spec);
  (void)m.start(test::fake_epoch());
  auto running = record_of(m, nullptr);
  EXPECT_EQ(running.status(), v1::Status::running);
  EXPECT_EQ(running.spec().id(), spec->id);
  EXPECT_TRUE(running.has_rules());
  EXPECT_FALSE(running.has_completed_at());
  EXPECT_FALSE(running.has_receipt());

  (void)test::drive(m, test::mock);
  ASSERT_TRUE(m.finished());
  v1::Receipt receipt;
  receipt.set_debate_id(spec->id);
  auto done = record_of(m, &receipt);
  EXPECT_EQ(done.status(), static_cast<v1::Status::Value>(m.outcome().status));
  EXPECT_EQ(done.verdict(), static_cast<v1::Verdict::Value>(m.outcome().decision));
  EXPECT_EQ(done.last_seq(), m.last_seq());
  EXPECT_EQ(done.agent_calls(), m.agent_calls());
  EXPECT_TRUE(done.has_completed_at());
  EXPECT_EQ(done.receipt().debate_id(), spec->id);
}

}  // namespace
}  // namespace aragora::debate
