#pragma once
// ELO ratings from debate outcomes (aragora-semantics §3), pure.
//
// Scores: the winner 1.0; the other contributors 0.5 when consensus was reached, 0.0 when not.
// A debate without a winner is a draw: every contributor scores 0.5. Every unordered pair (A, B)
// then moves by K * w * (S_A - E_A), S_A = s_A / (s_A + s_B), E_A = 1 / (1 + 10^((R_B - R_A)/400)),
// all from the ratings before the match, where w is the debate's confidence clamped to [0.1, 1].
// Agents whose calls all failed take no part: they neither win nor lose rating.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/defaults.hpp"

namespace aragora::ranking {

struct elo_params {
  double initial = defaults::elo_initial;
  double k = defaults::elo_k;
  uint32_t calibration_min = defaults::calibration_min_predictions;
};

struct vote_prediction {
  std::string voter;
  std::string choice;
  double confidence;
};

struct match_input {
  std::string debate_id;
  std::string domain;
  std::vector<std::string> participants;  // contributing agents
  std::optional<std::string> winner;      // none: a draw
  bool consensus_reached = false;
  double confidence = 1.0;
  std::vector<vote_prediction> votes;     // for calibration

  /// How much the match moves ratings: the confidence clamped to [0.1, 1].
  [[nodiscard]] double weight() const { return std::clamp(confidence, 0.1, 1.0); }
};

struct calibration {
  uint32_t predictions = 0;
  uint32_t correct = 0;
  double brier_sum = 0;
};

struct rating {
  std::string name;
  double elo = defaults::elo_initial;
  std::map<std::string, double> domain_elo;
  uint32_t wins = 0;
  uint32_t losses = 0;
  uint32_t draws = 0;
  uint32_t debates = 0;
  calibration calib;
};

using rating_table = std::map<std::string, rating>;

/// E_A for ratings (a, b).
[[nodiscard]] double expected_score(double a, double b);

/// Each participant's rating change, from the ratings in `table` (missing = initial).
[[nodiscard]] std::map<std::string, double> elo_changes(const match_input& m,
                                                        const rating_table& table,
                                                        const elo_params& p);

/// Applies a match: ratings (overall and the domain's), win/loss/draw counts, calibration.
/// Returns the changes it applied.
std::map<std::string, double> apply_match(rating_table& table, const match_input& m,
                                          const elo_params& p);

/// (1 - mean Brier) x min(1, 0.5 + 0.5 (n - min) / 40); 0 below `min` predictions.
[[nodiscard]] double calibration_score(const calibration& c, uint32_t min_predictions);

}  // namespace aragora::ranking
