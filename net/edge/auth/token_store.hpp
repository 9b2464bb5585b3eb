#pragma once
// The edge's bearer tokens, held only as SHA-256 digests: a token's plaintext is hashed as it is
// loaded and then wiped, so neither a core dump nor a log line can show it. Entries come from the
// configuration (already hashed, `add_hashed`) and from a token file (`--token-file`,
// `load_file`). Error messages name lines and entries, never a token, nor any field of a token
// file's line (a line with its fields in the wrong order has its token where the name should be).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "net/edge/auth/role.hpp"
#include "runtime/base/crypto/sha256.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/base/error/error.hpp"

namespace aragora::edge {

/// Why a token entry or a token file was refused. Stable codes: they appear in CLI errors.
enum class auth_errc : uint8_t {
  bad_line = 1,            // a token file's line is not `name role token`
  unknown_role,            // not read, write or admin
  bad_name,                // not 1-64 characters of [A-Za-z0-9_.-]
  bad_token_hash,          // not 64 hex digits
  bad_token_chars,         // a token with a byte outside visible ASCII
  token_too_short,         // fewer than edge_min_token_chars
  duplicate_name,
  duplicate_token,
  token_file_permissions,  // readable or writable by group or others
  token_file_unreadable,   // missing, not a regular file, too large, or unreadable
};

[[nodiscard]] std::string_view to_string(auth_errc x);

/// error<auth_errc> and the 1-based line of the token file it is about (0: not about a line).
struct auth_error : error<auth_errc> {
  auth_error(auth_errc c, std::string m, uint32_t line_no = 0)
      : error<auth_errc>{c, std::move(m)}, line(line_no) {}
  uint32_t line = 0;
};

/// Who presented a known token: the entry's name (for logs, metrics and the rate limit's key)
/// and what it may do.
struct principal {
  std::string name;
  edge::role role = edge::role::read;

  friend bool operator==(const principal&, const principal&) = default;
};

/// The lower-case hex SHA-256 of `token`: what an operator writes into the YAML entry of a token
/// (`aragora serve hash-token`).
[[nodiscard]] std::string hash_token(std::string_view token);

/// Whether `name` may name a token entry: 1-64 characters of [A-Za-z0-9_.-]. It appears in logs
/// and metric labels, so it carries nothing that could forge a line or a label.
[[nodiscard]] bool valid_principal_name(std::string_view name);

/// Not thread-safe for writes: fill it before serving, then `authenticate` from any thread.
class token_store {
public:
  explicit token_store(size_t min_token_chars = defaults::edge_min_token_chars);

  /// An entry of the configuration: `sha256_hex` is the token's SHA-256 in hex (64 digits, either
  /// case), as hash_token prints it. Refuses a bad name or hash and a name or token already held.
  [[nodiscard]] std::optional<auth_error> add_hashed(std::string name, role r,
                                                     std::string_view sha256_hex);

  /// Loads a token file: one `name role token` per line, separated by spaces or tabs; blank lines
  /// and lines whose first non-blank character is `#` are skipped (`#` elsewhere is part of a
  /// field: tokens may contain it). Refused, like ssh refuses a private key, when group or others
  /// may read or write it (token_file_permissions). All or nothing: on an error nothing of the
  /// file is added. The file's bytes are wiped from memory once parsed.
  [[nodiscard]] std::optional<auth_error> load_file(
      const std::string& path, size_t max_bytes = defaults::edge_max_token_file_bytes);

  /// What load_file does once it has read the file: parses `text` (`source` names it in
  /// messages). The caller owns `text` and wipes it.
  [[nodiscard]] std::optional<auth_error> load_text(std::string_view text,
                                                    std::string_view source);

  /// The principal whose token is `presented`, or nullopt. The presented token is hashed and the
  /// digests compared in constant time.
  [[nodiscard]] std::optional<principal> authenticate(std::string_view presented) const;

  [[nodiscard]] bool empty() const noexcept { return by_digest_.empty(); }
  [[nodiscard]] size_t size() const noexcept { return by_digest_.size(); }

private:
  struct entry {
    principal who;
    std::string origin;  // "line 3 of FILE" or "configuration entry 'NAME'": for duplicates
  };
  // A digest is uniformly distributed: its first bytes are a hash already.
  struct digest_hash {
    size_t operator()(const crypto::sha256_digest& d) const noexcept;
  };
  // Constant time, so a lookup's timing says nothing about how close a guess came.
  struct digest_equal {
    bool operator()(const crypto::sha256_digest& a, const crypto::sha256_digest& b) const noexcept;
  };

  size_t min_token_chars_;
  std::unordered_map<crypto::sha256_digest, entry, digest_hash, digest_equal> by_digest_;
  std::unordered_map<std::string, std::string> origin_of_name_;
};

}  // namespace aragora::edge
