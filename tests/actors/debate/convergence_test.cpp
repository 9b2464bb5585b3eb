#include "actors/debate/convergence.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace aragora::debate {
namespace {

TEST(Jaccard, CountsSharedWhitespaceTokensCaseInsensitively) {
  EXPECT_DOUBLE_EQ(jaccard_similarity("a b c", "b c d"), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(jaccard_similarity("The Cat", "the cat"), 1.0);
  EXPECT_DOUBLE_EQ(jaccard_similarity("x y", "z"), 0.0);
  EXPECT_DOUBLE_EQ(jaccard_similarity("", ""), 0.0);
  EXPECT_DOUBLE_EQ(jaccard_similarity("a a a b", "a b"), 1.0);  // sets, not multisets
}

TEST(TfIdf, MatchesScikitLearnDefaultsOnAHandComputedPair) {
  // Vocabulary {the, cat, sat, ran}; idf(the) = idf(cat) = 1, idf(sat) = idf(ran) = ln(1.5) + 1.
  double w = std::log(1.5) + 1.0;
  double expected = 2.0 / (2.0 + w * w);
  EXPECT_NEAR(tfidf_similarity("the cat sat", "the cat ran"), expected, 1e-12);
  EXPECT_NEAR(expected, 0.503103, 1e-6);
}

TEST(TfIdf, UsesTermCounts) {
  // a = {cat: 2}, b = {cat: 1, dog: 1}: cos = 2 / (2 * sqrt(1 + w^2)).
  double w = std::log(1.5) + 1.0;
  EXPECT_NEAR(tfidf_similarity("cat cat", "cat dog"), 1.0 / std::sqrt(1.0 + w * w), 1e-12);
}

TEST(TfIdf, IgnoresOneCharacterTokensAndPunctuation) {
  EXPECT_DOUBLE_EQ(tfidf_similarity("a I x", "a I x"), 0.0);  // no token of two word chars
  EXPECT_NEAR(tfidf_similarity("Cat, sat!", "cat sat"), 1.0, 1e-12);
  EXPECT_NEAR(tfidf_similarity("well-known", "well known"), 1.0, 1e-12);
}

TEST(TfIdf, IdenticalIsOneAndDisjointIsZero) {
  EXPECT_NEAR(tfidf_similarity("adopt kubernetes now", "adopt kubernetes now"), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(tfidf_similarity("adopt kubernetes", "keep servers"), 0.0);
}

text_ptr t(const char* s) {
  return make_text(s);
}

TEST(Assess, UsesTheLeastSimilarAgent) {
  std::vector<text_ptr> prev{t("alpha beta gamma"), t("one two three")};
  std::vector<text_ptr> cur{t("alpha beta gamma"), t("one two four")};
  auto r = assess_convergence(similarity_method::jaccard, cur, prev, 0.85, 0.40);
  ASSERT_EQ(r.per_agent.size(), 2u);
  EXPECT_DOUBLE_EQ(r.min_similarity, 0.5);
  EXPECT_DOUBLE_EQ(r.avg_similarity, 0.75);
  EXPECT_EQ(r.status, convergence_status::refining);
}

TEST(Assess, StatusEdges) {
  // Jaccard 17/20 = 0.85 exactly: converged.
  std::string a, b;
  for (int i = 0; i < 18; ++i) a += "w" + std::to_string(i) + " ";
  for (int i = 0; i < 17; ++i) b += "w" + std::to_string(i) + " ";
  b += "x1 x2";
  std::vector<text_ptr> prev{make_text(a)}, cur{make_text(b)};
  auto r = assess_convergence(similarity_method::jaccard, cur, prev, 0.85, 0.40);
  EXPECT_DOUBLE_EQ(r.min_similarity, 17.0 / 20.0);
  EXPECT_EQ(r.status, convergence_status::converged);
  // 2/5 = 0.40 is refining, below is diverging.
  std::vector<text_ptr> p2{t("a b c d")}, c2{t("a b e")};
  EXPECT_EQ(assess_convergence(similarity_method::jaccard, c2, p2, 0.85, 0.40).status,
            convergence_status::refining);
  std::vector<text_ptr> p3{t("a b c d")}, c3{t("a e f")};
  EXPECT_EQ(assess_convergence(similarity_method::jaccard, c3, p3, 0.85, 0.40).status,
            convergence_status::diverging);
}

TEST(Assess, SkipsAgentsWithoutBothTexts) {
  std::vector<text_ptr> prev{t("alpha beta"), nullptr};
  std::vector<text_ptr> cur{t("alpha beta"), t("gamma delta")};
  auto r = assess_convergence(similarity_method::tfidf, cur, prev, 0.85, 0.40);
  EXPECT_EQ(r.per_agent.size(), 1u);
  EXPECT_EQ(r.status, convergence_status::converged);
  auto none = assess_convergence(similarity_method::tfidf, {nullptr}, {nullptr}, 0.85, 0.40);
  EXPECT_EQ(none.status, convergence_status::not_checked);
}

}  // namespace
}  // namespace aragora::debate
