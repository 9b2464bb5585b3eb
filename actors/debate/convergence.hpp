#pragma once
// Round-over-round convergence (aragora-semantics §1.6): each agent's text against its own text of
// the previous round; the debate converges when the least similar agent reaches the threshold.

#include <string_view>
#include <vector>

#include "actors/debate/types.hpp"

namespace aragora::debate {

/// |A ∩ B| / |A ∪ B| over lower-cased whitespace-separated tokens; 0 when both are empty.
[[nodiscard]] double jaccard_similarity(std::string_view a, std::string_view b);

/// Cosine of TF-IDF vectors fitted on the two texts, with scikit-learn's defaults: tokens
/// `\b\w\w+\b` lower-cased, raw counts, smooth idf ln((1+n)/(1+df))+1, L2 norm. 0 when a text has
/// no token.
[[nodiscard]] double tfidf_similarity(std::string_view a, std::string_view b);

[[nodiscard]] double similarity(similarity_method m, std::string_view a, std::string_view b);

struct agent_similarity {
  uint8_t agent;
  double value;
};

struct convergence_report {
  convergence_status status = convergence_status::not_checked;
  double min_similarity = 0;
  double avg_similarity = 0;
  std::vector<agent_similarity> per_agent;
  uint32_t round = 0;
};

/// Compares `current[i]` with `previous[i]` for every agent that has both.
[[nodiscard]] convergence_report assess_convergence(similarity_method m,
                                                    const std::vector<text_ptr>& current,
                                                    const std::vector<text_ptr>& previous,
                                                    double converged_at, double diverging_below);

}  // namespace aragora::debate
