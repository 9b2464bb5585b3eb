#include "actors/memory/continuum.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace aragora::memory {

std::string_view to_string(tier t) {
  switch (t) {
    case tier::fast: return "fast";
    case tier::medium: return "medium";
    case tier::slow: return "slow";
    case tier::glacial: return "glacial";
  }
  return "slow";
}

const tier_params& params(tier t) {
  static const tier_params table[] = {
      {1, 2.0, 0.2, 24, 1'000},
      {24, 0.7, 0.3, 1, 5'000},
      {168, 0.6, 0.4, 0.14, 10'000},
      {720, 0.5, 2.0, 0.03, 50'000},
  };
  return table[static_cast<size_t>(t)];
}

std::optional<tier> faster(tier t) {
  if (t == tier::fast) return std::nullopt;
  return static_cast<tier>(static_cast<uint8_t>(t) - 1);
}

std::optional<tier> slower(tier t) {
  if (t == tier::glacial) return std::nullopt;
  return static_cast<tier>(static_cast<uint8_t>(t) + 1);
}

double retrieval_score(const entry& e, int64_t now_s) {
  double days = std::max<int64_t>(0, now_s - e.updated_s) / 86400.0;
  return e.importance * (1.0 + e.surprise) / (1.0 + days * params(e.where).recall_c);
}

namespace {

std::set<std::string> keywords(std::string_view text) {
  static const std::set<std::string> stop{"the", "and", "for", "are", "but", "not", "you", "all",
                                          "any", "can", "had", "her", "was", "one", "our", "out",
                                          "has", "have", "should", "would", "could", "with",
                                          "this", "that", "what", "when", "which", "will", "from",
                                          "they", "them", "their", "there", "into", "about", "does"};
  std::set<std::string> out;
  std::string word;
  auto flush = [&] {
    if (word.size() >= 3 && !stop.count(word)) out.insert(word);
    word.clear();
  };
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80)
      word.push_back(static_cast<char>(std::tolower(u)));
    else
      flush();
  }
  flush();
  return out;
}

}  // namespace

double relevance(std::string_view query, const entry& e) {
  auto q = keywords(query);
  if (q.empty()) return 0.0;
  auto have = keywords(e.topic);
  auto more = keywords(e.content);
  have.insert(more.begin(), more.end());
  size_t hit = 0;
  for (const auto& w : q) hit += have.count(w);
  return static_cast<double>(hit) / static_cast<double>(q.size());
}

void record_outcome(entry& e, bool success, int64_t now_s) {
  auto total = e.successes + e.failures;
  double expected = total ? static_cast<double>(e.successes) / total : 0.5;
  double actual = success ? 1.0 : 0.0;
  double fresh = std::fabs(actual - expected);
  e.surprise = 0.7 * e.surprise + 0.3 * fresh;
  (success ? e.successes : e.failures) += 1;
  ++e.updates;
  e.consolidation = std::min(1.0, std::log(1.0 + e.updates) / std::log(100.0));
  e.updated_s = now_s;
}

move transition(const entry& e, int64_t now_s) {
  const auto& p = params(e.where);
  if (faster(e.where) && e.surprise > p.promote_above &&
      now_s - e.last_promotion_s >= promotion_cooldown_s)
    return move::promote;
  if (slower(e.where) && (1.0 - e.surprise) > p.demote_above && e.updates >= demotion_min_updates)
    return move::demote;
  return move::stay;
}

std::vector<size_t> evictions(const std::vector<entry>& entries, size_t cap) {
  if (entries.size() <= cap) return {};
  std::vector<size_t> order(entries.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (entries[a].importance != entries[b].importance)
      return entries[a].importance < entries[b].importance;
    return entries[a].updated_s < entries[b].updated_s;
  });
  order.resize(entries.size() - cap);
  return order;
}

}  // namespace aragora::memory
