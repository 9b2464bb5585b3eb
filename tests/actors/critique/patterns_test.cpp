#include "actors/critique/patterns.hpp"

#include <gtest/gtest.h>

#include "tests/support/temp_store.hpp"

namespace aragora::critique {
namespace {

struct temp_store : test::temp_store {
  temp_store() : test::temp_store("critiques") {}
};

TEST(Patterns, IdsIgnoreCaseAndIssuesAreClassified) {
  EXPECT_EQ(pattern_id("There is no rollback path."), pattern_id("THERE IS NO ROLLBACK PATH."));
  EXPECT_EQ(pattern_id("x").size(), 12u);
  EXPECT_EQ(classify("The security review is missing."), "security");
  EXPECT_EQ(classify("The failure modes under load are not discussed."), "performance");
  EXPECT_EQ(classify("The plan has no measurable success criteria."), "completeness");
  EXPECT_EQ(classify("Ownership after launch is unclear."), "clarity");
  EXPECT_EQ(classify("Colour scheme is ugly"), "general");
}

TEST(Patterns, ObservationsKeepARunningMeanAndOutcomeCounts) {
  v1::CritiquePattern p;
  observe(p, {"There is no rollback path.", 6.0}, true, "Adopt Kubernetes?", 100);
  observe(p, {"There is no rollback path.", 8.0}, false, "Other", 200);
  observe(p, {"There is no rollback path.", 4.0}, true, "Other", 300);
  EXPECT_EQ(p.occurrences(), 3u);
  EXPECT_DOUBLE_EQ(p.avg_severity(), 6.0);
  EXPECT_EQ(p.success_count(), 2u);
  EXPECT_EQ(p.failure_count(), 1u);
  EXPECT_EQ(p.example_task(), "Adopt Kubernetes?");
  EXPECT_EQ(p.first_seen_s(), 100);
  EXPECT_EQ(p.last_seen_s(), 300);
}

TEST(Patterns, RecordingIsIdempotentPerDebate) {
  temp_store s;
  debate_critiques c{"d1", "Adopt Kubernetes?", true,
                     {{"There is no rollback path.", 6}, {"The timeline looks optimistic.", 4},
                      {"There is no rollback path.", 8}}};
  ASSERT_TRUE(record_critiques(*s.db, c).value());
  EXPECT_FALSE(record_critiques(*s.db, c).value());
  auto patterns = load_patterns(*s.db).value();
  ASSERT_EQ(patterns.size(), 2u);
  EXPECT_EQ(patterns[0].issue_text(), "There is no rollback path.");
  EXPECT_EQ(patterns[0].occurrences(), 2u);
  EXPECT_DOUBLE_EQ(patterns[0].avg_severity(), 7.0);
  c.debate_id = "d2";
  c.reached = false;
  ASSERT_TRUE(record_critiques(*s.db, c).value());
  patterns = load_patterns(*s.db).value();
  EXPECT_EQ(patterns[0].occurrences(), 4u);
  EXPECT_EQ(patterns[0].failure_count(), 2u);
}

TEST(Patterns, APatternThatDoesNotParseIsNeverRestartedFromZero) {
  temp_store s;
  auto id = pattern_id("There is no rollback path.");
  storage::write_batch b;
  b.put(storage::cf::critiques, "pattern/" + id, "\xff\xff\xff", 0);
  ASSERT_FALSE(s.db->write(b, true));
  debate_critiques c{"d1", "Adopt Kubernetes?", true, {{"There is no rollback path.", 6}}};
  auto r = record_critiques(*s.db, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, storage::store_errc::corrupt_record);
  // The stored bytes are untouched, and the debate is left for a later reconcile.
  EXPECT_EQ(s.db->get(storage::cf::critiques, "pattern/" + id).value(), "\xff\xff\xff");
  EXPECT_FALSE(s.db->get(storage::cf::critiques, "debate/d1").value());
  EXPECT_FALSE(load_patterns(*s.db).ok()) << "a reader is told, not given a partial list";
}

}  // namespace
}  // namespace aragora::critique
