#pragma once
// aragora::client: talks to an edge over one WebSocket in the binary subprotocol
// `aragora.v1.protobuf` (each frame one v1::Envelope): HTTP API calls travel as ApiCall /
// ApiReply (the same routes, JSON bodies, roles and errors as over HTTP), and event streams as
// Envelope{event}, resumed by seq after a reconnect so that a follower misses nothing.
//
// Light on purpose: no Beast, Asio, protobuf or JSON in this header (client.cpp has them). It
// links the schema and the networking code only: no actors, no store.
//
// Threading: one I/O thread per client. Blocking calls wait for it and must not be made from a
// callback (they return `busy`); callbacks run on it and must not block. Asynchronous calls may
// be made from anywhere, callbacks included.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/defaults.hpp"
#include "runtime/base/error/error.hpp"

namespace aragora::v1 {
class Event;
}

namespace aragora::client {

enum class client_errc : uint8_t {
  bad_endpoint = 1,  // not ws://HOST:PORT (or http://, wss:// is not supported)
  unreachable,       // no connection, or it dropped and did not come back in time
  unauthorised,      // 401 or 403: no token, a wrong one, or one without the role
  refused,           // the edge answered with another error (its status and code in `api_code`)
  timeout,           // no answer within the call's timeout
  protocol,          // the peer does not speak aragora.v1.protobuf, or sent what cannot be read
  busy,              // too many calls waiting, or a blocking call from a callback
};
[[nodiscard]] std::string_view to_string(client_errc e);

/// An error with what the edge said, when it said something.
struct client_error : error<client_errc> {
  unsigned status = 0;   // the HTTP status of a refused call (0: none came)
  std::string api_code;  // its stable code ("NOT_FOUND", "AUTH_REQUIRED", ...)
  std::string body;      // the refusal's body as the edge sent it
};
template <class T>
using result = expected<T, client_errc, client_error>;

/// Debates one connection may follow at once (the edge's limit for the binary subprotocol);
/// a follow past it ends refused (TOO_MANY_SUBSCRIPTIONS): use more clients.
inline constexpr size_t max_follows = defaults::edge_ws_subscriptions_binary;

struct options {
  /// ws://HOST:PORT (the edge's HTTP or WebSocket port; both serve /ws). http:// is read as ws://.
  std::string endpoint = "ws://127.0.0.1:8080";
  std::string token;  // sent as Authorization: Bearer at the upgrade; empty: anonymous
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds call_timeout{30000};
  /// How long a stream keeps reconnecting (100 ms doubling to 2 s) before it ends unreachable.
  std::chrono::milliseconds reconnect_for{30000};
  size_t max_pending_calls = 4096;  // beyond: busy (nothing is queued without bound)
  /// Silence past which the edge counts as gone (a ping goes out at half of it). The edge answers
  /// pings between the calls it serves on one connection, and a call holds it while it runs (a
  /// placement up to 15 s, a compaction or a backup as long as the store takes): past those.
  std::chrono::milliseconds idle_timeout{60000};
};

/// An HTTP answer carried on the WebSocket: 2xx only (errors are client_error).
struct reply {
  unsigned status = 0;
  std::string body;  // JSON
};

/// What a stream saw, once its debate_end arrived (or it ended in error).
struct stream_summary {
  uint32_t last_seq = 0;
  uint32_t events = 0;      // delivered to the handler (no duplicates)
  uint32_t reconnects = 0;  // connections made again while following
  uint32_t notices = 0;     // node_down notices
};

struct stream_handlers {
  /// Each event once, in seq order. Runs on the I/O thread.
  std::function<void(const v1::Event&)> on_event;
  /// A live notice: kind ("node_down") and its JSON data.
  std::function<void(std::string_view kind, std::string_view data)> on_notice;
  /// The stream's end: its debate_end arrived, or an error (unknown debate, unreachable).
  std::function<void(result<stream_summary>)> on_end;
};

/// The fields of a new debate (the rest take the edge's defaults).
struct debate_request {
  std::string task;
  std::vector<std::string> agents;  // "mock:critical:bob"; empty: the edge's default agents
  std::optional<uint32_t> rounds;
  std::string protocol;   // lite | full; empty: the edge's
  std::string consensus;  // empty: the protocol's
  std::optional<uint32_t> seed;
  std::optional<bool> early_stop;
};
/// The request as the API's JSON body.
[[nodiscard]] std::string to_json(const debate_request& r);

class client {
public:
  explicit client(options opts);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Connects now (calls also connect when needed): unreachable, unauthorised, protocol.
  [[nodiscard]] result<bool> connect();

  // -- blocking calls (not from a callback) ------------------------------------------------------
  /// Any API route: method, path and query, JSON body.
  [[nodiscard]] result<reply> call(std::string_view method, std::string_view target,
                                   std::string_view body = {});
  /// Starts a debate: its id.
  [[nodiscard]] result<std::string> start_debate(const debate_request& r);
  [[nodiscard]] result<std::string> start_debate_json(std::string_view body);
  [[nodiscard]] result<reply> debate(std::string_view id);
  [[nodiscard]] result<reply> messages(std::string_view id);
  [[nodiscard]] result<reply> receipt(std::string_view id);
  [[nodiscard]] result<reply> cancel(std::string_view id);
  /// status: empty or running|completed|failed|cancelled.
  [[nodiscard]] result<reply> list(uint32_t limit, uint32_t offset, std::string_view status = {});
  [[nodiscard]] result<reply> leaderboard();
  [[nodiscard]] result<reply> health();
  [[nodiscard]] result<reply> nodes();
  [[nodiscard]] result<reply> breakers();
  // Admin calls (a token with the admin role).
  [[nodiscard]] result<reply> drain(std::string_view node);
  [[nodiscard]] result<reply> undrain(std::string_view node);
  [[nodiscard]] result<reply> compact();
  /// The edge node's store per column family (bytes, records, retention, growth per day).
  [[nodiscard]] result<reply> storage();
  /// Backs the edge node's store up (admin); `node` empty or the edge node's name.
  [[nodiscard]] result<reply> backup(std::string_view node = {});
  /// Follows a debate's events after `after_seq` until its debate_end, reconnecting and resuming
  /// by seq when the connection drops.
  [[nodiscard]] result<stream_summary> stream(
      std::string_view id, uint32_t after_seq,
      const std::function<void(const v1::Event&)>& on_event,
      const std::function<void(std::string_view kind, std::string_view data)>& on_notice = {});

  // -- asynchronous --------------------------------------------------------------------------
  void call_async(std::string method, std::string target, std::string body,
                  std::function<void(result<reply>)> done);
  void start_debate_async(std::string body, std::function<void(result<std::string>)> done);
  /// Follows a debate as stream() does; the handlers run on the I/O thread.
  void follow(std::string id, uint32_t after_seq, stream_handlers handlers);

  /// Drops the connection as a network fault would (tests): streams reconnect and resume.
  void drop_connection();
  /// Connections made so far (1 after the first).
  [[nodiscard]] uint64_t connections() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// The id in a create reply's body ("debate_id"), or a protocol error.
[[nodiscard]] result<std::string> debate_id_of(const reply& r);

}  // namespace aragora::client
