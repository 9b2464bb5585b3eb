#pragma once
// Continuum memory (aragora-semantics §4.1), pure: four tiers that differ in half-life, how
// surprise moves entries between them, and how entries are scored for recall.
//
//   tier     half-life  promote when surprise >  demote when stability >  recall decay c  cap
//   fast     1 h        (top)                    0.2                      24              1,000
//   medium   24 h       0.7                      0.3                      1               5,000
//   slow     7 d        0.6                      0.4                      0.14            10,000
//   glacial  30 d       0.5                      (bottom)                 0.03            50,000
//
// Promotion moves one tier faster (at most once per 24 h); demotion one tier slower and needs at
// least 10 updates; stability = 1 - surprise. New entries start in `slow`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aragora::memory {

enum class tier : uint8_t { fast, medium, slow, glacial };

inline constexpr tier all_tiers[] = {tier::fast, tier::medium, tier::slow, tier::glacial};

[[nodiscard]] std::string_view to_string(tier t);

struct tier_params {
  double half_life_h;
  double promote_above;  // surprise; > 1 never
  double demote_above;   // stability; > 1 never
  double recall_c;
  size_t cap;
};

[[nodiscard]] const tier_params& params(tier t);
[[nodiscard]] std::optional<tier> faster(tier t);
[[nodiscard]] std::optional<tier> slower(tier t);

inline constexpr int64_t promotion_cooldown_s = 24 * 3600;
inline constexpr uint32_t demotion_min_updates = 10;

struct entry {
  std::string id;
  tier where = tier::slow;
  std::string topic;    // the question it answers
  std::string content;  // what was decided
  std::string debate_id;
  double importance = 0.5;
  double surprise = 0;
  double consolidation = 0;
  uint32_t updates = 0;
  uint32_t successes = 0;
  uint32_t failures = 0;
  int64_t created_s = 0;
  int64_t updated_s = 0;
  int64_t last_promotion_s = 0;
};

/// importance x (1 + surprise) / (1 + days since the last update x c of its tier).
[[nodiscard]] double retrieval_score(const entry& e, int64_t now_s);

/// The keywords of a text (lower-cased words of 3+ letters, minus stop words), sorted, unique.
[[nodiscard]] std::vector<std::string> keywords(std::string_view text);

/// The keywords of an entry's topic and content, sorted, unique.
[[nodiscard]] std::vector<std::string> keywords(const entry& e);

/// Share of the query's keywords found in the entry's topic and content; 0 when the query has
/// none. The first form takes both keyword lists, worked out once (recall scores every entry).
[[nodiscard]] double relevance(const std::vector<std::string>& query,
                               const std::vector<std::string>& entry_keywords);
[[nodiscard]] double relevance(std::string_view query, const entry& e);

/// Learns from whether the decision held up (§4.1 outcome update): expected = successes / total,
/// surprise <- 0.7 surprise + 0.3 |actual - expected|, consolidation = ln(1+n)/ln(100).
/// The Python reference scales the new term by another 0.3, which caps surprise at 0.3, below
/// every promotion threshold: nothing could ever be promoted. The full difference is used here.
void record_outcome(entry& e, bool success, int64_t now_s);

enum class move : uint8_t { stay, promote, demote };

[[nodiscard]] move transition(const entry& e, int64_t now_s);

/// Records outcomes in order, moving the entry one tier after each one whose `transition` says
/// so (a promotion stamps last_promotion_s): what applying them one at a time in the tier that
/// holds the entry at each step does. `e.where` ends in the tier the entry belongs to.
void record_outcomes(entry& e, const std::vector<bool>& outcomes, int64_t now_s);

/// Indices of the entries to evict so that at most `cap` remain: lowest importance first, then
/// the least recently updated.
[[nodiscard]] std::vector<size_t> evictions(const std::vector<const entry*>& entries, size_t cap);
[[nodiscard]] std::vector<size_t> evictions(const std::vector<entry>& entries, size_t cap);

}  // namespace aragora::memory
