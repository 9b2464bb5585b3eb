#include "runtime/base/ids/ids.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace aragora::ids {
namespace {

constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

uint64_t decode(std::string_view base32) {
  uint64_t v = 0;
  for (char c : base32) v = v * 32 + alphabet.find(c);
  return v;
}

// 2026-11-29 12:00:00.123 UTC
constexpr uint64_t t0 = 1'795'953'600'123;

TEST(DebateIds, AreTwentySixCrockfordCharactersOfTimeNodeAndSequence) {
  debate_id_generator gen{0xABCDE, 42};
  auto id = gen.next(t0);
  ASSERT_EQ(id.size(), debate_id_length);
  for (char c : id) EXPECT_NE(alphabet.find(c), std::string_view::npos) << c;
  EXPECT_EQ(decode(id.substr(0, 10)), t0);
  EXPECT_EQ(decode(id.substr(10, 4)), 0xABCDEu);
  EXPECT_LT(decode(id.substr(14)), uint64_t{1} << 60);
  // The node component is 20 bits: more is masked, not spilled into the time.
  EXPECT_EQ(decode(debate_id_generator{0xFFABCDE, 1}.next(t0).substr(10, 4)), 0xABCDEu);
  // Pinned: the same node, seed and time give the same id.
  debate_id_generator again{0xABCDE, 42};
  EXPECT_EQ(again.next(t0), id);
}

TEST(DebateIds, WithinOneMillisecondEachIdSortsAfterThePrevious) {
  debate_id_generator gen{7, 1};
  std::vector<std::string> made;
  for (int i = 0; i < 10'000; ++i) made.push_back(gen.next(t0));
  EXPECT_TRUE(std::is_sorted(made.begin(), made.end()));
  EXPECT_EQ(std::set<std::string>(made.begin(), made.end()).size(), made.size());
  for (const auto& id : made) EXPECT_EQ(decode(id.substr(0, 10)), t0);
  // Consecutive: the sequence counts up by one.
  EXPECT_EQ(decode(made[1].substr(14)), decode(made[0].substr(14)) + 1);
}

TEST(DebateIds, SortByCreationTimeEvenWhenTheClockStepsBack) {
  debate_id_generator gen{7, 1};
  std::vector<std::string> made{gen.next(t0), gen.next(t0 + 1), gen.next(t0 + 1000),
                                gen.next(t0 + 5) /* the clock stepped back */, gen.next(t0 + 5),
                                gen.next(t0 + 1001)};
  EXPECT_TRUE(std::is_sorted(made.begin(), made.end()));
  EXPECT_EQ(std::set<std::string>(made.begin(), made.end()).size(), made.size());
  EXPECT_EQ(decode(made[3].substr(0, 10)), t0 + 1000) << "keeps the last millisecond";
  EXPECT_EQ(decode(made[5].substr(0, 10)), t0 + 1001);
  // A later millisecond sorts later whatever the sequences: time is the most significant part.
  debate_id_generator high{max_node, 99}, low{0, 1};
  EXPECT_LT(high.next(t0), low.next(t0 + 1));
}

TEST(DebateIds, TwoNodesNeverMakeTheSameIdEvenWithTheSameSeedAndClock) {
  debate_id_generator a{node_component("worker-1"), 5};
  debate_id_generator b{node_component("worker-2"), 5};
  ASSERT_NE(node_component("worker-1"), node_component("worker-2"));
  std::set<std::string> seen;
  for (uint64_t ms = t0; ms < t0 + 50; ++ms)
    for (int i = 0; i < 200; ++i) {
      EXPECT_TRUE(seen.insert(a.next(ms)).second);
      EXPECT_TRUE(seen.insert(b.next(ms)).second);
    }
  EXPECT_EQ(seen.size(), 2u * 50 * 200);
}

TEST(DebateIds, AreSafeInPathsAndStorageKeys) {
  debate_id_generator gen{node_component("n"), 3};
  for (int i = 0; i < 1000; ++i) {
    auto id = gen.next(t0 + i / 10);
    EXPECT_TRUE(valid_debate_id(id)) << id;
    EXPECT_EQ(id.find_first_not_of(alphabet), std::string::npos) << id;
  }
  // The ids of stores written before these: 11 hex digits of milliseconds and a 5-digit counter.
  EXPECT_TRUE(valid_debate_id("0190a1b2c3d4e5f6"));
  EXPECT_TRUE(valid_debate_id("benchmark"));
  EXPECT_TRUE(valid_debate_id("a_b-C9"));
  EXPECT_TRUE(valid_debate_id(std::string(64, 'a')));
  for (const std::string& bad :
       std::vector<std::string>{"", "..", "../x", "a/b", "a b", "a.b", "a\\b", "caf\xC3\xA9", "a\n",
                                std::string(65, 'a'), std::string("a\0b", 3)})
    EXPECT_FALSE(valid_debate_id(bad)) << bad;
}

TEST(DebateIds, TheProcessGeneratorMakesDistinctOrderedIds) {
  std::vector<std::string> made;
  for (int i = 0; i < 1000; ++i) made.push_back(next_debate_id());
  EXPECT_TRUE(std::is_sorted(made.begin(), made.end()));
  EXPECT_EQ(std::set<std::string>(made.begin(), made.end()).size(), made.size());
  for (const auto& id : made) EXPECT_EQ(id.size(), debate_id_length);
}

}  // namespace
}  // namespace aragora::ids
