#include "net/edge/http_handler.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <exception>

#include "net/edge/assets.hpp"
#include "net/edge/auth/extract_token.hpp"
#include "net/edge/auth/rate_limiter.hpp"
#include "net/edge/auth/role.hpp"
#include "net/edge/auth/token_store.hpp"
#include "net/edge/backend.hpp"
#include "net/edge/views.hpp"
#include "runtime/base/log/log.hpp"

namespace aragora::edge {

namespace {

/// The role a route needs when tokens are configured; nullopt: public.
std::optional<role> required_role(route r) {
  switch (r) {
    case route::page:
    case route::asset:
    case route::health:
    case route::healthz:
    case route::readyz:
    case route::leaderboard:
    case route::agents: return std::nullopt;
    case route::create_debate:
    case route::cancel_debate: return role::write;
    case route::drain_node:
    case route::undrain_node:
    case route::compact:
    case route::backup: return role::admin;
    default: return role::read;
  }
}

}  // namespace

bool auth_enabled(const access_control& access) {
  return access.tokens && !access.tokens->empty();
}

api_result<std::string> admit(const access_control& access, route r,
                              std::string_view authorization, std::string_view query,
                              std::string_view ws_protocol, std::string_view remote,
                              uint32_t& retry_after) {
  std::string who = "anonymous";
  if (auth_enabled(access)) {
    auto token = extract_token(authorization, query, ws_protocol);
    auto need = required_role(r);
    if (token) {
      auto p = access.tokens->authenticate(token->token);
      if (!p) return api_error{api_errc::invalid_token, "the token matches none"};
      if (need && !permits(p->role, *need))
        return api_error{api_errc::forbidden, "role " + std::string{to_string(p->role)} +
                                                  " may not do this; it needs " +
                                                  std::string{to_string(*need)}};
      who = p->name;
    } else if (need) {
      return api_error{api_errc::auth_required,
                       "a token is required: Authorization: Bearer <token>"};
    }
  }
  if (access.limiter && r != route::healthz && r != route::readyz && r != route::metrics) {
    auto key = who == "anonymous" ? "ip:" + std::string{remote} : "t:" + who;
    auto a = access.limiter->admit(key, std::chrono::steady_clock::now());
    if (!a.allowed) {
      retry_after = a.retry_after_s;
      return api_error{api_errc::rate_limited, "rate limit exceeded; retry after " +
                                                   std::to_string(a.retry_after_s) + " s"};
    }
  }
  return who;
}

namespace {

/// Whether a Sec-WebSocket-Protocol list ("a, b") names `protocol`.
bool offers_protocol(std::string_view list, std::string_view protocol) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto one = list.substr(0, comma);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (one == protocol) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

http_outcome route_request(const http_context& ctx, const http_request_view& req) {
  http_outcome out;
  auto& res = out.response;
  auto [path, query] = split_target(req.target);
  auto m = match_route(req.method, path);
  if (m && ctx.ws_only && m->which != route::stream)
    m = api_error{api_errc::not_found, "this port serves only /ws"};
  if (!m) {
    res = error_response(m.error());
    return out;
  }
  out.which = m->which;
  uint32_t retry_after = 0;
  auto who = admit(ctx.access, m->which, req.authorization, query, req.ws_protocol, req.remote,
                   retry_after);
  if (!who) {
    res = error_response(who.error());
    if (who.code() == api_errc::rate_limited) {
      res.headers.emplace_back("Retry-After", std::to_string(retry_after));
      res.body = error_body(who.error(), retry_after);
    }
    if (who.code() == api_errc::auth_required || who.code() == api_errc::invalid_token)
      res.headers.emplace_back("WWW-Authenticate", "Bearer");
    return out;
  }
  switch (m->which) {
    case route::stream:
      if (!req.websocket_upgrade) {
        res = error_response({api_errc::invalid_value,
                              "/ws takes a WebSocket upgrade (GET with Upgrade: websocket)"});
        break;
      }
      out.upgrade = true;
      // The binary subprotocol when offered (the C++ client; it sends its token in
      // Authorization), else the token's access_token.<t> that a browser had to offer.
      if (offers_protocol(req.ws_protocol, binary_subprotocol))
        out.echo_protocol = std::string{binary_subprotocol};
      else if (auto t = extract_token("", "", req.ws_protocol))
        out.echo_protocol = t->echo_protocol;
      break;
    case route::page:
    case route::asset: {
      auto a = find_asset(m->which == route::page ? "index.html" : m->id);
      if (!a) {
        res = error_response({api_errc::not_found, "no page asset " + m->id});
        break;
      }
      res.body = std::string{a->bytes};
      res.content_type = std::string{a->content_type};
      res.headers.emplace_back("Cache-Control", "no-cache");
      break;
    }
    case route::healthz:
      res.body = "{\"status\":\"ok\"}";
      break;
    case route::readyz: {
      auto h = ctx.b.health();
      bool ready = h.store_ok && h.breakers_closed;
      res.status = ready ? 200 : 503;
      boost::json::object body;
      body["status"] = ready ? "ready" : "not_ready";
      if (!ready) {
        body["error"] = h.detail;
        body["code"] = "SERVICE_UNAVAILABLE";
      }
      if (!h.providers.empty()) {
        boost::json::object providers;
        for (const auto& [name, state] : h.providers) providers[name] = state;
        body["providers"] = std::move(providers);
      }
      res.body = boost::json::serialize(body);
      break;
    }
    case route::metrics:
      res.body = ctx.metrics ? ctx.metrics() : std::string{};
      res.content_type = "text/plain; version=0.0.4; charset=utf-8";
      break;
    default: {
      api_request r{req.method, req.target, req.body, *who, "ws://" + std::string{req.host}};
      try {
        res = ctx.handlers.handle(*m, r);
      } catch (const std::exception& e) {
        log::error("edge", "internal error on ", req.method, " ", path, ": ", e.what());
        res = error_response({api_errc::internal, "internal error"});
      }
    }
  }
  return out;
}

}  // namespace

http_outcome handle_http(const http_context& ctx, const http_request_view& req) {
  std::string allow;
  if (!ctx.cors_origin.empty() && !req.origin.empty() &&
      (ctx.cors_origin == "*" || req.origin == ctx.cors_origin))
    allow = ctx.cors_origin == "*" ? "*" : std::string{req.origin};
  http_outcome out;
  if (!allow.empty() && req.method == "OPTIONS" && !req.preflight_method.empty()) {
    out.response.status = 204;
    out.response.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    out.response.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type");
    out.response.headers.emplace_back("Access-Control-Max-Age", "600");
  } else {
    out = route_request(ctx, req);
  }
  if (!allow.empty()) {
    out.response.headers.emplace_back("Access-Control-Allow-Origin", std::move(allow));
    out.response.headers.emplace_back("Access-Control-Expose-Headers", "Retry-After");
  }
  // The answer depends on Origin whenever CORS is on: caches must not mix them.
  if (!ctx.cors_origin.empty()) out.response.headers.emplace_back("Vary", "Origin");
  return out;
}

}  // namespace aragora::edge
