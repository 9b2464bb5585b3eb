#pragma once
// Where a request carries its token (reference/client-contract.md §2): the Python and TypeScript
// clients send `Authorization: Bearer <t>` over HTTP and only `?token=<urlencoded t>` on the
// WebSocket; browsers, which cannot set headers on a WebSocket, offer the subprotocol
// `access_token.<t>`. Pure functions over the header values, no Beast.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aragora::edge {

enum class token_carrier : uint8_t { authorization, subprotocol, query };

struct presented_token {
  std::string token;
  token_carrier carrier = token_carrier::authorization;
  /// The offered `access_token.<t>` subprotocol, whichever carrier the token was taken from:
  /// a browser that offered subprotocols fails the handshake unless the server selects one, so
  /// the server echoes this in its Sec-WebSocket-Protocol (unless it selects another offered
  /// one). Empty when none was offered.
  std::string echo_protocol;
};

/// The token a request presents, or nullopt. Arguments are the raw values, empty when absent:
/// the `Authorization` header, the target's query string (after `?`; a leading `?` is skipped)
/// and the `Sec-WebSocket-Protocol` header (several headers joined with ", ").
///
/// - `Authorization: Bearer <t>`: the scheme in any case, then blanks, then the token.
/// - `Sec-WebSocket-Protocol`: the first of the comma-separated protocols that starts with
///   `access_token.` (case-sensitive, as subprotocol names are).
/// - `token=<t>` in the query, percent-decoded (RFC 3986: `+` stays `+`; a space is never part
///   of a token, so form-encoded `+` for a space cannot matter); the first such parameter.
///
/// When several are present the first in that order wins. A carrier whose token is empty, holds
/// a byte outside visible ASCII or a bad percent escape counts as absent: the request is then
/// unauthenticated, never authenticated by a mangled token.
[[nodiscard]] std::optional<presented_token> extract_token(std::string_view authorization,
                                                           std::string_view query,
                                                           std::string_view websocket_protocol);

/// The request target with the value of every `token` query parameter replaced by `***`, for
/// access logs. Everything else is kept byte for byte. A parameter counts as `token` when its
/// name, percent-decoded, is `token`: exactly when extract_token would read it.
[[nodiscard]] std::string redact_target(std::string_view target);

/// RFC 3986 percent-decoding (`%XX`, either case; `+` stays `+`); nullopt on a `%` not followed
/// by two hex digits.
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view s);

}  // namespace aragora::edge
