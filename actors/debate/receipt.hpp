#pragma once
// Decision receipts: a SHA-256 over the canonical encoding of the whole result, optionally
// HMAC-SHA256 signed (docs/receipt.md). One encoder reads a `receipt_view`, which either a
// finished debate_machine (sealing) or a parsed v1::Receipt (verifying) provides.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/debate/canonical.hpp"
#include "actors/debate/machine.hpp"
#include "aragora/v1/debate.pb.h"

namespace aragora::debate {

inline constexpr const char* receipt_algorithm = "sha256:aragora-receipt-v1";
inline constexpr const char* signature_algorithm = "HMAC-SHA256";
inline constexpr const char* signing_key_env = "ARAGORA_RECEIPT_SIGNING_KEY";

struct receipt_agent_view {
  std::string_view name;
  std::string_view provider;
  uint32_t calls;
  uint32_t failures;
  bool contributing;
};

struct receipt_vote_view {
  std::string_view agent;
  std::string_view choice;
  double confidence;
};

struct receipt_message_view {
  uint32_t round;
  std::string_view phase;
  std::string_view agent;
  std::string_view target;
  std::string_view sha256_hex;
};

/// Everything a receipt's digest covers, as views into whoever holds the data.
struct receipt_view {
  std::string_view algorithm;
  std::string_view receipt_id;
  std::string_view debate_id;
  std::string_view question;
  std::string_view protocol;
  std::string_view consensus;
  std::string_view status;
  std::string_view verdict;
  double confidence = 0;
  bool consensus_reached = false;
  std::string_view winner;
  std::string_view final_answer_sha256;
  uint32_t rounds_used = 0;
  uint32_t agent_calls = 0;
  std::vector<receipt_agent_view> agents;
  std::vector<receipt_vote_view> votes;
  std::vector<receipt_message_view> messages;
  uint64_t created_at_us = 0;
  uint64_t completed_at_us = 0;
};

/// The canonical encoding of everything a receipt covers.
void write_canonical(const receipt_view& r, canonical_writer& w);

/// The bytes `sha256` covers: every field of the receipt but `sha256` and `signature`.
[[nodiscard]] std::string canonical_receipt(const v1::Receipt& r);

/// The receipt's id, digest and signature, without building the protobuf.
[[nodiscard]] sealed_receipt seal_receipt(const debate_machine& m,
                                          const std::optional<std::string>& signing_key);

/// The full receipt of a finished debate (for files and APIs).
[[nodiscard]] v1::Receipt make_receipt(const debate_machine& m,
                                       const std::optional<std::string>& signing_key);

enum class verify_errc : uint8_t {
  digest_mismatch = 1,
  signature_mismatch,
  missing_key,
  unsupported_algorithm,
  missing_signature,  // a signing key is configured but the receipt is unsigned
  transcript_mismatch,  // check_result: the result is not what the receipt commits to
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

/// Whether `result` is the debate `r` commits to. Does not verify `r` itself: call
/// verify_receipt first.
[[nodiscard]] verify_result check_result(const v1::Receipt& r, const v1::DebateResult& result);

/// The key from ARAGORA_RECEIPT_SIGNING_KEY (hex), or nullopt when unset. A set but malformed
/// value is an error the caller reports.
struct signing_key_result {
  std::optional<std::string> key;
  std::string error;
};
[[nodiscard]] signing_key_result signing_key_from_env();

}  // namespace aragora::debate
