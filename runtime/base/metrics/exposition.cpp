#include "runtime/base/metrics/exposition.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "runtime/base/text/utf8.hpp"

namespace aragora::metrics {

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  std::to_chars_result r;
  // Whole numbers as integers: the shortest form of 100000.0 is "1e+05".
  if (v == std::trunc(v) && std::fabs(v) < 0x1p53)
    r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
  else
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  out.append(buf, r.ptr);
}

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

void append_help(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

std::string clean_label_value(std::string_view v, size_t max_bytes) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  std::string out;
  for (size_t i = 0; i < v.size();) {
    size_t n = text::utf8_sequence_length(v.substr(i));
    std::string_view piece = n != 0 ? v.substr(i, n) : replacement;
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += n != 0 ? n : 1;
  }
  return out;
}

}  // namespace aragora::metrics
