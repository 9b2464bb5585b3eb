#pragma once
// Decision receipts: a SHA-256 over the canonical encoding of the whole result, optionally
// HMAC-SHA256 signed (docs/receipt.md).

#include <optional>
#include <string>

#include "actors/debate/codec.hpp"
#include "actors/debate/machine.hpp"
#include "aragora/v1/debate.pb.h"

namespace aragora::debate {

inline constexpr const char* receipt_algorithm = "sha256:aragora-receipt-v1";
inline constexpr const char* signature_algorithm = "HMAC-SHA256";
inline constexpr const char* signing_key_env = "ARAGORA_RECEIPT_SIGNING_KEY";

/// The receipt of a finished debate: digest and (with a key) signature filled in.
[[nodiscard]] v1::Receipt make_receipt(const debate_machine& m,
                                       const std::optional<std::string>& signing_key);

/// The bytes `sha256` covers: every field but `sha256` and `signature`.
[[nodiscard]] std::string canonical_receipt(const v1::Receipt& r);

enum class verify_errc : uint8_t {
  digest_mismatch = 1,
  signature_mismatch,
  missing_key,
  unsupported_algorithm,
};

[[nodiscard]] std::string_view to_string(verify_errc x);

struct verify_result {
  std::optional<verify_errc> error;
  std::string detail;
  bool signature_checked = false;
  [[nodiscard]] bool valid() const { return !error.has_value(); }
};

/// Recomputes the digest and, when the receipt is signed, the signature.
[[nodiscard]] verify_result verify_receipt(const v1::Receipt& r,
                                           const std::optional<std::string>& signing_key);

/// The key from ARAGORA_RECEIPT_SIGNING_KEY (hex), or nullopt when unset. A set but malformed
/// value is an error the caller reports.
struct signing_key_result {
  std::optional<std::string> key;
  std::string error;
};
[[nodiscard]] signing_key_result signing_key_from_env();

}  // namespace aragora::debate
