// The finished-debate body cache (label unit): LRU by bytes, age, replacement.

#include <gtest/gtest.h>

#include "net/edge/body_cache.hpp"

namespace aragora::edge {
namespace {

using namespace std::chrono_literals;
using clock_type = body_cache::clock;

TEST(BodyCache, KeepsWhatFitsAndDropsTheLeastRecentlyUsedFirst) {
  auto t = clock_type::time_point{} + 1h;
  body_cache c{3 * (1000 + 2 * 3 + 128), 300s};  // three entries of 1000 bytes, keys of 3
  c.put("d:a", 0, std::string(1000, 'a'), t);
  c.put("d:b", 0, std::string(1000, 'b'), t);
  c.put("d:c", 0, std::string(1000, 'c'), t);
  ASSERT_TRUE(c.get("d:a", 0, t));  // a is now the most recent; b the least
  c.put("d:d", 0, std::string(1000, 'd'), t);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_FALSE(c.get("d:b", 0, t));
  EXPECT_EQ(*c.get("d:a", 0, t).body, std::string(1000, 'a'));
  EXPECT_TRUE(c.get("d:c", 0, t));
  EXPECT_TRUE(c.get("d:d", 0, t));
  EXPECT_LE(c.bytes(), 3u * (1000 + 2 * 3 + 128));
}

TEST(BodyCache, AnEntryPastItsAgeIsReadAgainAndABodyTooLargeIsNotKept) {
  auto t = clock_type::time_point{} + 1h;
  body_cache c{4096, 300s};
  c.put("d:a", 0, "x", t);
  EXPECT_TRUE(c.get("d:a", 0, t + 300s));
  EXPECT_FALSE(c.get("d:a", 0, t + 301s));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.bytes(), 0u);
  c.put("d:big", 0, std::string(8192, 'b'), t);
  EXPECT_EQ(c.size(), 0u);
  c.put("d:a", 0, "one", t);
  c.put("d:a", 0, "two", t);  // replaced, counted once
  EXPECT_EQ(*c.get("d:a", 0, t).body, "two");
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.bytes(), 3u + 2 * 3 + 128);
}

TEST(BodyCache, AnotherVersionMissesAndDropsTheStaleBody) {
  auto t = clock_type::time_point{} + 1h;
  body_cache c{4096, 300s};
  c.put("r:a", 7, "running, round 2", t, 3);
  auto h = c.get("r:a", 7, t);
  ASSERT_TRUE(h);
  EXPECT_EQ(*h.body, "running, round 2");
  EXPECT_EQ(h.tag, 3);
  EXPECT_FALSE(c.get("r:a", 8, t));  // the debate was written since
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.bytes(), 0u);
  EXPECT_FALSE(c.get("r:a", 7, t));  // gone, not kept for the old version
  c.put("r:a", 8, "running, round 3", t);
  EXPECT_EQ(*c.get("r:a", 8, t).body, "running, round 3");
}

}  // namespace
}  // namespace aragora::edge
