#pragma once
// What a WebSocket client asks of /ws (client-contract §5): its text messages are JSON control
// messages, read here without a socket (server.cpp's ws_session acts on them; the fuzz target
// tests/fuzz/fuzz_ws.cpp feeds them malformed ones).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace aragora::edge {

/// {"type":"ping","timestamp":t}: answered with a pong echoing t (0 when absent or no number).
struct ws_ping {
  double client_ts = 0;
};
/// {"type":"subscribe","debate_id":id,"after_seq":n}: `loop_id` stands for a missing or empty
/// debate_id, `replay_from_seq` for after_seq (the later key wins); a seq that is not a number in
/// (0, 2^32) counts as 0 (from the start). The id is not checked here: the server refuses one
/// that is not a debate id.
struct ws_subscribe {
  std::string debate_id;  // never empty
  uint32_t after = 0;
};
/// {"type":"unsubscribe","debate_id":id}
struct ws_unsubscribe {
  std::string debate_id;  // never empty
};
/// Anything else: not JSON, not an object, no string `type`, an unknown type, a subscribe or
/// unsubscribe without an id. The server ignores it: an `error` frame would end a client's
/// stream (client-contract §5). The reason is for tests and logs.
struct ws_ignored {
  std::string_view reason;
};

using ws_client_message = std::variant<ws_ping, ws_subscribe, ws_unsubscribe, ws_ignored>;

[[nodiscard]] ws_client_message parse_client_message(std::string_view text);

/// The subscription a /ws upgrade asks for in its target (`?debate_id=id&after_seq=n`, as the
/// Python client connects); nullopt without a debate_id. A malformed after_seq counts as 0.
[[nodiscard]] std::optional<ws_subscribe> subscribe_in_target(std::string_view target);

}  // namespace aragora::edge
