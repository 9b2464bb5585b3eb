#pragma once
// UTF-8 helpers for cutting text to a byte budget. Protobuf refuses to parse a `string` field that
// is not valid UTF-8, so a cut through a character would make a stored record unreadable.

#include <cstddef>
#include <string_view>

namespace aragora::text {

/// The longest prefix of at most `max` bytes that does not cut a character.
[[nodiscard]] inline std::string_view utf8_prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

/// Characters, not bytes.
[[nodiscard]] inline size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace aragora::text
