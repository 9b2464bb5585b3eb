#pragma once
// The HTTP(S) client real agents call their APIs with: fully asynchronous on its own I/O
// threads (never a CAF scheduler thread), TLS with certificate and host name verification,
// plain HTTP only to a loopback address. A streamed 2xx answer is handed over as its bytes
// arrive; everything else is read whole, bounded. Each exchange has one deadline and can be
// cancelled from any thread. All of Beast and Asio is in http_client.cpp.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/base/error/error.hpp"

namespace aragora::llm {

/// Why an exchange produced no HTTP answer. Stable codes: they appear in call errors.
enum class transport_errc : uint8_t {
  bad_url = 1,     // not http(s)://host[:port][/path]
  insecure,        // http:// to a host that is not loopback: keys would cross the network in clear
  resolve_failed,
  connect_failed,
  tls_failed,      // handshake or certificate verification
  timeout,         // the exchange's deadline passed
  reset,           // the connection closed or broke before the answer was complete
  too_large,       // the answer passed its bound
  cancelled,
  stopped,         // the client is shutting down
};

[[nodiscard]] std::string_view to_string(transport_errc x);

using transport_error = error<transport_errc>;

/// Whether a transport failure is worth another attempt (timeouts, resets, refused connects).
[[nodiscard]] bool transient(transport_errc x);

struct base_url {
  bool tls = true;
  std::string host;
  std::string port;
  std::string path;  // "" or "/v1": no trailing '/'
};

/// Parses an API base URL ("https://api.openai.com/v1", "http://127.0.0.1:11434/v1").
[[nodiscard]] expected<base_url, transport_errc> parse_base_url(std::string_view url);

struct http_request {
  base_url url;
  std::string path;  // after url.path: "/chat/completions"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent as application/json
  std::chrono::milliseconds timeout{60'000};  // the whole exchange, from after `delay`
  std::chrono::milliseconds delay{0};         // wait this long first (a retry's backoff)
  bool stream = false;  // a 2xx body goes to on_body as it arrives
};

struct http_response {
  unsigned status = 0;
  std::string body;         // empty for a streamed 2xx answer (it went to on_body)
  std::string retry_after;  // the header, if any
};

using transport_result = expected<http_response, transport_errc>;

class http_client {
public:
  struct options {
    uint32_t io_threads = 1;
    size_t max_body_bytes = size_t{8} << 20;     // a whole answer
    size_t max_stream_bytes = size_t{64} << 20;  // a streamed one
    std::string ca_file;  // "" = the system's trust store
  };

  /// Called on an I/O thread: pieces of a streamed 2xx body, in order, before on_done.
  using body_fn = std::function<void(std::string_view)>;
  /// Called once, on an I/O thread (or in start() when the request is refused outright).
  using done_fn = std::function<void(transport_result)>;

  http_client();
  explicit http_client(options o);
  ~http_client();  // stop()
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Starts an exchange; the id is for cancel (never 0).
  uint64_t start(http_request r, body_fn on_body, done_fn on_done);
  /// Ends an exchange in flight with `cancelled` (on_body is not called after on_done). Unknown
  /// or finished ids are ignored. Any thread.
  void cancel(uint64_t id);

  /// Ends every exchange in flight with `stopped`, waits for their callbacks and stops the I/O
  /// threads; later starts end with `stopped` at once. Idempotent. Not from an I/O thread.
  void stop();

  /// Exchanges in flight.
  [[nodiscard]] size_t in_flight() const;

  struct impl;  // http_client.cpp

private:
  std::unique_ptr<impl> impl_;
};

}  // namespace aragora::llm
