#include "runtime/base/text/utf8.hpp"

#include <gtest/gtest.h>

namespace aragora::text {
namespace {

TEST(Utf8, APrefixNeverCutsACharacter) {
  const std::string_view s = "ab\xC3\xA9\xE2\x82\xAC";  // "abé€"
  EXPECT_EQ(utf8_prefix(s, 100), s);
  EXPECT_EQ(utf8_prefix(s, 2), "ab");
  EXPECT_EQ(utf8_prefix(s, 3), "ab");  // inside é
  EXPECT_EQ(utf8_prefix(s, 4), "ab\xC3\xA9");
  EXPECT_EQ(utf8_prefix(s, 5), "ab\xC3\xA9");  // inside €
  EXPECT_EQ(utf8_prefix(s, 6), "ab\xC3\xA9");
  EXPECT_EQ(utf8_prefix(s, 7), s);
  EXPECT_EQ(utf8_prefix(s, 0), "");
}

TEST(Utf8, LengthCountsCharacters) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("ab\xC3\xA9\xE2\x82\xAC"), 4u);
}

TEST(Utf8, ValidationFollowsRfc3629) {
  for (std::string_view ok : {"", "ascii", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                              "\xEF\xBF\xBF", "\xF4\x8F\xBF\xBF", "\xED\x9F\xBF"})
    EXPECT_TRUE(is_valid_utf8(ok)) << ok;
  struct bad {
    std::string_view s;
    size_t at;
  };
  for (auto b : {bad{"\xFF", 0}, bad{"ab\x80", 2}, bad{"\xC3", 0}, bad{"x\xC3(", 1},
                 bad{"\xC0\xAF", 0} /* overlong '/' */, bad{"\xC1\xBF", 0},
                 bad{"\xE0\x80\xAF", 0} /* overlong */, bad{"\xED\xA0\x80", 0} /* surrogate */,
                 bad{"\xF0\x80\x80\xAF", 0} /* overlong */,
                 bad{"\xF4\x90\x80\x80", 0} /* above U+10FFFF */, bad{"\xF5\x80\x80\x80", 0},
                 bad{"\xE2\x82", 0} /* truncated */, bad{"ok\xE2\x82\xAC\xE2\x28\xA1", 5}}) {
    EXPECT_FALSE(is_valid_utf8(b.s)) << b.s;
    EXPECT_EQ(utf8_invalid_at(b.s), b.at) << b.s;
  }
}

TEST(Utf8, ScrubReplacesEachBadByteAndKeepsTheRest) {
  EXPECT_EQ(utf8_scrub("caf\xC3\xA9 \xE2\x82\xAC"), "caf\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(utf8_scrub("/\xFF\xFE"), "/\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(utf8_scrub("x\xC3("), "x\xEF\xBF\xBD(");
  EXPECT_EQ(utf8_scrub("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated: byte by byte
  EXPECT_TRUE(is_valid_utf8(utf8_scrub("\xED\xA0\x80\xF4\x90\x80\x80")));
}

}  // namespace
}  // namespace aragora::text
