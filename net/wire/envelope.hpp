#pragma once
// The one CAF message type that crosses a node. It holds a protobuf `v1::Envelope`
// (net/proto/aragora/v1/wire.proto) behind a shared pointer to const: a local send copies the
// pointer (CAF does not serialise local messages), and a remote send through the middleman
// (BASP) runs `inspect`, which writes the protobuf bytes and, on the receiving node, parses and
// checks them. A payload that is too large, cut short or not an Envelope is a deserialisation
// error with a stable code (category "wire"), never a crash: BASP drops that message.
//
// On the wire (CAF's binary format): the payload length as CAF writes a sequence size (a
// little-endian base-128 varint), then the Envelope's protobuf bytes.

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aragora/v1/wire.pb.h"

namespace aragora::wire {

/// The name both nodes register the envelope under (they must agree, CAF matches names).
inline constexpr std::string_view envelope_type_name = "aragora::wire::envelope";

/// The category of wire errors in caf::error.
inline constexpr caf::atom_value error_category = caf::atom("wire");

/// Why an envelope did not cross. Stable codes: they appear in logs and error replies.
enum class wire_errc : uint8_t {
  envelope_too_large = 1,  // over defaults::max_envelope_bytes (sending or reading)
  envelope_truncated,      // fewer bytes than the length says
  envelope_malformed,      // the bytes are not a protobuf Envelope
  envelope_unserializable, // protobuf could not write it
  unreadable_message,      // a message from another node arrived empty: its content could not
                           // be read (net/wire/unreadable.hpp)
};

[[nodiscard]] std::string_view to_string(wire_errc x);

/// A caf::error of category "wire"; `detail` says what was seen.
[[nodiscard]] caf::error make_error(wire_errc code, std::string detail);
[[nodiscard]] caf::error make_error(wire_errc code);

/// The wire code of `err`, if it is a wire error.
[[nodiscard]] std::optional<wire_errc> wire_code(const caf::error& err);

class envelope {
public:
  using message_ptr = std::shared_ptr<const v1::Envelope>;

  /// An envelope with no kind set (protobuf's default instance; allocates nothing).
  envelope();
  explicit envelope(v1::Envelope&& msg);
  /// A null pointer makes an empty envelope.
  explicit envelope(message_ptr msg);

  [[nodiscard]] const v1::Envelope& get() const { return *msg_; }
  [[nodiscard]] const v1::Envelope& operator*() const { return *msg_; }
  [[nodiscard]] const v1::Envelope* operator->() const { return msg_.get(); }
  /// The message, to keep or to hand on without copying it.
  [[nodiscard]] const message_ptr& share() const { return msg_; }
  [[nodiscard]] v1::Envelope::KindCase kind() const { return msg_->kind_case(); }

private:
  message_ptr msg_;
};

/// The name of an envelope's kind as wire.proto spells it ("agent_calls"), "empty" when unset,
/// "unknown" for a kind this build does not know.
[[nodiscard]] std::string_view kind_name(v1::Envelope::KindCase kind);

// CAF 0.17 inspection: one overload per direction, so each can check what it needs.
[[nodiscard]] caf::error inspect(caf::serializer& f, envelope& x);
[[nodiscard]] caf::error inspect(caf::deserializer& f, envelope& x);
/// For CAF's to_string of messages: the kind and the payload size, not the content.
[[nodiscard]] std::string to_string(const envelope& x);

/// Registers the envelope type and the wire error category on `cfg`; call before the
/// actor_system is made from it, on every node.
void add_wire_types(caf::actor_system_config& cfg);

}  // namespace aragora::wire
