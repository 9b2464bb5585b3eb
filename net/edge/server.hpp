#pragma once
// The edge's HTTP + WebSocket server (Boost.Beast; all of Beast stays in server.cpp). One port
// serves the API, the web page, /metrics and /ws; an optional second port serves /ws too (the
// capacity guide's WebSocket port).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "net/edge/api_error.hpp"
#include "runtime/base/defaults.hpp"

namespace aragora::edge {

class backend;
class stream_hub;
class token_store;
class rate_limiter;

struct server_options {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                 // 0: any free port (tests)
  std::optional<uint16_t> ws_port;      // a second listener for /ws
  uint32_t io_threads = defaults::edge_io_threads;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  std::chrono::seconds request_timeout{30};  // to read one request once it has begun
  std::chrono::seconds idle_timeout{60};     // a keep-alive connection with no request
  size_t max_connections = 20'000;
  size_t ws_max_message_bytes = 64 << 10;    // inbound; larger closes with 1009
  size_t ws_send_queue_frames = 4096;        // past this a slow consumer is closed (1013)
  int ws_socket_send_buffer = 0;             // SO_SNDBUF of WebSocket sockets; 0: the system's
  std::chrono::milliseconds ws_end_pause{50};  // before debate_end (client-contract §9.1)
  std::chrono::seconds ws_heartbeat{15};
  // Empty: CORS off (no Access-Control-* header; a preflight is 405). "*" or one origin:
  // browsers on that origin may call the API (edge.cors_origin).
  std::string cors_origin;
};

/// Who may do what, when tokens are configured; with none, every request is allowed (the
/// server then listens on loopback only: `aragora serve` refuses anything else).
struct access_control {
  const token_store* tokens = nullptr;  // null or empty: no authentication
  rate_limiter* limiter = nullptr;      // null: no rate limit
};

/// Text for /metrics, rendered on request (runtime/base/metrics).
using metrics_renderer = std::function<std::string()>;

class server {
public:
  server(server_options opts, backend& b, stream_hub& hub, access_control access = {},
         metrics_renderer metrics = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds the listeners and starts the I/O threads; the error says what could not be bound.
  [[nodiscard]] std::optional<std::string> start();
  /// Stops accepting, closes every connection (WebSockets with 1001 "going away") and joins the
  /// I/O threads. Idempotent.
  void stop();

  [[nodiscard]] uint16_t port() const;     // as bound
  [[nodiscard]] uint16_t ws_port() const;  // as bound; 0 without a second listener
  [[nodiscard]] size_t connections() const;

  struct impl;  // server.cpp's: its sessions reach it

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace aragora::edge
