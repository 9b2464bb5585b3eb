#include "runtime/base/metrics/exposition.hpp"

#include <algorithm>
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

namespace {

struct family_text {
  std::string name;
  std::string header;   // its HELP and TYPE lines
  std::string samples;  // its sample lines, labelled
};

/// The metric name a HELP or TYPE comment is about; empty for any other comment.
std::string_view described(std::string_view line) {
  for (std::string_view kind : {"# HELP ", "# TYPE "})
    if (line.substr(0, kind.size()) == kind) {
      auto rest = line.substr(kind.size());
      return rest.substr(0, rest.find(' '));
    }
  return {};
}

void append_labelled(std::string& out, std::string_view line, std::string_view node) {
  auto at = line.find_first_of("{ ");
  if (at == std::string_view::npos) return;  // not a sample
  std::string label = "node=\"";
  append_label_value(label, node);
  label += '"';
  out.append(line.substr(0, at));
  if (line[at] == '{') {
    out += '{';
    out += label;
    if (at + 1 < line.size() && line[at + 1] != '}') out += ',';
    out.append(line.substr(at + 1));
  } else {
    out += '{';
    out += label;
    out += '}';
    out.append(line.substr(at));
  }
  out += '\n';
}

std::vector<family_text> families_of(std::string_view text, std::string_view node) {
  std::vector<family_text> out;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (line.empty()) continue;
    if (line[0] == '#') {
      auto name = described(line);
      if (name.empty()) continue;
      if (out.empty() || out.back().name != name) {
        // A family described twice keeps its first description.
        if (std::any_of(out.begin(), out.end(), [&](const family_text& f) { return f.name == name; })) continue;
        out.push_back({std::string{name}, {}, {}});
      }
      out.back().header.append(line);
      out.back().header += '\n';
      continue;
    }
    // A sample goes with the family it names (a histogram's by its suffixed names); one that
    // names none seen yet is a family of its own, untyped.
    auto name = line.substr(0, line.find_first_of("{ "));
    auto base = name;
    for (std::string_view suffix : {"_bucket", "_sum", "_count"})
      if (base.size() > suffix.size() && base.substr(base.size() - suffix.size()) == suffix) {
        base.remove_suffix(suffix.size());
        break;
      }
    auto names = [&](const family_text& f) { return f.name == name || f.name == base; };
    auto it = !out.empty() && names(out.back()) ? out.end() - 1 : std::find_if(out.begin(), out.end(), names);
    if (it == out.end()) it = out.insert(out.end(), family_text{std::string{name}, {}, {}});
    append_labelled(it->samples, line, node);
  }
  return out;
}

}  // namespace

std::string merge_by_node(std::string_view own, std::string_view own_node,
                          const std::vector<node_exposition>& others,
                          const std::vector<std::string_view>& own_only) {
  auto merged = families_of(own, own_node);
  for (const auto& other : others)
    for (auto& f : families_of(other.text, other.node)) {
      if (std::find(own_only.begin(), own_only.end(), f.name) != own_only.end()) continue;
      auto it = std::find_if(merged.begin(), merged.end(), [&](const family_text& m) { return m.name == f.name; });
      if (it == merged.end())
        merged.push_back(std::move(f));
      else
        it->samples += f.samples;
    }
  std::string out;
  for (const auto& f : merged) {
    out += f.header;
    out += f.samples;
  }
  return out;
}

}  // namespace aragora::metrics
