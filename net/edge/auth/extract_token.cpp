#include "net/edge/auth/extract_token.hpp"

#include <vector>

namespace aragora::edge {

namespace {

constexpr std::string_view query_key = "token";
constexpr std::string_view protocol_prefix = "access_token.";

bool blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// What may be a token: visible ASCII, no blanks or control bytes (a token file splits on blanks).
bool plausible(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t)
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  return true;
}

std::optional<std::string> from_authorization(std::string_view value) {
  value = trim(value);
  size_t sp = 0;
  while (sp < value.size() && !blank(value[sp])) ++sp;
  if (!iequals(value.substr(0, sp), "bearer")) return std::nullopt;
  auto t = trim(value.substr(sp));
  if (!plausible(t)) return std::nullopt;
  return std::string(t);
}

// The first offered `access_token.<t>` protocol with a plausible token, as offered.
std::string_view token_protocol(std::string_view header) {
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    auto p = trim(header.substr(pos, end - pos));
    if (p.starts_with(protocol_prefix) && plausible(p.substr(protocol_prefix.size()))) return p;
    pos = end + 1;
  }
  return {};
}

struct param {
  std::string_view name;   // raw, as in the query
  std::string_view value;  // raw
  bool has_value;          // `name=...` rather than `name`
  size_t value_pos;        // offset of value in the query
};

std::vector<param> params_of(std::string_view query) {
  std::vector<param> out;
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    auto item = query.substr(pos, end - pos);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      out.push_back(param{item, {}, false, end});
    else
      out.push_back(param{item.substr(0, eq), item.substr(eq + 1), true, pos + eq + 1});
    pos = end + 1;
  }
  return out;
}

bool is_token_param(const param& p) {
  if (p.name == query_key) return true;
  auto decoded = percent_decode(p.name);
  return decoded && *decoded == query_key;
}

std::optional<std::string> from_query(std::string_view query) {
  if (query.starts_with('?')) query.remove_prefix(1);
  for (const auto& p : params_of(query)) {
    if (!p.has_value || !is_token_param(p)) continue;
    auto t = percent_decode(p.value);
    if (!t || !plausible(*t)) return std::nullopt;
    return t;
  }
  return std::nullopt;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]);
    int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
    i += 2;
  }
  return out;
}

std::optional<presented_token> extract_token(std::string_view authorization,
                                             std::string_view query,
                                             std::string_view websocket_protocol) {
  auto protocol = token_protocol(websocket_protocol);
  presented_token out;
  out.echo_protocol = std::string(protocol);
  if (auto t = from_authorization(authorization)) {
    out.token = std::move(*t);
    out.carrier = token_carrier::authorization;
  } else if (!protocol.empty()) {
    out.token = std::string(protocol.substr(protocol_prefix.size()));
    out.carrier = token_carrier::subprotocol;
  } else if (auto q = from_query(query)) {
    out.token = std::move(*q);
    out.carrier = token_carrier::query;
  } else {
    return std::nullopt;
  }
  return out;
}

std::string redact_target(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  auto query = target.substr(q + 1);
  std::string out(target.substr(0, q + 1));
  size_t copied = 0;  // of query
  for (const auto& p : params_of(query)) {
    if (!p.has_value || !is_token_param(p)) continue;
    out.append(query.substr(copied, p.value_pos - copied));
    out.append("***");
    copied = p.value_pos + p.value.size();
  }
  out.append(query.substr(copied));
  return out;
}

}  // namespace aragora::edge
