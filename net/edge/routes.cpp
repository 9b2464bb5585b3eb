#include "net/edge/routes.hpp"

#include <array>
#include <charconv>

#include "runtime/base/ids/ids.hpp"

namespace aragora::edge {

std::string_view to_string(api_errc e) {
  switch (e) {
    case api_errc::invalid_json: return "INVALID_JSON";
    case api_errc::missing_field: return "MISSING_FIELD";
    case api_errc::invalid_value: return "INVALID_VALUE";
    case api_errc::auth_required: return "AUTH_REQUIRED";
    case api_errc::invalid_token: return "INVALID_TOKEN";
    case api_errc::forbidden: return "FORBIDDEN";
    case api_errc::not_found: return "NOT_FOUND";
    case api_errc::method_not_allowed: return "METHOD_NOT_ALLOWED";
    case api_errc::conflict: return "CONFLICT";
    case api_errc::payload_too_large: return "PAYLOAD_TOO_LARGE";
    case api_errc::headers_too_large: return "HEADERS_TOO_LARGE";
    case api_errc::rate_limited: return "RATE_LIMITED";
    case api_errc::internal: return "INTERNAL_ERROR";
    case api_errc::at_capacity: return "AT_CAPACITY";
    case api_errc::unavailable: return "SERVICE_UNAVAILABLE";
  }
  return "INTERNAL_ERROR";
}

unsigned http_status(api_errc e) {
  switch (e) {
    case api_errc::invalid_json:
    case api_errc::missing_field:
    case api_errc::invalid_value: return 400;
    case api_errc::auth_required:
    case api_errc::invalid_token: return 401;
    case api_errc::forbidden: return 403;
    case api_errc::not_found: return 404;
    case api_errc::method_not_allowed: return 405;
    case api_errc::conflict: return 409;
    case api_errc::payload_too_large: return 413;
    case api_errc::rate_limited: return 429;
    case api_errc::headers_too_large: return 431;
    case api_errc::internal: return 500;
    case api_errc::at_capacity:
    case api_errc::unavailable: return 503;
  }
  return 500;
}

std::string client_address(std::string_view peer, std::string_view forwarded_for) {
  bool loopback = peer == "::1" || peer.substr(0, 4) == "127." || peer.substr(0, 11) == "::ffff:127.";
  if (!loopback) return std::string{peer};
  auto comma = forwarded_for.rfind(',');
  auto last = comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
  while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
  while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
  // An address, not arbitrary text: it becomes a key of the limiter's bounded table.
  bool plausible = !last.empty() && last.size() <= 45 &&
                   last.find_first_not_of("0123456789abcdefABCDEF.:[]") == std::string_view::npos;
  return plausible ? std::string{last} : std::string{peer};
}

std::string_view route_name(route r) {
  static constexpr std::array<std::string_view, route_count> names{
      "page",          "asset",          "health",          "healthz",       "readyz",
      "metrics",       "stream",         "create_debate",   "list_debates",  "get_debate",
      "debate_messages", "debate_events", "cancel_debate",  "debate_receipt", "get_receipt",
      "leaderboard",   "agents",         "cluster_nodes",   "drain_node",    "undrain_node",
      "breakers",      "compact",        "backup",          "storage"};
  return names[static_cast<size_t>(r)];
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool consume(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  return true;
}

/// The next path segment (up to '/' or the end); `s` keeps what follows the '/'.
std::string_view segment(std::string_view& s) {
  auto slash = s.find('/');
  auto seg = s.substr(0, slash);
  s = slash == std::string_view::npos ? std::string_view{} : s.substr(slash + 1);
  return seg;
}

expected<route_match, api_errc> only(std::string_view method, std::string_view allowed, route r,
                                     std::string id = {}) {
  if (method == allowed || (allowed == "GET" && method == "HEAD"))
    return route_match{r, std::move(id), {}};
  return api_error{api_errc::method_not_allowed, std::string{allowed}};
}

expected<route_match, api_errc> not_found(std::string_view path) {
  return api_error{api_errc::not_found, "no route for " + std::string{path}};
}

/// A debate id from a path segment: decoded, and one of ids::valid_debate_id's.
expected<std::string, api_errc> debate_id(std::string_view raw) {
  auto id = percent_decode(raw);
  if (!id || !ids::valid_debate_id(*id))
    return api_error{api_errc::invalid_value,
                     "not a debate id: 1 to 64 of A-Z a-z 0-9 _ - (got '" +
                         std::string{raw.substr(0, 80)} + "')"};
  return std::move(*id);
}

expected<route_match, api_errc> debates_routes(std::string_view method, std::string_view rest,
                                               std::string_view path) {
  if (rest.empty()) {
    if (method == "POST") return route_match{route::create_debate, {}, {}};
    return only(method, "GET", route::list_debates);
  }
  auto raw = segment(rest);
  auto id = debate_id(raw);
  if (!id) return std::move(id).error();
  if (rest.empty()) return only(method, "GET", route::get_debate, std::move(*id));
  auto what = segment(rest);
  if (!rest.empty()) return not_found(path);
  if (what == "messages") return only(method, "GET", route::debate_messages, std::move(*id));
  if (what == "events") return only(method, "GET", route::debate_events, std::move(*id));
  if (what == "receipt") return only(method, "GET", route::debate_receipt, std::move(*id));
  if (what == "cancel") return only(method, "POST", route::cancel_debate, std::move(*id));
  return not_found(path);
}

/// /cluster/nodes, /cluster/nodes/{name}/drain and /undrain.
expected<route_match, api_errc> cluster_routes(std::string_view method, std::string_view rest,
                                               std::string_view path) {
  auto head = segment(rest);
  if (head == "breakers" && rest.empty()) return only(method, "GET", route::breakers);
  if (head != "nodes") return not_found(path);
  if (rest.empty()) return only(method, "GET", route::cluster_nodes);
  auto raw = segment(rest);
  auto name = percent_decode(raw);
  bool valid = name && !name->empty() && name->size() <= 64 &&
               name->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
                   std::string::npos;
  if (!valid)
    return api_error{api_errc::invalid_value,
                     "not a node name: 1 to 64 of A-Z a-z 0-9 . _ - (got '" + std::string{raw.substr(0, 80)} + "')"};
  auto what = segment(rest);
  if (!rest.empty()) return not_found(path);
  if (what == "drain") return only(method, "POST", route::drain_node, std::move(*name));
  if (what == "undrain") return only(method, "POST", route::undrain_node, std::move(*name));
  return not_found(path);
}

expected<route_match, api_errc> receipt_route(std::string_view method, std::string_view rest,
                                              std::string_view path) {
  auto raw = segment(rest);
  if (raw.empty() || !rest.empty()) return not_found(path);
  auto id = percent_decode(raw);
  // Receipt ids are "DR-<debate id>" and the gauntlet alias "debate-<debate id>": the same
  // alphabet as debate ids.
  if (!id || !ids::valid_debate_id(*id))
    return api_error{api_errc::invalid_value, "not a receipt id: '" + std::string{raw.substr(0, 80)} + "'"};
  return only(method, "GET", route::get_receipt, std::move(*id));
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      char d = static_cast<char>(hi * 16 + lo);
      if (d == '\0') return std::nullopt;
      out.push_back(d);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

target_parts split_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

expected<route_match, api_errc> match_route(std::string_view method, std::string_view path) {
  if (path == "/") return only(method, "GET", route::page);
  if (path == "/app.js" || path == "/style.css")
    return only(method, "GET", route::asset, std::string{path.substr(1)});
  if (path == "/healthz") return only(method, "GET", route::healthz);
  if (path == "/readyz") return only(method, "GET", route::readyz);
  if (path == "/metrics") return only(method, "GET", route::metrics);
  if (path == "/ws") return only(method, "GET", route::stream);
  std::string_view rest = path;
  if (!consume(rest, "/api/")) return not_found(path);
  if (consume(rest, "v2/receipts/") || consume(rest, "gauntlet/receipts/"))
    return receipt_route(method, rest, path);
  (void)consume(rest, "v1/");  // every /api/v1/X is also /api/X
  if (consume(rest, "receipts/")) return receipt_route(method, rest, path);
  auto head = segment(rest);
  if (head == "debates") return debates_routes(method, rest, path);
  if (head == "cluster") return cluster_routes(method, rest, path);
  if (head == "admin") {
    if (rest == "compact") return only(method, "POST", route::compact);
    if (rest == "backup") return only(method, "POST", route::backup);
    if (rest == "storage") return only(method, "GET", route::storage);
    return not_found(path);
  }
  if (!rest.empty()) return not_found(path);
  if (head == "debate") return only(method, "POST", route::create_debate);
  if (head == "health") return only(method, "GET", route::health);
  if (head == "leaderboard" || head == "rankings") return only(method, "GET", route::leaderboard);
  if (head == "agents") return only(method, "GET", route::agents);
  return not_found(path);
}

query_params::query_params(std::string_view query) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (key && value) params_.emplace_back(std::move(*key), std::move(*value));
  }
}

std::optional<std::string> query_params::get(std::string_view key) const {
  for (const auto& [k, v] : params_)
    if (k == key) return v;
  return std::nullopt;
}

expected<std::optional<int64_t>, api_errc> query_params::integer(std::string_view key, int64_t lo,
                                                                 int64_t hi) const {
  auto v = get(key);
  if (!v) return std::optional<int64_t>{};
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || end != v->data() + v->size() || n < lo || n > hi)
    return api_error{api_errc::invalid_value, std::string{key} + " must be an integer in " +
                                                  std::to_string(lo) + ".." + std::to_string(hi) +
                                                  " (got '" + v->substr(0, 40) + "')"};
  return std::optional<int64_t>{n};
}

}  // namespace aragora::edge
