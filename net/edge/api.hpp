#pragma once
// The HTTP API's handlers, without a socket: a request in, a response out. The server
// (server.cpp) does the I/O, authentication and rate limits around it; tests call it directly.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/edge/backend.hpp"
#include "net/edge/body_cache.hpp"
#include "net/edge/routes.hpp"
#include "runtime/base/defaults.hpp"

namespace aragora::edge {

struct api_request {
  std::string_view method;
  std::string_view target;  // path and query
  std::string_view body;
  std::string principal;    // who asks (a token's name, or "anonymous"): the audit log's actor
  std::string ws_base;      // "ws://host:port", for the create reply's websocket_url
};

struct api_response {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

/// An error as the clients read it: the flat body and its status (and Allow for 405).
[[nodiscard]] api_response error_response(const api_error& e);

/// Reads, creates and cancels debates through `b`. Routes that are not the API's (page, assets,
/// metrics, the WebSocket) are the server's: handle() answers them with not_found.
class api {
public:
  explicit api(backend& b) : backend_(b) {}
  [[nodiscard]] api_response handle(const route_match& m, const api_request& r);

private:
  /// GET of a debate or its messages: from the cache while the debate's version is the one it
  /// was rendered at.
  [[nodiscard]] api_response rendered_or_read(const route_match& m);
  /// GET of the list: the page's ids from the backend, each row from the cache or its record.
  [[nodiscard]] api_response list(uint32_t limit, uint64_t offset, const std::string& status);

  backend& backend_;
  body_cache rendered_{defaults::edge_body_cache_bytes, defaults::edge_body_cache_age};
};

}  // namespace aragora::edge
