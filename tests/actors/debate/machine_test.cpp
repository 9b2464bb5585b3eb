#include "actors/debate/machine.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "tests/support/drive.hpp"

namespace aragora::debate {
namespace {

using test::drive;
using test::make_spec;
using test::mock;

std::vector<agent_spec> agents(size_t n) {
  static const char* styles[] = {"supportive", "critical", "balanced", "contrarian"};
  std::vector<agent_spec> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back({"agent" + std::to_string(i), "mock", styles[i % 4]});
  return out;
}

// -- call counts ------------------------------------------------------------------------------

TEST(LiteProtocol, MakesExactlyRTimesNSquaredPlusNCallsWithoutEarlyStop) {
  for (uint32_t n = 2; n <= 6; ++n)
    for (uint32_t rounds = 1; rounds <= 4; ++rounds) {
      auto spec = make_spec([&](debate_spec& s) {
        s.agents = agents(n);
        s.rounds = rounds;
      });
      debate_machine m(spec);
      drive(m, mock);
      ASSERT_TRUE(m.finished());
      EXPECT_EQ(m.agent_calls(), rounds * (n * n + n)) << "n=" << n << " rounds=" << rounds;
      EXPECT_EQ(m.rounds_used(), rounds);
      EXPECT_EQ(m.failed_calls(), 0u);
      EXPECT_EQ(m.transcript().size(), m.agent_calls());
    }
}

TEST(LiteProtocol, PhaseCountsPerRound) {
  auto spec = make_spec([](debate_spec& s) { s.rounds = 2; });
  debate_machine m(spec);
  drive(m, mock);
  std::map<std::pair<uint8_t, phase>, int> count;
  for (const auto& e : m.transcript()) ++count[{e.key.round, e.key.ph}];
  for (uint8_t r = 1; r <= 2; ++r) {
    EXPECT_EQ((count[{r, phase::propose}]), 3);
    EXPECT_EQ((count[{r, phase::critique}]), 6);
    EXPECT_EQ((count[{r, phase::vote}]), 3);
  }
  // No self-critique.
  for (const auto& e : m.transcript()) {
    if (e.key.ph == phase::critique) {
      EXPECT_NE(e.key.agent, e.key.target);
    }
  }
}

TEST(FullProtocol, OneProposalPhaseThenCritiqueReviseRoundsThenOneVote) {
  for (uint32_t n = 2; n <= 5; ++n)
    for (uint32_t rounds = 1; rounds <= 4; ++rounds) {
      auto spec = make_spec([&](debate_spec& s) {
        s.agents = agents(n);
        s.rounds = rounds;
        s.protocol = protocol_kind::full;
        s.consensus = consensus_method::majority;
      });
      debate_machine m(spec);
      drive(m, mock);
      ASSERT_TRUE(m.finished());
      // N proposals + R * (N(N-1) critiques + N revisions) + N votes.
      EXPECT_EQ(m.agent_calls(), n + rounds * (n * (n - 1) + n) + n)
          << "n=" << n << " rounds=" << rounds;
      EXPECT_EQ(m.rounds_used(), rounds);
    }
}

TEST(FullProtocol, JudgeAddsOneCall) {
  auto spec = make_spec([](debate_spec& s) {
    s.rounds = 3;
    s.protocol = protocol_kind::full;
    s.consensus = consensus_method::judge;
  });
  debate_machine m(spec);
  drive(m, mock);
  EXPECT_EQ(m.agent_calls(), 3u + 3 * 9 + 3 + 1);
  const auto& f = m.outcome();
  EXPECT_EQ(f.method_used, "judge");
  EXPECT_TRUE(f.reached);
  EXPECT_NE(f.judge, no_agent);
  EXPECT_NE(f.winner, no_agent);
  ASSERT_TRUE(f.final_answer);
  EXPECT_NE(f.final_answer->find("Synthesis"), std::string::npos);
}

TEST(FullProtocol, EarlyStopOnConvergenceSkipsRemainingRounds) {
  auto spec = make_spec([](debate_spec& s) {
    s.rounds = 6;
    s.protocol = protocol_kind::full;
    s.consensus = consensus_method::majority;
    s.early_stop = true;
    s.agents = {{"a", "mock", "supportive"}, {"b", "mock", "balanced"}};
  });
  debate_machine m(spec);
  drive(m, mock);
  ASSERT_FALSE(m.convergence().empty());
  EXPECT_EQ(m.convergence().back().report.status, convergence_status::converged);
  EXPECT_EQ(m.rounds_used(), 2u);  // first check is at round 2
  EXPECT_EQ(m.agent_calls(), 2u + 2 * 4 + 2);
}

TEST(LiteProtocol, EarlyStopEndsOnTheFirstRoundWithConsensus) {
  auto spec = make_spec([](debate_spec& s) {
    s.rounds = 5;
    s.early_stop = true;
    s.agents = {{"a", "mock", "supportive"}, {"b", "mock", "supportive"}};
  });
  debate_machine m(spec);
  drive(m, mock);
  // Two supportive agents vote for each other: a 50/50 split never reaches 0.6.
  EXPECT_EQ(m.outcome().status, debate_status::no_consensus);
  EXPECT_EQ(m.rounds_used(), 5u);

  auto agree = make_spec([](debate_spec& s) {
    s.rounds = 5;
    s.early_stop = true;
  });
  debate_machine m2(agree);
  drive(m2, mock);
  EXPECT_EQ(m2.outcome().status, debate_status::consensus_reached);
  EXPECT_EQ(m2.rounds_used(), 1u);
  EXPECT_EQ(m2.agent_calls(), 12u);
}

TEST(LiteProtocol, ASplitVoteNamesNoWinner) {
  // Without consensus there is a leading proposal (the answer shown) but no winner: a winner
  // would be credited with a win in the ratings and named in the receipt.
  auto spec = make_spec([](debate_spec& s) {
    s.rounds = 1;
    s.agents = {{"a", "mock", "supportive"}, {"b", "mock", "supportive"}};
  });
  debate_machine m(spec);
  drive(m, mock);
  const auto& f = m.outcome();
  ASSERT_EQ(f.status, debate_status::no_consensus);
  EXPECT_FALSE(f.reached);
  EXPECT_EQ(f.winner, no_agent);
  EXPECT_TRUE(f.final_answer);
  EXPECT_NE(f.decision, verdict::approved);
  EXPECT_NE(f.decision, verdict::approved_with_conditions);
}

// -- determinism -------------------------------------------------------------------------------

struct flat_message {
  call_key key;
  std::string text;
  uint8_t choice;
  double confidence;
  double severity;
  bool operator==(const flat_message&) const = default;
};

void PrintTo(const flat_message& m, std::ostream* os) {
  *os << "{" << to_string(m.key.ph) << " r" << int(m.key.round) << " a" << int(m.key.agent) << " t"
      << int(m.key.target) << " '" << m.text.substr(0, 60) << "...'}";
}

std::vector<flat_message> flat_transcript(const debate_machine& m) {
  std::vector<flat_message> out;
  for (auto i : m.canonical_order()) {
    const auto& e = m.transcript()[i];
    out.push_back({e.key, *e.text, e.choice, e.confidence, e.severity});
  }
  return out;
}

TEST(Determinism, SameSeedSameTranscript) {
  auto spec = make_spec([](debate_spec& s) {
    s.rounds = 3;
    s.seed = 42;
  });
  debate_machine a(spec), b(spec);
  drive(a, test::mock_with(test::sized(700)));
  drive(b, test::mock_with(test::sized(700)));
  EXPECT_EQ(flat_transcript(a), flat_transcript(b));
  EXPECT_EQ(a.outcome().confidence, b.outcome().confidence);
  for (const auto& e : a.transcript()) {
    if (e.key.ph != phase::vote) {
      EXPECT_EQ(e.text->size(), 700u);
    }
  }
}

TEST(Determinism, OtherSeedOtherTranscript) {
  auto a_spec = make_spec([](debate_spec& s) { s.seed = 1; });
  auto b_spec = make_spec([](debate_spec& s) { s.seed = 2; });
  debate_machine a(a_spec), b(b_spec);
  drive(a, mock);
  drive(b, mock);
  EXPECT_NE(flat_transcript(a), flat_transcript(b));
}

TEST(Determinism, ArrivalOrderDoesNotChangeTheResult) {
  for (auto protocol : {protocol_kind::lite, protocol_kind::full}) {
    auto spec = make_spec([&](debate_spec& s) {
      s.rounds = 3;
      s.protocol = protocol;
      s.agents = agents(4);
    });
    debate_machine ordered(spec), shuffled(spec);
    drive(ordered, mock);
    drive(shuffled, mock, {.shuffle_seed = 99});
    EXPECT_EQ(flat_transcript(ordered), flat_transcript(shuffled));
    EXPECT_EQ(ordered.outcome().winner, shuffled.outcome().winner);
    EXPECT_EQ(ordered.outcome().status, shuffled.outcome().status);
  }
}

// -- events --------------------------------------------------------------------------------

TEST(Events, SequenceIsContiguousFromStartToEnd) {
  auto spec = make_spec([](debate_spec& s) { s.rounds = 2; });
  debate_machine m(spec);
  auto events = drive(m, mock);
  ASSERT_FALSE(events.empty());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].seq, i + 1);
  EXPECT_EQ(events.front().type, event_type::debate_start);
  EXPECT_EQ(events.back().type, event_type::debate_end);
  size_t messages = 0, rounds = 0, checks = 0;
  for (const auto& e : events) {
    messages += e.type == event_type::agent_message || e.type == event_type::critique ||
                e.type == event_type::vote;
    rounds += e.type == event_type::round_start;
    checks += e.type == event_type::consensus;
  }
  EXPECT_EQ(messages, m.transcript().size());
  EXPECT_EQ(rounds, 2u);
  EXPECT_EQ(checks, 2u);  // lite checks consensus every round
}

// -- failures --------------------------------------------------------------------------------

test::provider_fn failing_agents(std::set<uint8_t> dead) {
  return [dead](const debate_spec& spec, const call_request& c) {
    if (dead.count(c.key.agent)) {
      call_outcome o;
      o.key = c.key;
      o.error = call_errc::provider_error;
      o.error_message = "down";
      return o;
    }
    return agent::mock_reply(spec, c);
  };
}

TEST(Failures, EveryAgentFailingIsAFailedDebateWithZeroConfidence) {
  auto spec = make_spec();
  debate_machine m(spec);
  drive(m, test::mock_with(test::failing(1.0)));
  const auto& f = m.outcome();
  EXPECT_EQ(f.status, debate_status::failed);
  EXPECT_EQ(f.confidence, 0.0);
  EXPECT_FALSE(f.reached);
  EXPECT_EQ(f.decision, verdict::rejected);
  EXPECT_FALSE(f.final_answer);
  EXPECT_EQ(m.agent_calls(), 3u);
  EXPECT_EQ(m.failed_calls(), 3u);
  for (const auto& s : m.stats()) EXPECT_FALSE(s.contributed);
  EXPECT_NE(f.error.find("no agent produced a proposal"), std::string::npos);
}

TEST(Failures, OneDeadAgentIsReportedAndTheDebateCompletes) {
  auto spec = make_spec([](debate_spec& s) { s.rounds = 2; });
  debate_machine m(spec);
  drive(m, failing_agents({1}));
  ASSERT_TRUE(m.finished());
  EXPECT_NE(m.outcome().status, debate_status::failed);
  EXPECT_FALSE(m.stats()[1].contributed);
  EXPECT_EQ(m.stats()[1].failures, m.stats()[1].calls);
  EXPECT_TRUE(m.stats()[0].contributed);
  // Nobody critiques or votes for the dead agent's missing proposal; its own calls all fail.
  for (const auto& e : m.transcript()) {
    EXPECT_NE(e.key.agent, 1);
    if (e.key.ph == phase::critique) {
      EXPECT_NE(e.key.target, 1);
    }
    if (e.key.ph == phase::vote) {
      EXPECT_NE(e.choice, 1);
    }
  }
  // Per round: 3 proposals, 2 critiques by each live agent of the other live one... and the dead
  // agent's 2 failed critiques: 3 + (2*1 + 1*2) + 3.
  EXPECT_EQ(m.agent_calls(), 2u * (3 + 4 + 3));
}

TEST(Failures, TooFewVotesIsInsufficientParticipation) {
  auto spec = make_spec([](debate_spec& s) { s.rounds = 1; });
  debate_machine m(spec);
  drive(m, [](const debate_spec& spec, const call_request& c) {
    if (c.key.ph == phase::vote && c.key.agent != 0) {
      call_outcome o;
      o.key = c.key;
      o.error = call_errc::timeout;
      return o;
    }
    return agent::mock_reply(spec, c);
  });
  const auto& f = m.outcome();
  EXPECT_EQ(f.status, debate_status::insufficient_participation);
  EXPECT_EQ(f.confidence, 0.0);
  EXPECT_FALSE(f.reached);
  EXPECT_EQ(f.decision, verdict::rejected);
}

TEST(Failures, AVoteForAnUnknownProposalIsABadReply) {
  auto spec = make_spec([](debate_spec& s) { s.rounds = 1; });
  debate_machine m(spec);
  drive(m, [](const debate_spec& spec, const call_request& c) {
    auto o = agent::mock_reply(spec, c);
    if (c.key.ph == phase::vote && c.key.agent == 2) o.choice = 9;
    return o;
  });
  ASSERT_EQ(m.errors().size(), 1u);
  EXPECT_EQ(m.errors()[0].code, call_errc::bad_reply);
  EXPECT_EQ(m.stats()[2].failures, 1u);
}

TEST(Failures, ExpireTimesOutEveryPendingCallOfTheStep) {
  auto spec = make_spec();
  debate_machine m(spec);
  auto t = test::fake_epoch();
  (void)m.start(t);
  // One proposal arrives, the other two never do.
  (void)m.record(agent::mock_reply(*spec, m.calls()[0]), t);
  auto step = m.step();
  auto r = m.expire(t + std::chrono::seconds{300});
  EXPECT_TRUE(r.new_step);
  EXPECT_NE(m.step(), step);
  ASSERT_EQ(m.errors().size(), 2u);
  for (const auto& e : m.errors()) EXPECT_EQ(e.code, call_errc::timeout);
  EXPECT_EQ(m.current_phase(), phase::critique);
  // Only the one proposal is critiqued, by the two others.
  EXPECT_EQ(m.calls().size(), 2u);
}

TEST(Failures, StaleAndDuplicateRepliesAreIgnored) {
  auto spec = make_spec();
  debate_machine m(spec);
  auto t = test::fake_epoch();
  (void)m.start(t);
  auto first = agent::mock_reply(*spec, m.calls()[0]);
  (void)m.record(first, t);
  auto dup = m.record(first, t);
  EXPECT_TRUE(dup.events.empty());
  call_outcome stranger;
  stranger.key = {phase::vote, 7, 0, no_agent};
  EXPECT_TRUE(m.record(stranger, t).events.empty());
  EXPECT_EQ(m.transcript().size(), 1u);
}

TEST(Cancel, EndsTheDebateAsCancelled) {
  auto spec = make_spec();
  debate_machine m(spec);
  auto t = test::fake_epoch();
  (void)m.start(t);
  auto r = m.cancel(t, "operator request");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].type, event_type::debate_end);
  EXPECT_EQ(m.outcome().status, debate_status::cancelled);
  EXPECT_EQ(m.outcome().confidence, 0.0);
  EXPECT_EQ(m.outcome().error, "operator request");
  call_request late;
  late.key = {phase::propose, 1, 0, no_agent};
  EXPECT_TRUE(m.record(agent::mock_reply(*spec, late), t).events.empty()) << "a reply after the end";
}

// -- judge -----------------------------------------------------------------------------------

TEST(Judge, FallsBackToTheNextJudgeThenToMajority) {
  auto spec = make_spec([](debate_spec& s) {
    s.protocol = protocol_kind::full;
    s.consensus = consensus_method::judge;
    s.rounds = 1;
    s.max_judges = 2;
  });
  std::vector<uint8_t> judges;
  debate_machine m(spec);
  drive(m, [&](const debate_spec& spec, const call_request& c) {
    if (c.key.ph == phase::judge) {
      judges.push_back(c.key.agent);
      call_outcome o;
      o.key = c.key;
      o.error = call_errc::provider_error;
      return o;
    }
    return agent::mock_reply(spec, c);
  });
  EXPECT_EQ(judges.size(), 2u);
  EXPECT_NE(judges[0], judges[1]);
  EXPECT_EQ(m.outcome().method_used, "majority (judge fallback)");
  EXPECT_EQ(m.agent_calls(), 3u + 9 + 3 + 2);
}

TEST(Judge, TheMostSupportedAgentJudgesFirst) {
  auto spec = make_spec([](debate_spec& s) {
    s.consensus = consensus_method::judge;
    s.rounds = 1;
  });
  debate_machine m(spec);
  uint8_t first_judge = no_agent;
  drive(m, [&](const debate_spec& spec, const call_request& c) {
    if (c.key.ph == phase::judge && first_judge == no_agent) first_judge = c.key.agent;
    return agent::mock_reply(spec, c);
  });
  ASSERT_NE(first_judge, no_agent);
  std::vector<double> support(3, 0.0);
  for (const auto& b : m.outcome().ballots) support[b.choice] += b.confidence;
  EXPECT_EQ(support[first_judge], *std::max_element(support.begin(), support.end()));
  // Lite with a judge: R(N^2+N) calls plus the judge.
  EXPECT_EQ(m.agent_calls(), 12u + 1);
}

// -- the none method ------------------------------------------------------------------------

TEST(NoneMethod, ConcatenatesEveryFinalProposal) {
  auto spec = make_spec([](debate_spec& s) { s.consensus = consensus_method::none; });
  debate_machine m(spec);
  drive(m, mock);
  const auto& f = m.outcome();
  EXPECT_EQ(f.status, debate_status::no_consensus);
  EXPECT_FALSE(f.reached);
  ASSERT_TRUE(f.final_answer);
  for (const auto& a : spec->agents)
    EXPECT_NE(f.final_answer->find("[" + a.name + "]"), std::string::npos);
}


// -- budgets ----------------------------------------------------------------------------------

/// Every call costs $0.01, failed ones too (a reply that does not parse was paid for).
call_outcome priced(const debate_spec& spec, const call_request& c) {
  auto o = test::mock(spec, c);
  o.cost_usd = 0.01;
  return o;
}

TEST(Budget, ADebateEndsAsSoonAsItsCallsCostItsBudgetWithWhatWasDecidedSoFar) {
  // Lite, 3 agents, 3 rounds without early stop: 12 calls ($0.12) a round. A $0.20 budget ends
  // it in round 2, after round 1's vote decided.
  auto spec = make_spec([](debate_spec& s) {
    s.rounds = 3;
    s.early_stop = false;
    s.budget_usd = 0.20;
  });
  debate_machine m(spec);
  auto events = drive(m, priced);
  ASSERT_TRUE(m.finished());
  const auto& f = m.outcome();
  EXPECT_EQ(f.status, debate_status::budget_exceeded);
  // The 20th reply reached $0.20, in round 2's critiques: the 21st, in flight, was abandoned.
  EXPECT_EQ(m.transcript().size() + m.errors().size(), 20u);
  EXPECT_EQ(m.agent_calls(), 21u);
  EXPECT_NEAR(m.cost_usd(), 0.20, 1e-9);
  EXPECT_EQ(m.rounds_used(), 2u);
  EXPECT_NE(f.error.find("$0.200000 of a $0.200000 budget"), std::string::npos) << f.error;
  // Round 1's vote is what was decided: its leader's proposal is the answer.
  ASSERT_EQ(m.checks().size(), 1u);
  const auto& check = m.checks()[0].decision;
  EXPECT_EQ(f.reached, check.reached);
  ASSERT_TRUE(f.final_answer);
  const transcript_entry* round1 = nullptr;
  for (const auto& t : m.transcript())
    if (t.key.round == 1 && t.key.ph == phase::propose && t.key.agent == check.leader) round1 = &t;
  ASSERT_TRUE(round1);
  EXPECT_EQ(f.final_answer, round1->text);
  EXPECT_EQ(events.back().type, event_type::debate_end);

  // Within budget, or without one, the same debate runs its course.
  auto roomy = make_spec([](debate_spec& s) {
    s.rounds = 3;
    s.early_stop = false;
    s.budget_usd = 1.0;
  });
  debate_machine full(roomy);
  drive(full, priced);
  EXPECT_NE(full.outcome().status, debate_status::budget_exceeded);
  EXPECT_EQ(full.agent_calls(), 36u);
}

TEST(Budget, SpentBeforeAnyVoteThereIsNoDecisionAndFailedCallsCount) {
  auto spec = make_spec([](debate_spec& s) { s.budget_usd = 0.025; });
  debate_machine m(spec);
  drive(m, [](const debate_spec& sp, const call_request& c) {
    auto o = priced(sp, c);
    if (c.key.agent == 0) {  // paid for, then refused
      o.error = call_errc::bad_reply;
      o.error_message = "no VOTE line";
    }
    return o;
  });
  EXPECT_EQ(m.outcome().status, debate_status::budget_exceeded);
  EXPECT_EQ(m.agent_calls(), 3u);
  EXPECT_FALSE(m.outcome().reached);
  EXPECT_FALSE(m.outcome().final_answer);
  EXPECT_EQ(m.outcome().winner, no_agent);
  EXPECT_EQ(m.outcome().decision, verdict::rejected);
}

TEST(Budget, AMalformedBudgetIsRefused) {
  for (double bad : {-1.0, 2e6, std::nan("")}) {
    auto spec = make_spec([&](debate_spec& s) { s.budget_usd = bad; });
    auto err = validate(*spec);
    ASSERT_TRUE(err) << bad;
    EXPECT_EQ(err->code, spec_errc::bad_budget);
  }
}


TEST(Budget, AFullJudgeDebateSpentAtItsVoteIsDecidedByTheVotesWithoutAJudge) {
  // Full, 3 agents, 1 round: 3 proposals, 6 critiques, 3 revisions, 3 votes = 15 calls, $0.15.
  auto spec = make_spec([](debate_spec& s) {
    s.protocol = protocol_kind::full;
    s.consensus = consensus_method::judge;
    s.rounds = 1;
    s.budget_usd = 0.15;
  });
  debate_machine m(spec);
  drive(m, priced);
  EXPECT_EQ(m.outcome().status, debate_status::budget_exceeded);
  EXPECT_EQ(m.agent_calls(), 15u);  // no judge was asked
  ASSERT_EQ(m.checks().size(), 1u);
  EXPECT_EQ(m.outcome().method_used, "majority (judge skipped: budget)");
  EXPECT_EQ(m.outcome().ballots.size(), 3u);
  EXPECT_EQ(m.outcome().reached, m.checks()[0].decision.reached);
}

TEST(Budget, AnAmountSpentExactlyEndsTheDebateDespiteFloatSums) {
  // Ten $0.01 calls sum to 0.09999999999999999 in doubles.
  auto spec = make_spec([](debate_spec& s) {
    s.rounds = 3;
    s.early_stop = false;
    s.budget_usd = 0.10;
  });
  debate_machine m(spec);
  drive(m, priced);
  EXPECT_EQ(m.outcome().status, debate_status::budget_exceeded);
  EXPECT_EQ(m.transcript().size() + m.errors().size(), 10u);
}

TEST(Budget, TheLastVoteOfTheLastRoundConcludesTheDebateAsUsual) {
  // 1 lite round = 12 calls = $0.12: spent by its last vote, with nothing left to run.
  auto spec = make_spec([](debate_spec& s) {
    s.rounds = 1;
    s.budget_usd = 0.12;
  });
  debate_machine m(spec);
  drive(m, priced);
  EXPECT_NE(m.outcome().status, debate_status::budget_exceeded);
  EXPECT_EQ(m.agent_calls(), 12u);
}

}  // namespace
}  // namespace aragora::debate
