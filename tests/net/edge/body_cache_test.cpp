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
  c.put("d:a", std::string(1000, 'a'), t);
  c.put("d:b", std::string(1000, 'b'), t);
  c.put("d:c", std::string(1000, 'c'), t);
  ASSERT_TRUE(c.get("d:a", t));  // a is now the most recent; b the least
  c.put("d:d", std::string(1000, 'd'), t);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_FALSE(c.get("d:b", t));
  EXPECT_EQ(*c.get("d:a", t), std::string(1000, 'a'));
  EXPECT_TRUE(c.get("d:c", t));
  EXPECT_TRUE(c.get("d:d", t));
  EXPECT_LE(c.bytes(), 3u * (1000 + 2 * 3 + 128));
}

TEST(BodyCache, AnEntryPastItsAgeIsReadAgainAndABodyTooLargeIsNotKept) {
  auto t = clock_type::time_point{} + 1h;
  body_cache c{4096, 300s};
  c.put("d:a", "x", t);
  EXPECT_TRUE(c.get("d:a", t + 300s));
  EXPECT_FALSE(c.get("d:a", t + 301s));
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.bytes(), 0u);
  c.put("d:big", std::string(8192, 'b'), t);
  EXPECT_EQ(c.size(), 0u);
  c.put("d:a", "one", t);
  c.put("d:a", "two", t);  // replaced, counted once
  EXPECT_EQ(*c.get("d:a", t), "two");
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.bytes(), 3u + 2 * 3 + 128);
}

}  // namespace
}  // namespace aragora::edge
