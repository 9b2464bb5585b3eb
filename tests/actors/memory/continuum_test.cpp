#include "actors/memory/continuum.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace aragora::memory {
namespace {

constexpr int64_t now = 1'800'000'000;
constexpr int64_t day = 86400;

entry make(tier t, double importance = 0.5, double surprise = 0.0) {
  entry e;
  e.id = "e";
  e.where = t;
  e.importance = importance;
  e.surprise = surprise;
  e.created_s = e.updated_s = now;
  return e;
}

TEST(Continuum, TierTableFollowsTheReference) {
  EXPECT_EQ(params(tier::fast).half_life_h, 1);
  EXPECT_EQ(params(tier::medium).half_life_h, 24);
  EXPECT_EQ(params(tier::slow).half_life_h, 168);
  EXPECT_EQ(params(tier::glacial).half_life_h, 720);
  EXPECT_EQ(params(tier::fast).cap, 1000u);
  EXPECT_EQ(params(tier::glacial).cap, 50000u);
  EXPECT_EQ(faster(tier::slow), tier::medium);
  EXPECT_FALSE(faster(tier::fast));
  EXPECT_EQ(slower(tier::slow), tier::glacial);
  EXPECT_FALSE(slower(tier::glacial));
}

TEST(Continuum, RetrievalScoreDecaysByTier) {
  auto e = make(tier::fast, 0.8, 0.5);
  EXPECT_DOUBLE_EQ(retrieval_score(e, now), 0.8 * 1.5);
  EXPECT_DOUBLE_EQ(retrieval_score(e, now + day), 0.8 * 1.5 / 25.0);  // c = 24
  auto g = make(tier::glacial, 0.8, 0.5);
  EXPECT_DOUBLE_EQ(retrieval_score(g, now + 10 * day), 0.8 * 1.5 / 1.3);  // c = 0.03
}

TEST(Continuum, RelevanceCountsQueryKeywords) {
  auto e = make(tier::slow);
  e.topic = "Should we adopt Kubernetes for internal services?";
  e.content = "Decision: approved with conditions; start with a pilot.";
  EXPECT_DOUBLE_EQ(relevance("Should we adopt Kubernetes?", e), 1.0);  // adopt, kubernetes
  EXPECT_DOUBLE_EQ(relevance("Kubernetes or Nomad?", e), 0.5);        // kubernetes, nomad
  EXPECT_DOUBLE_EQ(relevance("Tabs or spaces?", e), 0.0);
  EXPECT_DOUBLE_EQ(relevance("a an of", e), 0.0);
}

TEST(Continuum, OutcomesMoveSurpriseAndConsolidation) {
  auto e = make(tier::slow);
  record_outcome(e, true, now + 10);  // expected 0.5, actual 1: fresh 0.5
  EXPECT_DOUBLE_EQ(e.surprise, 0.15);
  EXPECT_EQ(e.updates, 1u);
  EXPECT_EQ(e.successes, 1u);
  EXPECT_EQ(e.updated_s, now + 10);
  EXPECT_NEAR(e.consolidation, std::log(2.0) / std::log(100.0), 1e-12);
  record_outcome(e, true, now + 20);  // expected 1, actual 1: fresh 0
  EXPECT_DOUBLE_EQ(e.surprise, 0.7 * 0.15);
  for (int i = 0; i < 200; ++i) record_outcome(e, true, now);
  EXPECT_DOUBLE_EQ(e.consolidation, 1.0);
}

TEST(Continuum, SurprisePromotesWithACooldownAndStabilityDemotes) {
  auto e = make(tier::slow, 0.5, 0.61);
  e.last_promotion_s = now - day;
  EXPECT_EQ(transition(e, now), move::promote);
  e.last_promotion_s = now - day + 1;
  EXPECT_EQ(transition(e, now), move::stay);  // promoted less than 24 h ago
  e.surprise = 0.6;
  e.last_promotion_s = 0;
  EXPECT_EQ(transition(e, now), move::stay);  // not above 0.6
  auto top = make(tier::fast, 0.5, 0.99);
  EXPECT_EQ(transition(top, now), move::stay);  // nothing is faster than fast
  auto stable = make(tier::medium, 0.5, 0.1);   // stability 0.9 > 0.3
  stable.updates = 9;
  EXPECT_EQ(transition(stable, now), move::stay);  // needs 10 updates
  stable.updates = 10;
  EXPECT_EQ(transition(stable, now), move::demote);
  auto bottom = make(tier::glacial, 0.5, 0.0);
  bottom.updates = 50;
  EXPECT_EQ(transition(bottom, now), move::stay);
}

TEST(Continuum, AStableDecisionSinksAndAReversalBringsItBack) {
  auto e = make(tier::slow);
  for (int i = 0; i < 20; ++i) record_outcome(e, true, now);
  EXPECT_EQ(transition(e, now), move::demote);  // stable and often confirmed
  e.where = tier::glacial;
  EXPECT_EQ(transition(e, now), move::stay);
  int failures = 0;
  while (transition(e, now) != move::promote && failures < 10) {
    record_outcome(e, false, now);
    ++failures;
  }
  EXPECT_EQ(transition(e, now), move::promote) << e.surprise;
  EXPECT_LE(failures, 3);  // it stopped holding: surprise climbs past 0.5 fast
}

TEST(Continuum, EvictionDropsTheLeastImportantFirst) {
  std::vector<entry> es;
  for (int i = 0; i < 6; ++i) {
    auto e = make(tier::fast, 0.1 * (i % 3 + 1));
    e.id = "e" + std::to_string(i);
    e.updated_s = now + i;
    es.push_back(e);
  }
  auto out = evictions(es, 4);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(es[out[0]].id, "e0");  // importance 0.1, older
  EXPECT_EQ(es[out[1]].id, "e3");  // importance 0.1, newer
  EXPECT_TRUE(evictions(es, 6).empty());
}

}  // namespace
}  // namespace aragora::memory
