#pragma once
// The pieces of the Prometheus text exposition format 0.0.4 that the registry writes: numbers,
// escaped label values and HELP text. Pure functions, so tests pin their bytes.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

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

/// A node's exposition as another process rendered it (a cluster worker's, carried by its heartbeat).
struct node_exposition {
  std::string node;
  std::string text;
};

/// One exposition of several nodes: `own`'s families, each sample labelled node="own_node", then
/// under each family the samples of the other nodes that have it, labelled with their names; a
/// family `own` lacks follows, with the HELP and TYPE of the first node that has it. Families in
/// `own_only` are `own`'s alone (the edge counts them for the whole cluster: a worker's would be
/// counted twice). Comments other than HELP and TYPE, and blank lines, are dropped.
[[nodiscard]] std::string merge_by_node(std::string_view own, std::string_view own_node,
                                        const std::vector<node_exposition>& others,
                                        const std::vector<std::string_view>& own_only);

}  // namespace aragora::metrics
