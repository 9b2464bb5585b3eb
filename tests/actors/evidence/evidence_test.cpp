#include "actors/evidence/evidence_store.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_store.hpp"

namespace aragora::evidence {
namespace {

constexpr int64_t day = 24 * 3600;

struct fixture : test::temp_store {
  fixture() : test::temp_store("evidence") {}
};

new_evidence snippet(std::string text) {
  return {"CNCF survey", "Kubernetes adoption 2025", std::move(text), "https://example.org/s", 0.7};
}

TEST(Evidence, TheSameSnippetIsStoredOnce) {
  fixture f;
  evidence_store ev{f.db};
  auto a = ev.add(snippet("96% of organisations use or evaluate Kubernetes."));
  auto b = ev.add(snippet("96% of organisations use or evaluate Kubernetes."));
  auto c = ev.add(snippet("Only 40% run it in production."));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a.value(), b.value());
  EXPECT_NE(a.value(), c.value());
  EXPECT_EQ(f.db->count_keys(storage::cf::evidence), 2u);
  auto rec = ev.get(a.value()).value();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->content_hash(), content_hash("96% of organisations use or evaluate Kubernetes."));
  EXPECT_EQ(rec->content_hash().size(), 32u);
}

TEST(Evidence, UnlinkedEvidenceExpiresAfterNinetyDaysLinkedEvidenceStaysWithItsDebate) {
  fixture f;
  evidence_store ev{f.db};
  auto loose = ev.add(snippet("A claim nobody used.")).value();
  auto used = ev.add(snippet("A claim a decision rests on.")).value();
  ASSERT_FALSE(ev.link(used, "debate-1"));
  EXPECT_EQ(ev.get(used).value()->debates_size(), 1);
  f.now->fetch_add(90 * day);
  EXPECT_FALSE(ev.get(loose).value()) << "past its 90 days";
  EXPECT_TRUE(ev.get(used).value()) << "kept with its debate";
  // Dedup still works for the kept one, and a new copy of the expired one is stored afresh.
  EXPECT_EQ(ev.add(snippet("A claim a decision rests on.")).value(), used);
  auto again = ev.add(snippet("A claim nobody used.")).value();
  auto fresh = ev.get(again).value();
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->created_s(), f.now->load());
  EXPECT_EQ(fresh->debates_size(), 0);
  ASSERT_FALSE(f.db->compact_all());
  EXPECT_EQ(f.db->count_keys(storage::cf::evidence), 2u);
  f.now->fetch_add(276 * day);  // a year after the link
  EXPECT_FALSE(ev.get(used).value());
  EXPECT_TRUE(ev.link("ev-missing", "debate-1"));
}

TEST(Evidence, EvidenceKeptForeverStaysSoWhenLinked) {
  fixture f;
  {
    // Reopen with evidence kept until deleted.
    f.db.reset();
    storage::store_options o;
    o.path = f.path;
    o.now_s = f.clock();
    o.retention.set(storage::cf::evidence, 0);
    f.db = std::move(storage::store::open(o).value());
  }
  evidence_store ev{f.db};
  auto id = ev.add(snippet("Kept for ever.")).value();
  ASSERT_FALSE(ev.link(id, "debate-1"));
  f.now->fetch_add(10 * 365 * day);
  EXPECT_TRUE(ev.get(id).value());
}

}  // namespace
}  // namespace aragora::evidence
