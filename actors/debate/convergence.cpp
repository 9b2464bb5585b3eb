#include "actors/debate/convergence.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace aragora::debate {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// \w in Python's Unicode regex: letters, digits, underscore; non-ASCII bytes are treated as
// word characters, which keeps UTF-8 words whole.
bool is_word(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || c == '_';
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

template <class F>
void for_each_whitespace_token(std::string_view s, F&& f) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !is_space(s[j])) ++j;
    if (j > i) f(s.substr(i, j - i));
    i = j;
  }
}

// Tokens of two or more word characters, as `\b\w\w+\b` finds them.
template <class F>
void for_each_word_token(std::string_view s, F&& f) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !is_word(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && is_word(s[j])) ++j;
    if (j - i >= 2) f(s.substr(i, j - i));
    i = j;
  }
}

}  // namespace

double jaccard_similarity(std::string_view a, std::string_view b) {
  auto la = lowered(a);
  auto lb = lowered(b);
  std::unordered_set<std::string_view> sa, sb;
  for_each_whitespace_token(la, [&](std::string_view t) { sa.insert(t); });
  for_each_whitespace_token(lb, [&](std::string_view t) { sb.insert(t); });
  if (sa.empty() && sb.empty()) return 0.0;
  size_t common = 0;
  for (auto t : sa) common += sb.count(t);
  return static_cast<double>(common) / static_cast<double>(sa.size() + sb.size() - common);
}

double tfidf_similarity(std::string_view a, std::string_view b) {
  auto la = lowered(a);
  auto lb = lowered(b);
  struct counts {
    uint32_t a = 0;
    uint32_t b = 0;
  };
  std::unordered_map<std::string_view, counts> vocab;
  vocab.reserve(256);
  for_each_word_token(la, [&](std::string_view t) { ++vocab[t].a; });
  for_each_word_token(lb, [&](std::string_view t) { ++vocab[t].b; });
  // n = 2 documents: idf = ln(3 / (1 + df)) + 1.
  const double idf_both = 1.0;
  const double idf_one = std::log(1.5) + 1.0;
  double dot = 0, na = 0, nb = 0;
  for (const auto& [token, c] : vocab) {
    double idf = (c.a > 0 && c.b > 0) ? idf_both : idf_one;
    double wa = c.a * idf;
    double wb = c.b * idf;
    dot += wa * wb;
    na += wa * wa;
    nb += wb * wb;
  }
  if (na == 0 || nb == 0) return 0.0;
  return std::clamp(dot / (std::sqrt(na) * std::sqrt(nb)), 0.0, 1.0);
}

double similarity(similarity_method m, std::string_view a, std::string_view b) {
  return m == similarity_method::jaccard ? jaccard_similarity(a, b) : tfidf_similarity(a, b);
}

convergence_report assess_convergence(similarity_method m, const std::vector<text_ptr>& current,
                                      const std::vector<text_ptr>& previous,
                                      double converged_at, double diverging_below) {
  convergence_report r;
  auto n = std::min(current.size(), previous.size());
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!current[i] || !previous[i]) continue;
    double s = similarity(m, *current[i], *previous[i]);
    r.per_agent.push_back({static_cast<uint8_t>(i), s});
    sum += s;
  }
  if (r.per_agent.empty()) return r;
  r.min_similarity = 1.0;
  for (const auto& x : r.per_agent) r.min_similarity = std::min(r.min_similarity, x.value);
  r.avg_similarity = sum / static_cast<double>(r.per_agent.size());
  if (r.min_similarity >= converged_at)
    r.status = convergence_status::converged;
  else if (r.min_similarity < diverging_below)
    r.status = convergence_status::diverging;
  else
    r.status = convergence_status::refining;
  return r;
}

}  // namespace aragora::debate
