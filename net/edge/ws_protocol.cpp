#include "net/edge/ws_protocol.hpp"

#include <boost/json.hpp>

#include "net/edge/routes.hpp"

namespace aragora::edge {

namespace json = boost::json;

ws_client_message parse_client_message(std::string_view text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return ws_ignored{"not JSON"};
  if (!v.is_object()) return ws_ignored{"not a JSON object"};
  const auto& o = v.get_object();
  auto* type = o.if_contains("type");
  if (!type || !type->is_string()) return ws_ignored{"no string type"};
  std::string_view t = type->get_string();
  auto text_of = [&](std::string_view key) -> std::string {
    auto* x = o.if_contains(key);
    return x && x->is_string() ? std::string{x->get_string()} : std::string{};
  };
  if (t == "ping") {
    ws_ping p;
    if (auto* ts = o.if_contains("timestamp"); ts && ts->is_number())
      p.client_ts = ts->to_number<double>();
    return p;
  }
  if (t == "subscribe") {
    ws_subscribe s{text_of("debate_id")};
    if (s.debate_id.empty()) s.debate_id = text_of("loop_id");
    if (s.debate_id.empty()) return ws_ignored{"subscribe without debate_id"};
    for (auto key : {"after_seq", "replay_from_seq"})
      if (auto* x = o.if_contains(key); x && x->is_number()) {
        auto n = x->to_number<double>();
        if (n > 0 && n < 4294967296.0) s.after = static_cast<uint32_t>(n);
      }
    return s;
  }
  if (t == "unsubscribe") {
    ws_unsubscribe u{text_of("debate_id")};
    if (u.debate_id.empty()) return ws_ignored{"unsubscribe without debate_id"};
    return u;
  }
  return ws_ignored{"unknown type"};
}

std::optional<ws_subscribe> subscribe_in_target(std::string_view target) {
  query_params q{split_target(target).query};
  auto id = q.get("debate_id");
  if (!id || id->empty()) return std::nullopt;
  auto after = q.integer("after_seq", 0, UINT32_MAX);
  return ws_subscribe{*id, after && *after ? static_cast<uint32_t>(**after) : 0};
}

}  // namespace aragora::edge
