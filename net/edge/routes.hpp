#pragma once
// Which handler a request goes to: pure, so every path, alias and method rule is tested without
// a socket. `/api/v1/X` is also served as `/api/X` (client-contract §1); ids in paths are
// percent-decoded (the TypeScript client encodes them) and must be debate ids.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/edge/api_error.hpp"

namespace aragora::edge {

enum class route : uint8_t {
  page,             // GET /            the web page
  asset,            // GET /app.js, /style.css
  health,           // GET /api/v1/health
  healthz,          // GET /healthz     liveness
  readyz,           // GET /readyz      readiness: store open, breakers closed
  metrics,          // GET /metrics
  stream,           // GET /ws          WebSocket upgrade
  create_debate,    // POST /api/v1/debates, /api/v1/debate
  list_debates,     // GET /api/v1/debates
  get_debate,       // GET /api/v1/debates/{id}
  debate_messages,  // GET /api/v1/debates/{id}/messages
  debate_events,    // GET /api/v1/debates/{id}/events?since=N&limit=M
  cancel_debate,    // POST /api/v1/debates/{id}/cancel
  debate_receipt,   // GET /api/v1/debates/{id}/receipt: our signed receipt, as `aragora verify` reads it
  get_receipt,      // GET /api/v2/receipts/{rid}, /api/gauntlet/receipts/{rid}
  leaderboard,      // GET /api/v1/leaderboard, /api/v1/rankings
  agents,           // GET /api/v1/agents
  cluster_nodes,    // GET /api/v1/cluster/nodes: each node, up or down, its load
  drain_node,       // POST /api/v1/cluster/nodes/{name}/drain (admin)
  undrain_node,     // POST /api/v1/cluster/nodes/{name}/undrain (admin)
  breakers,         // GET /api/v1/cluster/breakers: every node's breakers
  compact,          // POST /api/v1/admin/compact (admin): compact the edge node's store now
  backup,           // POST /api/v1/admin/backup[?node=NAME] (admin): back the edge node's store up now
  storage,          // GET /api/v1/admin/storage: the edge node's store per column family
};
inline constexpr size_t route_count = static_cast<size_t>(route::storage) + 1;

/// The client a request comes from, for the anonymous rate limit: the peer's address, except
/// that a peer on loopback is taken to be the local reverse proxy (scripts/nginx/aragora.conf),
/// and then the last address of X-Forwarded-For (the one nginx appended) is the client.
[[nodiscard]] std::string client_address(std::string_view peer, std::string_view forwarded_for);

/// A short name per route, for metrics labels and logs ("get_debate").
[[nodiscard]] std::string_view route_name(route r);

struct route_match {
  route which{};
  std::string id;     // the debate id (or receipt id for get_receipt; file name for asset)
  std::string allow;  // for method_not_allowed: the methods the path takes ("GET", "POST")
};

/// Matches a method and a path (no query). Errors: not_found, method_not_allowed (with `allow`
/// set on the error's message), invalid_value for an id that is not a debate id.
[[nodiscard]] expected<route_match, api_errc> match_route(std::string_view method,
                                                          std::string_view path);

/// "%41b" -> "Ab"; "+" stays "+" (paths) unless `plus_is_space` (query strings). nullopt for a
/// malformed escape or an encoded NUL.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view s,
                                                        bool plus_is_space = false);

/// A request target split at '?'.
struct target_parts {
  std::string_view path;
  std::string_view query;
};
[[nodiscard]] target_parts split_target(std::string_view target);

/// The decoded parameters of a query string, in order; a malformed escape drops the pair.
class query_params {
public:
  explicit query_params(std::string_view query);
  /// The first value of `key`.
  [[nodiscard]] std::optional<std::string> get(std::string_view key) const;
  /// An integer parameter in [lo, hi]: nullopt when absent, invalid_value when malformed or out
  /// of range (named in the message).
  [[nodiscard]] expected<std::optional<int64_t>, api_errc> integer(std::string_view key,
                                                                   int64_t lo, int64_t hi) const;

private:
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace aragora::edge
