#include "actors/debate/consensus.hpp"

#include <algorithm>
#include <cmath>

namespace aragora::debate {

namespace {

// Shares like 0.3/0.5 must count as reaching 0.6 despite binary rounding.
constexpr double epsilon = 1e-9;

}  // namespace

uint32_t quorum(uint32_t agents, uint32_t min_participation, double ratio) {
  auto by_ratio = static_cast<uint32_t>(std::ceil(static_cast<double>(agents) * ratio - epsilon));
  return std::min(agents, std::max(min_participation, by_ratio));
}

consensus_decision decide(const consensus_params& params, std::span<const ballot> ballots,
                          uint32_t agents) {
  consensus_decision d;
  d.tally.assign(agents, 0.0);
  std::vector<uint32_t> counts(agents, 0);
  for (const auto& b : ballots) {
    if (b.choice >= agents || b.voter >= agents) continue;
    d.tally[b.choice] += std::clamp(b.confidence, 0.0, 1.0);
    ++counts[b.choice];
    ++d.votes;
  }
  d.quorum = quorum(agents, params.min_participation, params.participation_ratio);
  d.quorum_met = d.votes >= d.quorum && d.votes > 0;
  for (uint32_t i = 0; i < agents; ++i) {
    d.total += d.tally[i];
    if (counts[i] == 0) continue;
    if (d.leader == no_agent || d.tally[i] > d.tally[d.leader] + epsilon)
      d.leader = static_cast<uint8_t>(i);
  }
  if (!d.quorum_met) {
    d.confidence = 0;
    return d;
  }
  d.confidence = d.total > 0 ? d.tally[d.leader] / d.total : 0.0;
  switch (params.method) {
    case consensus_method::majority:
    case consensus_method::judge:
      d.reached = d.confidence + epsilon >= params.threshold;
      break;
    case consensus_method::supermajority:
      d.reached = d.confidence + epsilon >= std::max(params.threshold, params.supermajority);
      break;
    case consensus_method::unanimous:
      d.reached = counts[d.leader] == d.votes;
      break;
    case consensus_method::none:
      d.reached = false;
      break;
  }
  return d;
}

verdict verdict_for(bool reached, double confidence, bool has_dissent, double approve_confidence,
                    double review_confidence) {
  if (!reached)
    return confidence + epsilon >= review_confidence ? verdict::needs_review : verdict::rejected;
  if (!has_dissent && confidence + epsilon >= approve_confidence) return verdict::approved;
  return verdict::approved_with_conditions;
}

}  // namespace aragora::debate
