#pragma once
// UTF-8 helpers. Protobuf refuses to parse a `string` field that is not valid UTF-8, so text that
// is stored must be valid UTF-8 when it enters (validation) and stay valid when it is cut.

#include <cstddef>
#include <cstdint>
#include <string>
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

/// The length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlong
/// forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
[[nodiscard]] inline size_t utf8_sequence_length(std::string_view s) {
  if (s.empty()) return 0;
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto c0 = b(0);
  if (c0 < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    len = 2;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    len = 3;
    if (c0 == 0xE0) lo = 0xA0;       // overlong
    if (c0 == 0xED) hi = 0x9F;       // surrogates
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    len = 4;
    if (c0 == 0xF0) lo = 0x90;       // overlong
    if (c0 == 0xF4) hi = 0x8F;       // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < len || b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < len; ++i)
    if ((b(i) & 0xC0) != 0x80) return 0;
  return len;
}

inline constexpr size_t utf8_valid = static_cast<size_t>(-1);

/// The offset of the first byte that does not start a well-formed character, or `utf8_valid`.
[[nodiscard]] inline size_t utf8_invalid_at(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto n = utf8_sequence_length(s.substr(i));
    if (n == 0) return i;
    i += n;
  }
  return utf8_valid;
}

[[nodiscard]] inline bool is_valid_utf8(std::string_view s) {
  return utf8_invalid_at(s) == utf8_valid;
}

/// `s` with every byte that does not start a well-formed character replaced by U+FFFD: for text
/// from a request (which need not be UTF-8) echoed into JSON (which must be).
[[nodiscard]] inline std::string utf8_scrub(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto n = utf8_sequence_length(s.substr(i));
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace aragora::text
