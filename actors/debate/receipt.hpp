#pragma once
// Decision receipts: a SHA-256 over the canonical encoding of every field of the receipt,
// optionally HMAC-SHA256 signed, plus a SHA-256 over the canonical encoding of the whole result
// (docs/receipt.md). One encoder reads a `receipt_view` and one a `result_view`; a finished
// debate_machine (sealing) or the parsed protobuf (verifying) provides each.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/debate/canonical.hpp"
#include "actors/debate/machine.hpp"
#include "aragora/v1/debate.pb.h"
#include "runtime/base/error/error.hpp"

namespace aragora::debate {

inline constexpr const char* receipt_algorithm = "sha256:aragora-receipt-v2";
/// Left fields uncovered (vote reasoning, the signer's key id, most of the result): refused.
inline constexpr const char* receipt_algorithm_v1 = "sha256:aragora-receipt-v1";
inline constexpr const char* signature_algorithm = "HMAC-SHA256";
inline constexpr const char* signing_key_env = "ARAGORA_RECEIPT_SIGNING_KEY";

struct receipt_agent_view {
  std::string_view name;
  std::string_view provider;
  uint32_t calls;
  uint32_t failures;
  bool contributing;
};

struct vote_view {
  std::string_view agent;
  std::string_view choice;
  double confidence;
  std::string_view reasoning;
};

struct receipt_message_view {
  uint32_t round;
  std::string_view phase;
  std::string_view agent;
  std::string_view target;
  std::string_view sha256_hex;
};

/// Everything a receipt's digest and signature cover, as views into whoever holds the data.
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
  std::string_view result_sha256;
  uint32_t rounds_used = 0;
  uint32_t agent_calls = 0;
  std::vector<receipt_agent_view> agents;
  std::vector<vote_view> votes;
  std::vector<receipt_message_view> messages;
  int64_t created_at_us = 0;
  int64_t completed_at_us = 0;
  std::string_view signature_algorithm;  // both empty for an unsigned receipt
  std::string_view signature_key_id;
};

struct result_agent_view {
  std::string_view name;
  std::string_view provider;
  std::string_view option;
  uint32_t calls;
  uint32_t failures;
  bool contributing;
  uint32_t tokens_in;
  uint32_t tokens_out;
  double cost_usd;
};

struct dissent_view {
  std::string_view agent;
  std::string_view choice;
  std::string_view reasoning;
};

/// A transcript message in a result digest: its own digest and what that digest leaves out.
struct result_message_view {
  std::string_view sha256_hex;
  uint32_t tokens;
  uint32_t tokens_in;
  double cost_usd;
  double context_ratio = 0;  // encoded only when not 0: results before compression keep their digest
};

struct similarity_view {
  std::string_view agent;
  double similarity;
};

/// Everything a result digest covers: every field of v1::DebateResult but `receipt`.
struct result_view {
  std::string_view id;
  std::string_view question;
  std::string_view protocol;
  std::string_view consensus;
  std::string_view status;
  std::string_view verdict;
  double confidence = 0;
  bool consensus_reached = false;
  std::string_view winner;
  std::string_view final_answer_sha256;
  std::string_view method_used;
  std::string_view judge;
  std::vector<dissent_view> dissenting_views;
  std::vector<result_agent_view> agents;
  std::vector<std::string_view> agents_requested;
  std::vector<std::string_view> agents_failed;
  std::vector<std::string_view> agents_contributing;
  uint32_t rounds_used = 0;
  uint32_t agent_calls = 0;
  uint32_t failed_calls = 0;
  uint32_t tokens_in = 0;
  uint32_t tokens_out = 0;
  double cost_usd = 0;
  double duration_ms = 0;
  std::string_view convergence_status;
  double min_similarity = 0;
  double avg_similarity = 0;
  std::vector<similarity_view> per_agent;  // sorted by agent name (bytewise)
  uint32_t convergence_round = 0;
  uint32_t compressed_calls = 0;  // encoded only when not 0, with compression_ratio
  double compression_ratio = 0;
  std::vector<result_message_view> messages;
  std::vector<vote_view> votes;
  int64_t created_at_us = 0;
  int64_t completed_at_us = 0;
  uint32_t seed = 0;
  std::string_view error;
};

/// The canonical encodings (docs/receipt.md): the only writers of receipt and result digests.
void write_canonical(const receipt_view& r, canonical_writer& w);
void write_canonical(const result_view& r, canonical_writer& w);

/// The bytes `sha256` and the signature cover: every field of the receipt but `sha256` and
/// `signature.value`.
[[nodiscard]] std::string canonical_receipt(const v1::Receipt& r);

/// The bytes `result_sha256` covers: every field of the result but `receipt`, each message by
/// the digest of its content (recomputed, not the `sha256` it carries).
[[nodiscard]] std::string canonical_result(const v1::DebateResult& r);

/// The SHA-256 of a final answer as receipts carry it: empty for an empty answer.
[[nodiscard]] std::string answer_sha256_hex(std::string_view answer);

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
  missing_signature,    // a signing key is configured but the receipt is unsigned
  transcript_mismatch,  // check_result: a message is not the one the receipt lists
  non_finite_number,    // NaN or an infinity: the canonical encoding cannot represent it
  non_canonical_value,  // a value two encodings could share: >6 decimals, -0, unknown enum, ns
  result_mismatch,      // check_result: another field differs from what the receipt commits to
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

/// Whether `result` is exactly the debate `r` commits to: every field the receipt states, every
/// message digest and the digest of the whole result. Does not verify `r` itself: call
/// verify_receipt first.
[[nodiscard]] verify_result check_result(const v1::Receipt& r, const v1::DebateResult& result);

/// Why a signing key was refused. Stable code: it appears in CLI errors.
enum class signing_key_errc : uint8_t { malformed = 1 };

/// "bad_signing_key".
[[nodiscard]] std::string_view to_string(signing_key_errc x);

using signing_key_result = expected<std::optional<std::string>, signing_key_errc>;

/// A signing key given as hex (the CLI reads it from ARAGORA_RECEIPT_SIGNING_KEY): nullopt when
/// `hex` is null or empty; a malformed value is an error the caller reports.
[[nodiscard]] signing_key_result parse_signing_key(const char* hex);

}  // namespace aragora::debate
