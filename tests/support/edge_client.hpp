#pragma once
// A blocking HTTP and WebSocket client for the edge's tests (Beast stays in edge_client.cpp).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aragora::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_reply {
  unsigned status = 0;
  std::string body;
  header_list headers;
  [[nodiscard]] std::string header(const std::string& name) const;
};

/// One request on a fresh connection to 127.0.0.1:port; status 0 when it could not be made.
[[nodiscard]] http_reply http(uint16_t port, const std::string& method, const std::string& target,
                              const std::string& body = {}, const header_list& headers = {});

/// Raw bytes on a fresh connection; what the server answered before closing (or `timeout`).
[[nodiscard]] std::string raw_exchange(uint16_t port, const std::string& bytes,
                                       std::chrono::milliseconds timeout);

class ws_client {
public:
  /// Connects and upgrades; connected() says whether the handshake succeeded, and
  /// handshake_status() what the server answered otherwise. `rcvbuf`: a small receive buffer
  /// (a consumer that falls behind).
  ws_client(uint16_t port, const std::string& target, const header_list& headers = {},
            int rcvbuf = 0);
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  [[nodiscard]] bool connected() const;
  [[nodiscard]] unsigned handshake_status() const;
  /// The next text frame, or nullopt when closed or after `timeout`.
  [[nodiscard]] std::optional<std::string> read(std::chrono::milliseconds timeout);
  void send(const std::string& text);
  /// Sends one binary message.
  void send_binary(const std::string& bytes);
  /// Whether the last frame read was binary.
  [[nodiscard]] bool got_binary() const;
  /// The subprotocol the server chose (its Sec-WebSocket-Protocol), "" if none.
  [[nodiscard]] std::string protocol() const;
  /// Sends a close frame; reading then ends.
  void close();
  /// Drops the TCP connection without a close frame.
  void drop();
  /// Why the last read ended ("" if none did).
  [[nodiscard]] std::string error() const;
  /// The close code the server sent (0 if none yet).
  [[nodiscard]] int close_code() const;
  [[nodiscard]] std::string close_reason() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace aragora::test
