#include "net/wire/envelope.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deserializer.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/serializer.hpp>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "runtime/base/defaults.hpp"

namespace aragora::wire {

std::string_view to_string(wire_errc x) {
  switch (x) {
    case wire_errc::envelope_too_large: return "envelope_too_large";
    case wire_errc::envelope_truncated: return "envelope_truncated";
    case wire_errc::envelope_malformed: return "envelope_malformed";
    case wire_errc::envelope_unserializable: return "envelope_unserializable";
    case wire_errc::unreadable_message: return "unreadable_message";
  }
  return "unknown";
}

caf::error make_error(wire_errc code, std::string detail) {
  return caf::error{static_cast<uint8_t>(code), error_category,
                    caf::make_message(std::move(detail))};
}

caf::error make_error(wire_errc code) {
  return caf::error{static_cast<uint8_t>(code), error_category};
}

std::optional<wire_errc> wire_code(const caf::error& err) {
  if (!err || err.category() != error_category) return std::nullopt;
  auto c = err.code();
  if (c < static_cast<uint8_t>(wire_errc::envelope_too_large) ||
      c > static_cast<uint8_t>(wire_errc::unreadable_message))
    return std::nullopt;
  return static_cast<wire_errc>(c);
}

namespace {

// An owner-less alias of protobuf's default instance: non-null, never freed, no allocation.
const envelope::message_ptr& empty_message() {
  static const envelope::message_ptr empty{std::shared_ptr<void>{},
                                           &v1::Envelope::default_instance()};
  return empty;
}

/// Writes `msg` (its sizes cached by ByteSizeLong) into `size` bytes at `out`. Deterministic: map
/// entries in key order, so an envelope always has the same bytes (tests compare them; a node
/// may digest or deduplicate them).
bool write_into(const v1::Envelope& msg, void* out, size_t size) {
  google::protobuf::io::ArrayOutputStream array{out, static_cast<int>(size)};
  google::protobuf::io::CodedOutputStream coded{&array};
  coded.SetSerializationDeterministic(true);
  msg.SerializeWithCachedSizes(&coded);
  coded.Trim();
  return !coded.HadError() && static_cast<size_t>(coded.ByteCount()) == size;
}

std::string too_large(size_t n) {
  return std::to_string(n) + " bytes, the limit is " + std::to_string(defaults::max_envelope_bytes);
}

}  // namespace

envelope::envelope() : msg_(empty_message()) {
}

envelope::envelope(v1::Envelope&& msg)
    : msg_(std::make_shared<const v1::Envelope>(std::move(msg))) {
}

envelope::envelope(message_ptr msg) : msg_(msg ? std::move(msg) : empty_message()) {
}

std::string_view kind_name(v1::Envelope::KindCase kind) {
  if (kind == v1::Envelope::KIND_NOT_SET) return "empty";
  const auto* field = v1::Envelope::descriptor()->FindFieldByNumber(static_cast<int>(kind));
  return field ? std::string_view{field->name()} : std::string_view{"unknown"};
}

caf::error inspect(caf::serializer& f, envelope& x) {
  const auto& msg = *x;
  // Refused here too: a peer would refuse it anyway, and the sender's error names the cause.
  auto size = msg.ByteSizeLong();
  if (size > defaults::max_envelope_bytes)
    return make_error(wire_errc::envelope_too_large, too_large(size));
  if (auto err = f.begin_sequence(size)) return err;
  if (size > 0) {
    // BASP's serializer: write the protobuf straight into its buffer (no intermediate copy).
    // Sizes were cached by ByteSizeLong above (const methods are thread-safe in protobuf).
    if (auto* bs = dynamic_cast<caf::binary_serializer*>(&f)) {
      auto pos = bs->write_pos();
      bs->skip(size);
      if (!write_into(msg, bs->buf().data() + pos, size))
        return make_error(wire_errc::envelope_unserializable, "the size changed while writing");
    } else {
      std::string bytes(size, '\0');
      if (!write_into(msg, bytes.data(), size))
        return make_error(wire_errc::envelope_unserializable, "the size changed while writing");
      if (auto err = f.apply_raw(size, bytes.data())) return err;
    }
  }
  return f.end_sequence();
}

caf::error inspect(caf::deserializer& f, envelope& x) {
  size_t size = 0;
  if (f.begin_sequence(size))
    return make_error(wire_errc::envelope_truncated, "no payload length");
  // Checked before anything is allocated: the length is the peer's word.
  if (size > defaults::max_envelope_bytes)
    return make_error(wire_errc::envelope_too_large, too_large(size));
  auto msg = std::make_shared<v1::Envelope>();
  if (auto* bd = dynamic_cast<caf::binary_deserializer*>(&f)) {
    // BASP's deserializer: parse straight from its buffer.
    if (size > bd->remaining())
      return make_error(wire_errc::envelope_truncated,
                        std::to_string(size) + " bytes announced, " +
                            std::to_string(bd->remaining()) + " present");
    if (!msg->ParseFromArray(bd->remainder().data(), static_cast<int>(size)))
      return make_error(wire_errc::envelope_malformed,
                        "not a protobuf Envelope (" + std::to_string(size) + " bytes)");
    bd->skip(size);
  } else {
    std::string bytes(size, '\0');
    if (size > 0 && f.apply_raw(size, bytes.data()))
      return make_error(wire_errc::envelope_truncated,
                        std::to_string(size) + " bytes announced, fewer present");
    if (!msg->ParseFromString(bytes))
      return make_error(wire_errc::envelope_malformed,
                        "not a protobuf Envelope (" + std::to_string(size) + " bytes)");
  }
  if (auto err = f.end_sequence()) return err;
  x = envelope{envelope::message_ptr{std::move(msg)}};
  return caf::none;
}

std::string to_string(const envelope& x) {
  std::string out = "envelope(";
  out += kind_name(x.kind());
  out += ", ";
  out += std::to_string(x->ByteSizeLong());
  out += " bytes)";
  return out;
}

void add_wire_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<envelope>(std::string{envelope_type_name});
  cfg.add_error_category(error_category, [](uint8_t code, caf::atom_value,
                                            const caf::message& context) {
    std::string out = "wire_error: ";
    if (code >= static_cast<uint8_t>(wire_errc::envelope_too_large) &&
        code <= static_cast<uint8_t>(wire_errc::unreadable_message))
      out += to_string(static_cast<wire_errc>(code));
    else
      out += "code " + std::to_string(code);
    if (context.match_elements<std::string>()) {
      out += " (";
      out += context.get_as<std::string>(0);
      out += ")";
    }
    return out;
  });
}

}  // namespace aragora::wire
