#pragma once
// The edge's Prometheus metrics (docs/operations.md, "Metrics and alerts"), registered once per
// process in metrics::default_registry(). A request's histogram child is found through a fixed
// table, so the hot path takes no lock and builds no label strings.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "net/edge/routes.hpp"
#include "runtime/base/metrics/metrics.hpp"

namespace aragora::edge {

class edge_metrics {
public:
  /// The process's one instance.
  [[nodiscard]] static edge_metrics& get();

  /// The latency histogram of one request: `r` null for a request that matched no route.
  [[nodiscard]] metrics::histogram& request(const route* r, std::string_view method, int status);

  metrics::gauge& http_connections;
  metrics::gauge& ws_connections;
  metrics::histogram& ws_send_lag;       // a live frame's wait in one connection's send queue
  metrics::counter& ws_frames_sent;
  metrics::counter& ws_slow_consumers;   // connections closed with 1013 for a full send queue
  metrics::counter& ws_oversize_closed;  // connections closed with 1009 for a too-large message

private:
  edge_metrics();

  static constexpr size_t methods = 4;    // GET, POST, HEAD, other
  static constexpr size_t statuses = 16;  // the statuses the API answers, and "other"
  static constexpr size_t routes = route_count + 1;  // and "unmatched"

  metrics::histogram_family& requests_;
  std::array<std::atomic<metrics::histogram*>, routes * methods * statuses> table_{};
};

/// The pattern a route serves, as a label: "/api/v1/debates/{id}", never the raw path.
[[nodiscard]] std::string_view route_pattern(route r);

}  // namespace aragora::edge
