#include "actors/ranking/elo.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace aragora::ranking {
namespace {

match_input match(std::vector<std::string> who, std::optional<std::string> winner,
                  bool reached = true, double confidence = 1.0) {
  match_input m;
  m.debate_id = "d";
  m.domain = "general";
  m.participants = std::move(who);
  m.winner = std::move(winner);
  m.consensus_reached = reached;
  m.confidence = confidence;
  return m;
}

TEST(Elo, ExpectedScore) {
  EXPECT_DOUBLE_EQ(expected_score(1500, 1500), 0.5);
  EXPECT_NEAR(expected_score(1600, 1400), 1.0 / (1.0 + std::pow(10.0, -0.5)), 1e-12);
  EXPECT_NEAR(expected_score(1600, 1400) + expected_score(1400, 1600), 1.0, 1e-12);
}

TEST(Elo, TwoEqualAgentsWinnerTakesKTimesASixth) {
  rating_table t;
  auto ch = apply_match(t, match({"a", "b"}, "a"), {});
  // Scores 1 and 0.5: S_A = 2/3, E_A = 1/2, so 32 * (1/6).
  EXPECT_NEAR(ch["a"], 32.0 / 6.0, 1e-9);
  EXPECT_NEAR(ch["b"], -32.0 / 6.0, 1e-9);
  EXPECT_NEAR(t["a"].elo, 1500 + 32.0 / 6.0, 1e-9);
  EXPECT_EQ(t["a"].wins, 1u);
  EXPECT_EQ(t["b"].losses, 1u);
  EXPECT_EQ(t["a"].debates, 1u);
}

TEST(Elo, ThreeAgentsPairwiseFromPreMatchRatings) {
  rating_table t;
  auto ch = apply_match(t, match({"a", "b", "c"}, "a"), {});
  EXPECT_NEAR(ch["a"], 2 * 32.0 / 6.0, 1e-9);
  EXPECT_NEAR(ch["b"], -32.0 / 6.0, 1e-9);  // b vs c is an even pair: no change
  EXPECT_NEAR(ch["c"], -32.0 / 6.0, 1e-9);
  double sum = ch["a"] + ch["b"] + ch["c"];
  EXPECT_NEAR(sum, 0.0, 1e-9);  // zero-sum
}

TEST(Elo, AnUpsetAgainstAStrongerAgent) {
  rating_table t;
  t["a"].name = "a";
  t["a"].elo = 1600;
  t["b"].name = "b";
  t["b"].elo = 1400;
  auto ch = elo_changes(match({"a", "b"}, "b"), t, {});
  double e = 1.0 / (1.0 + std::pow(10.0, -200.0 / 400.0));  // 0.7597
  EXPECT_NEAR(ch["a"], 32.0 * (1.0 / 3.0 - e), 1e-9);     // -13.65
  EXPECT_NEAR(ch["a"], -13.646, 1e-3);
  EXPECT_NEAR(ch["b"], -ch["a"], 1e-12);
}

TEST(Elo, NoConsensusScoresLosersZeroAndNoWinnerIsADraw) {
  rating_table t;
  auto ch = apply_match(t, match({"a", "b"}, "a", false), {});
  // Scores 1 and 0: S_A = 1, so 32 * 0.5.
  EXPECT_NEAR(ch["a"], 16.0, 1e-9);
  rating_table even;
  auto draw = apply_match(even, match({"a", "b"}, std::nullopt), {});
  EXPECT_NEAR(draw["a"], 0.0, 1e-12);
  EXPECT_EQ(even["a"].draws, 1u);
  EXPECT_EQ(even["b"].draws, 1u);
}

TEST(Elo, ConfidenceWeightsTheChange) {
  rating_table t;
  auto ch = elo_changes(match({"a", "b"}, "a", true, 0.5), t, {});
  EXPECT_NEAR(ch["a"], 0.5 * 32.0 / 6.0, 1e-9);
  auto floor = elo_changes(match({"a", "b"}, "a", true, 0.0), t, {});
  EXPECT_NEAR(floor["a"], 0.1 * 32.0 / 6.0, 1e-9);
}

TEST(Elo, DomainRatingsMoveSeparately) {
  rating_table t;
  auto m = match({"a", "b"}, "a");
  m.domain = "infra";
  apply_match(t, m, {});
  auto m2 = match({"a", "b"}, "b");
  m2.domain = "security";
  apply_match(t, m2, {});
  EXPECT_NEAR(t["a"].domain_elo["infra"], 1500 + 32.0 / 6.0, 1e-9);
  EXPECT_LT(t["a"].domain_elo["security"], 1500);
  EXPECT_EQ(t["a"].domain_elo.size(), 2u);
}

TEST(Calibration, BrierFromVotesAndTheSampleFactor) {
  rating_table t;
  for (int i = 0; i < 12; ++i) {
    auto m = match({"a", "b"}, "a");
    m.votes = {{"a", "b", 0.9}, {"b", "a", 0.8}};  // a always wrong, b always right
    apply_match(t, m, {});
  }
  EXPECT_EQ(t["b"].calib.predictions, 12u);
  EXPECT_EQ(t["b"].calib.correct, 12u);
  EXPECT_NEAR(t["b"].calib.brier_sum, 12 * 0.04, 1e-9);
  EXPECT_NEAR(calibration_score(t["b"].calib, 10), (1 - 0.04) * (0.5 + 0.5 * 2 / 40.0), 1e-9);
  EXPECT_NEAR(calibration_score(t["a"].calib, 10), (1 - 0.81) * (0.5 + 0.5 * 2 / 40.0), 1e-9);
  calibration few{5, 5, 0.0};
  EXPECT_EQ(calibration_score(few, 10), 0.0);
}

TEST(Calibration, CountsFromExactlyTheMinimumNumberOfPredictions) {
  // The boundary of the sample rule: at the minimum the score is given, at half weight.
  calibration at_min{10, 10, 0.0};
  EXPECT_NEAR(calibration_score(at_min, 10), 0.5, 1e-12);
  calibration one_short{9, 9, 0.0};
  EXPECT_EQ(calibration_score(one_short, 10), 0.0);
  calibration full{50, 50, 0.0};
  EXPECT_NEAR(calibration_score(full, 10), 1.0, 1e-12);
}

}  // namespace
}  // namespace aragora::ranking
