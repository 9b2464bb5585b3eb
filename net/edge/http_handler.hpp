#pragma once
// One parsed HTTP request in, what the server answers out: routing, authentication, rate limits
// and the handlers, without a socket and without Beast (server.cpp reads and writes; the fuzz
// target tests/fuzz/fuzz_http.cpp feeds it malformed requests).

#include <optional>
#include <string>
#include <string_view>

#include "net/edge/api.hpp"
#include "net/edge/routes.hpp"
#include "net/edge/server.hpp"

namespace aragora::edge {

/// The parts of a request the server looks at; header values are empty when absent.
struct http_request_view {
  std::string_view method;
  std::string_view target;         // path and query
  std::string_view body;
  std::string_view authorization;  // Authorization
  std::string_view ws_protocol;    // Sec-WebSocket-Protocol
  std::string_view host;           // Host, for the create reply's websocket_url
  std::string_view remote;         // the client's address: the rate limit's key without a token
  bool websocket_upgrade = false;  // a WebSocket upgrade (Beast's websocket::is_upgrade)
  std::string_view origin;         // Origin (CORS)
  std::string_view preflight_method;  // Access-Control-Request-Method: a CORS preflight
};

/// What serves a request: the server's parts, borrowed.
struct http_context {
  backend& b;
  api& handlers;
  const access_control& access;
  const metrics_renderer& metrics;
  bool ws_only = false;  // the second listener: /ws only
  std::string_view cors_origin;  // server_options::cors_origin: empty = CORS off
};

struct http_outcome {
  std::optional<route> which;  // the matched route; nullopt when none matched
  /// Hand the connection to a WebSocket session (admitted GET /ws upgrade); `response` is unused.
  bool upgrade = false;
  std::string echo_protocol;   // the upgrade's Sec-WebSocket-Protocol answer (extract_token's)
  api_response response;
};

[[nodiscard]] bool auth_enabled(const access_control& access);

/// Authenticates and rate-limits a request: the principal's name ("anonymous" without a token),
/// or the error to answer (retry_after set for rate_limited).
[[nodiscard]] api_result<std::string> admit(const access_control& access, route r,
                                            std::string_view authorization,
                                            std::string_view query, std::string_view ws_protocol,
                                            std::string_view remote, uint32_t& retry_after);

/// The answer to one request. An exception from an API handler is logged and answered 500. With
/// CORS on, a request from the allowed origin gets Access-Control-Allow-Origin, and its preflight
/// (OPTIONS with Access-Control-Request-Method, which carries no credentials) a 204 before any
/// routing or authentication.
[[nodiscard]] http_outcome handle_http(const http_context& ctx, const http_request_view& req);

}  // namespace aragora::edge
