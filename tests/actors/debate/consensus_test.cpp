#include "actors/debate/consensus.hpp"

#include <gtest/gtest.h>

namespace aragora::debate {
namespace {

consensus_params rule(consensus_method m, double threshold = 0.6) {
  consensus_params p;
  p.method = m;
  p.threshold = threshold;
  return p;
}

TEST(Quorum, FollowsMinOfAgentsAndMaxOfFloorAndHalf) {
  EXPECT_EQ(quorum(1, 2, 0.5), 1u);
  EXPECT_EQ(quorum(2, 2, 0.5), 2u);
  EXPECT_EQ(quorum(3, 2, 0.5), 2u);
  EXPECT_EQ(quorum(4, 2, 0.5), 2u);
  EXPECT_EQ(quorum(5, 2, 0.5), 3u);
  EXPECT_EQ(quorum(10, 2, 0.5), 5u);
  EXPECT_EQ(quorum(11, 2, 0.5), 6u);
}

TEST(Majority, ShareExactlyAtThresholdReaches) {
  std::vector<ballot> b{{0, 0, 0.6}, {1, 1, 0.4}};
  auto d = decide(rule(consensus_method::majority), b, 3);
  EXPECT_TRUE(d.quorum_met);
  EXPECT_TRUE(d.reached);
  EXPECT_EQ(d.leader, 0);
  EXPECT_NEAR(d.confidence, 0.6, 1e-12);
}

TEST(Majority, ADecimalShareAtThresholdReachesDespiteBinaryRounding) {
  // 0.81 / 1.35 is exactly 0.6 in decimal; in doubles it is 0.5999999999999999.
  std::vector<ballot> b{{0, 0, 0.1}, {1, 0, 0.71}, {2, 1, 0.54}};
  auto d = decide(rule(consensus_method::majority), b, 3);
  ASSERT_LT(d.confidence, 0.6);
  EXPECT_TRUE(d.reached);
  EXPECT_EQ(d.leader, 0);
}

TEST(Majority, ShareJustBelowThresholdDoesNotReach) {
  std::vector<ballot> b{{0, 0, 0.599}, {1, 1, 0.401}};
  auto d = decide(rule(consensus_method::majority), b, 3);
  EXPECT_FALSE(d.reached);
  EXPECT_EQ(d.leader, 0);
  EXPECT_NEAR(d.confidence, 0.599, 1e-12);
}

TEST(Majority, TalliesAreConfidenceWeighted) {
  // Two low-confidence votes for agent 1 lose to one confident vote for agent 0.
  std::vector<ballot> b{{0, 0, 0.9}, {1, 1, 0.2}, {2, 1, 0.2}};
  auto d = decide(rule(consensus_method::majority), b, 3);
  EXPECT_EQ(d.leader, 0);
  EXPECT_NEAR(d.confidence, 0.9 / 1.3, 1e-12);
  EXPECT_TRUE(d.reached);
}

TEST(Majority, TiesGoToTheLowerAgentIndex) {
  std::vector<ballot> b{{0, 2, 0.5}, {1, 1, 0.5}};
  auto d = decide(rule(consensus_method::majority), b, 3);
  EXPECT_EQ(d.leader, 1);
  EXPECT_FALSE(d.reached);
}

TEST(Majority, BelowQuorumHasNoConfidence) {
  std::vector<ballot> b{{0, 1, 1.0}};
  auto d = decide(rule(consensus_method::majority), b, 3);
  EXPECT_FALSE(d.quorum_met);
  EXPECT_FALSE(d.reached);
  EXPECT_EQ(d.confidence, 0.0);
  EXPECT_EQ(d.votes, 1u);
  EXPECT_EQ(d.quorum, 2u);
}

TEST(Majority, ThresholdIsConfigurable) {
  std::vector<ballot> b{{0, 0, 0.7}, {1, 1, 0.3}};
  EXPECT_TRUE(decide(rule(consensus_method::majority, 0.7), b, 2).reached);
  EXPECT_FALSE(decide(rule(consensus_method::majority, 0.71), b, 2).reached);
}

TEST(Supermajority, NeedsTwoThirds) {
  std::vector<ballot> two_of_three{{0, 0, 1.0}, {1, 0, 1.0}, {2, 1, 1.0}};
  EXPECT_TRUE(decide(rule(consensus_method::supermajority), two_of_three, 3).reached);
  std::vector<ballot> just_below{{0, 0, 0.66}, {1, 1, 0.34}};
  EXPECT_FALSE(decide(rule(consensus_method::supermajority), just_below, 3).reached);
  std::vector<ballot> at_0_6{{0, 0, 0.6}, {1, 1, 0.4}};
  EXPECT_FALSE(decide(rule(consensus_method::supermajority), at_0_6, 3).reached);
}

TEST(Supermajority, AHigherConfiguredThresholdWins) {
  std::vector<ballot> b{{0, 0, 0.7}, {1, 1, 0.3}};
  EXPECT_TRUE(decide(rule(consensus_method::supermajority, 0.6), b, 2).reached);
  EXPECT_FALSE(decide(rule(consensus_method::supermajority, 0.75), b, 2).reached);
}

TEST(Supermajority, ExactlyAtTheConfiguredThresholdReaches) {
  std::vector<ballot> three_of_four{{0, 0, 1.0}, {1, 0, 1.0}, {2, 0, 1.0}, {3, 1, 1.0}};
  auto d = decide(rule(consensus_method::supermajority, 0.75), three_of_four, 4);
  EXPECT_TRUE(d.reached);
  EXPECT_NEAR(d.confidence, 0.75, 1e-12);
  std::vector<ballot> just_below{{0, 0, 0.749}, {1, 1, 0.251}};
  EXPECT_FALSE(decide(rule(consensus_method::supermajority, 0.75), just_below, 2).reached);
}

TEST(Unanimous, OneVoteBelowQuorumIsNotUnanimity) {
  std::vector<ballot> alone{{0, 1, 1.0}};
  auto d = decide(rule(consensus_method::unanimous), alone, 3);
  EXPECT_FALSE(d.quorum_met);
  EXPECT_FALSE(d.reached);
}

TEST(Unanimous, EveryVoteMustAgree) {
  std::vector<ballot> all{{0, 1, 0.5}, {1, 1, 0.9}, {2, 1, 0.1}};
  auto d = decide(rule(consensus_method::unanimous), all, 3);
  EXPECT_TRUE(d.reached);
  EXPECT_EQ(d.leader, 1);
  EXPECT_NEAR(d.confidence, 1.0, 1e-12);
  // One dissent, however weak, breaks unanimity.
  std::vector<ballot> one_off{{0, 1, 1.0}, {1, 1, 1.0}, {2, 0, 0.01}};
  EXPECT_FALSE(decide(rule(consensus_method::unanimous), one_off, 3).reached);
}

TEST(None, NeverReachesButReportsTheLeadersShare) {
  std::vector<ballot> b{{0, 1, 1.0}, {1, 1, 1.0}, {2, 1, 1.0}};
  auto d = decide(rule(consensus_method::none), b, 3);
  EXPECT_FALSE(d.reached);
  EXPECT_EQ(d.leader, 1);
  EXPECT_NEAR(d.confidence, 1.0, 1e-12);
}

TEST(Judge, VotesEvaluateAsMajorityForEarlyStopAndFallback) {
  std::vector<ballot> b{{0, 0, 0.6}, {1, 1, 0.4}};
  EXPECT_TRUE(decide(rule(consensus_method::judge), b, 2).reached);
}

TEST(Ballots, OutOfRangeChoicesAreIgnored) {
  std::vector<ballot> b{{0, 7, 1.0}, {1, 0, 1.0}, {2, 0, 1.0}};
  auto d = decide(rule(consensus_method::majority), b, 3);
  EXPECT_EQ(d.votes, 2u);
  EXPECT_TRUE(d.reached);
}

TEST(Verdict, FollowsTheReceiptRulesAtTheirEdges) {
  EXPECT_EQ(verdict_for(false, 0.4, false, 0.8, 0.4), verdict::needs_review);
  EXPECT_EQ(verdict_for(false, 0.39, false, 0.8, 0.4), verdict::rejected);
  EXPECT_EQ(verdict_for(true, 0.8, false, 0.8, 0.4), verdict::approved);
  EXPECT_EQ(verdict_for(true, 0.79, false, 0.8, 0.4), verdict::approved_with_conditions);
  EXPECT_EQ(verdict_for(true, 0.95, true, 0.8, 0.4), verdict::approved_with_conditions);
  EXPECT_EQ(verdict_for(false, 0.0, false, 0.8, 0.4), verdict::rejected);
}

}  // namespace
}  // namespace aragora::debate
