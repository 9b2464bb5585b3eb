#include "storage/record.hpp"

namespace aragora::storage {

void append_be64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void append_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

uint32_t read_be32(std::string_view b) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4 && i < b.size(); ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

uint64_t read_be64(std::string_view b) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < b.size(); ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

std::string record_header(int64_t expiry_s, size_t payload_hint) {
  std::string out;
  out.reserve(record_header_size + payload_hint);
  out.push_back(static_cast<char>(record_format));
  append_be64(out, static_cast<uint64_t>(expiry_s));
  return out;
}

std::string frame_record(int64_t expiry_s, std::string_view payload) {
  auto out = record_header(expiry_s, payload.size());
  out.append(payload);
  return out;
}

std::optional<record_view> unframe_record(std::string_view value) {
  if (value.size() < record_header_size || static_cast<uint8_t>(value[0]) != record_format)
    return std::nullopt;
  record_view r;
  r.expiry_s = static_cast<int64_t>(read_be64(value.substr(1, 8)));
  r.payload = value.substr(record_header_size);
  return r;
}

}  // namespace aragora::storage
