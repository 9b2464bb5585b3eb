#pragma once
// SHA-256 and HMAC-SHA256 over OpenSSL (SHA-NI where the CPU has it).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aragora::crypto {

using sha256_digest = std::array<uint8_t, 32>;

[[nodiscard]] sha256_digest sha256(std::string_view data);

/// Incremental hashing for data assembled from pieces. Holds its state inline: no allocation.
class sha256_hasher {
public:
  sha256_hasher();
  sha256_hasher(const sha256_hasher&) = delete;
  sha256_hasher& operator=(const sha256_hasher&) = delete;

  void update(std::string_view data);
  [[nodiscard]] sha256_digest finish();

private:
  // OpenSSL's SHA256_CTX (112 bytes), kept out of this header; checked in sha256.cpp.
  alignas(8) unsigned char state_[112];
};

[[nodiscard]] sha256_digest hmac_sha256(std::string_view key, std::string_view data);

[[nodiscard]] std::string to_hex(const uint8_t* data, size_t size);
/// Writes 2 * size hex digits to `out`.
void to_hex(const uint8_t* data, size_t size, char* out);

template <size_t N>
[[nodiscard]] std::string to_hex(const std::array<uint8_t, N>& bytes) {
  return to_hex(bytes.data(), N);
}

/// Decodes lower- or upper-case hex; nullopt on odd length or a non-hex character.
[[nodiscard]] std::optional<std::string> from_hex(std::string_view hex);

/// Compares without an early exit, so the time taken says nothing about where inputs differ.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace aragora::crypto
