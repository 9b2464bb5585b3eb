#pragma once
// The value format of every stored record: a small header carrying the expiry time, then the
// protobuf payload.
//
//   byte 0      format version (1)
//   bytes 1..8  expiry, Unix seconds, big-endian signed; 0 = never expires
//   bytes 9..   payload

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aragora::storage {

inline constexpr uint8_t record_format = 1;
inline constexpr size_t record_header_size = 9;

[[nodiscard]] std::string frame_record(int64_t expiry_s, std::string_view payload);

/// Starts a framed value: the header, to which the caller appends the payload.
[[nodiscard]] std::string record_header(int64_t expiry_s, size_t payload_hint);

struct record_view {
  int64_t expiry_s = 0;
  std::string_view payload;

  [[nodiscard]] bool expired_at(int64_t now_s) const { return expiry_s != 0 && expiry_s <= now_s; }
};

/// nullopt for a value too short or of an unknown format.
[[nodiscard]] std::optional<record_view> unframe_record(std::string_view value);

/// Big-endian encodings for keys that sort by number.
void append_be64(std::string& out, uint64_t v);
void append_be32(std::string& out, uint32_t v);
[[nodiscard]] uint32_t read_be32(std::string_view bytes);
[[nodiscard]] uint64_t read_be64(std::string_view bytes);

}  // namespace aragora::storage
