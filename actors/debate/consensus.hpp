#pragma once
// Consensus rules over confidence-weighted votes (aragora-semantics §1.5, lite engine weights).

#include <cstdint>
#include <span>
#include <vector>

#include "actors/debate/types.hpp"

namespace aragora::debate {

struct consensus_params {
  consensus_method method = consensus_method::majority;
  double threshold = defaults::consensus_threshold;          // majority share needed
  double supermajority = defaults::supermajority_threshold;  // floor of the supermajority share
  uint32_t min_participation = defaults::min_participation;  // quorum floor
  double participation_ratio = defaults::participation_ratio;  // quorum share of the agents
};

struct consensus_decision {
  uint32_t votes = 0;
  uint32_t quorum = 0;
  bool quorum_met = false;
  bool reached = false;
  double confidence = 0;        // the leader's share of the weighted tally
  uint8_t leader = no_agent;    // most supported choice; ties go to the lower agent index
  std::vector<double> tally;    // weighted support per agent
  double total = 0;
};

/// Votes needed for a valid decision: min(n, max(floor, ceil(n * ratio))).
[[nodiscard]] uint32_t quorum(uint32_t agents, uint32_t min_participation, double ratio);

/// Applies a rule to the ballots of `agents` requested agents. `judge` is decided by a judge
/// call; here it evaluates as `majority`, which is what the per-round early-stop check and the
/// judge fallback use. `none` never reaches consensus but still reports the leader's share.
[[nodiscard]] consensus_decision decide(const consensus_params& params,
                                        std::span<const ballot> ballots, uint32_t agents);

/// The verdict rules of aragora-semantics §1.10.
[[nodiscard]] verdict verdict_for(bool reached, double confidence, bool has_dissent,
                                  double approve_confidence, double review_confidence);

}  // namespace aragora::debate
