#include "net/edge/edge_metrics.hpp"

#include <string>

namespace aragora::edge {

namespace {

constexpr std::array<int, 15> known_statuses{200, 201, 202, 204, 400, 401, 403, 404,
                                             405, 409, 413, 429, 431, 500, 503};

size_t method_index(std::string_view m) {
  if (m == "GET") return 0;
  if (m == "POST") return 1;
  if (m == "HEAD") return 2;
  return 3;
}

size_t status_index(int s) {
  for (size_t i = 0; i < known_statuses.size(); ++i)
    if (known_statuses[i] == s) return i;
  return known_statuses.size();
}

constexpr std::array<std::string_view, 4> method_labels{"GET", "POST", "HEAD", "other"};

}  // namespace

std::string_view route_pattern(route r) {
  static constexpr std::array<std::string_view, route_count> patterns{
      "/",
      "/{asset}",
      "/api/v1/health",
      "/healthz",
      "/readyz",
      "/metrics",
      "/ws",
      "/api/v1/debates",
      "/api/v1/debates",
      "/api/v1/debates/{id}",
      "/api/v1/debates/{id}/messages",
      "/api/v1/debates/{id}/events",
      "/api/v1/debates/{id}/cancel",
      "/api/v1/debates/{id}/receipt",
      "/api/v2/receipts/{id}",
      "/api/v1/leaderboard",
      "/api/v1/agents",
      "/api/v1/cluster/nodes",
      "/api/v1/cluster/nodes/{name}/drain",
      "/api/v1/cluster/nodes/{name}/undrain",
      "/api/v1/cluster/breakers",
      "/api/v1/admin/compact",
      "/api/v1/admin/backup",
      "/api/v1/admin/storage"};
  return patterns[static_cast<size_t>(r)];
}

edge_metrics& edge_metrics::get() {
  static edge_metrics m;
  return m;
}

edge_metrics::edge_metrics()
    : http_connections(metrics::process_gauge(
                           "aragora_http_connections",
                           "Open HTTP connections (an upgraded one counts as a WebSocket).")
                           .with({})),
      ws_connections(
          metrics::process_gauge("aragora_ws_connections", "Open WebSocket connections.").with({})),
      ws_send_lag(metrics::process_histogram(
                      "aragora_ws_send_lag_seconds",
                      "A live event frame's wait in one connection's send queue, until written.",
                      metrics::latency_buckets)
                      .with({})),
      ws_frames_sent(metrics::process_counter("aragora_ws_frames_sent_total",
                                              "WebSocket frames written to clients.")
                         .with({})),
      ws_slow_consumers(metrics::process_counter(
                            "aragora_ws_slow_consumers_closed_total",
                            "WebSocket connections closed (1013) because their send queue was full.")
                            .with({})),
      ws_oversize_closed(metrics::process_counter(
                             "aragora_ws_oversize_messages_total",
                             "WebSocket connections closed (1009) for an inbound message over the limit.")
                             .with({})),
      requests_(metrics::process_histogram(
          "aragora_http_request_duration_seconds",
          "HTTP requests, from the request read to its response ready to send, by route pattern.",
          metrics::latency_buckets, {"method", "route", "status"}, routes * methods * statuses)) {}

metrics::histogram& edge_metrics::request(const route* r, std::string_view method, int status) {
  size_t ri = r ? static_cast<size_t>(*r) : route_count;
  size_t mi = method_index(method);
  size_t si = status_index(status);
  auto& cell = table_[(ri * methods + mi) * statuses + si];
  if (auto* h = cell.load(std::memory_order_acquire)) return *h;
  // First use of this tuple: with() is thread-safe and gives every caller the same child.
  std::string status_label = si < known_statuses.size() ? std::to_string(status) : "other";
  auto& h = requests_.with({method_labels[mi], r ? route_pattern(*r) : "unmatched", status_label});
  cell.store(&h, std::memory_order_release);
  return h;
}

}  // namespace aragora::edge
