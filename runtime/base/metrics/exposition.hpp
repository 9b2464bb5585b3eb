#pragma once
// The pieces of the Prometheus text exposition format 0.0.4 that the registry writes: numbers,
// escaped label values and HELP text. Pure functions, so tests pin their bytes.

#include <cstddef>
#include <string>
#include <string_view>

namespace aragora::metrics {

/// A sample value or an `le` bound: "NaN", "+Inf", "-Inf"; a whole number below 2^53 without
/// a fraction or exponent ("300", not "3e+02"); else the shortest text that reads back exactly.
void append_value(std::string& out, double v);

/// A label value between its quotes: backslash, double quote and newline escaped.
void append_label_value(std::string& out, std::string_view v);

/// HELP text: backslash and newline escaped (quotes are not, in 0.0.4).
void append_help(std::string& out, std::string_view v);

/// A label value as a family keeps it: invalid UTF-8 (which makes Prometheus refuse the whole
/// scrape) replaced by U+FFFD, and cut at a character boundary to at most `max_bytes`.
[[nodiscard]] std::string clean_label_value(std::string_view v, size_t max_bytes);

}  // namespace aragora::metrics
