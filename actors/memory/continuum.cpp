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

/// Calls `f(word)` for every keyword of `text`: lower-cased words of 3+ letters, minus stop
/// words. `word` is reused between calls.
template <class F>
void for_each_keyword(std::string_view text, std::string& word, F&& f) {
  static const std::set<std::string, std::less<>> stop{"the", "and", "for", "are", "but", "not", "you", "all",
                                          "any", "can", "had", "her", "was", "one", "our", "out",
                                          "has", "have", "should", "would", "could", "with",
                                          "this", "that", "what", "when", "which", "will", "from",
                                          "they", "them", "their", "there", "into", "about", "does"};
  word.clear();
  auto flush = [&] {
    if (word.size() >= 3 && !stop.count(word)) f(std::string_view{word});
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
}

}  // namespace

std::vector<std::string> keywords(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  for_each_keyword(text, word, [&](std::string_view w) { out.emplace_back(w); });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> keywords(const entry& e) {
  std::vector<std::string> out;
  std::string word;
  auto add = [&](std::string_view w) { out.emplace_back(w); };
  for_each_keyword(e.topic, word, add);
  for_each_keyword(e.content, word, add);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

double relevance(const std::vector<std::string>& query,
                 const std::vector<std::string>& entry_keywords) {
  if (query.empty()) return 0.0;
  size_t hits = 0;
  auto a = query.begin();
  auto b = entry_keywords.begin();
  while (a != query.end() && b != entry_keywords.end()) {
    if (*a < *b) {
      ++a;
    } else if (*b < *a) {
      ++b;
    } else {
      ++hits, ++a, ++b;
    }
  }
  return static_cast<double>(hits) / static_cast<double>(query.size());
}

double relevance(std::string_view query, const entry& e) {
  return relevance(keywords(query), keywords(e));
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

void record_outcomes(entry& e, const std::vector<bool>& outcomes, int64_t now_s) {
  for (bool success : outcomes) {
    record_outcome(e, success, now_s);
    switch (transition(e, now_s)) {
      case move::stay: break;
      case move::promote:
        e.where = *faster(e.where);
        e.last_promotion_s = now_s;
        break;
      case move::demote: e.where = *slower(e.where); break;
    }
  }
}

std::vector<size_t> evictions(const std::vector<const entry*>& entries, size_t cap) {
  if (entries.size() <= cap) return {};
  const auto n = entries.size() - cap;
  std::vector<size_t> order(entries.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Only the n to go are put in order: a full tier evicts one entry per insert.
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                    [&](size_t a, size_t b) {
                      const auto& x = *entries[a];
                      const auto& y = *entries[b];
                      if (x.importance != y.importance) return x.importance < y.importance;
                      return x.updated_s < y.updated_s;
                    });
  order.resize(n);
  return order;
}

std::vector<size_t> evictions(const std::vector<entry>& entries, size_t cap) {
  std::vector<const entry*> all;
  all.reserve(entries.size());
  for (const auto& e : entries) all.push_back(&e);
  return evictions(all, cap);
}

}  // namespace aragora::memory
