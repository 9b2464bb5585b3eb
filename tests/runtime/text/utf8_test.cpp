#include "runtime/text/utf8.hpp"

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

}  // namespace
}  // namespace aragora::text
