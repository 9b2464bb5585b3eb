#pragma once
// The canonical byte encoding that message digests and receipts hash (docs/receipt.md).
// Each field is `name=<byte length>:<value>\n`, in a fixed order; numbers are decimal, doubles
// have exactly six decimals, booleans are 0/1, times are integer microseconds since the epoch.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/debate/types.hpp"
#include "runtime/base/crypto/sha256.hpp"

namespace aragora::debate {

/// Writes canonical fields either into a byte string (`bytes()`) or straight into a SHA-256
/// hasher, so large texts are hashed where they lie instead of being copied first.
class canonical_writer {
public:
  canonical_writer() = default;
  explicit canonical_writer(crypto::sha256_hasher& hasher) : hasher_(&hasher) {}
  canonical_writer(const canonical_writer&) = delete;
  canonical_writer& operator=(const canonical_writer&) = delete;

  void field(std::string_view name, std::string_view value);
  void field(std::string_view name, uint64_t value);
  void field(std::string_view name, int64_t value);
  void field(std::string_view name, double value);
  void field(std::string_view name, bool value);
  void field(std::string_view name, const char* value) { field(name, std::string_view{value}); }

  /// Collecting mode: everything written so far.
  [[nodiscard]] const std::string& bytes() const { return out_; }
  /// Hashing mode: hands buffered bytes to the hasher (call before finishing it).
  void flush();

private:
  void append(std::string_view s);

  std::string out_;                      // collecting mode
  crypto::sha256_hasher* hasher_ = nullptr;
  std::array<char, 512> pending_;        // hashing mode: small fields gathered before hashing
  size_t used_ = 0;
};

/// Rounds to the six decimals the canonical encoding keeps, so stored and hashed values agree.
[[nodiscard]] double canonical_double(double x);

/// The longest text of a canonical double: a sign, 309 integer digits (DBL_MAX), a point and six
/// decimals.
inline constexpr size_t max_canonical_double_chars = 317;

/// Writes the canonical text of `x` ("%.6f" of canonical_double(x)) at `out`, which has room for
/// max_canonical_double_chars + 1 chars; returns the end.
char* format_canonical_double(double x, char* out);

/// A number the canonical encoding represents exactly: finite, at most six decimals, not -0.
/// Verification refuses any other, since two of them could share an encoding.
[[nodiscard]] bool is_canonical_double(double x);

/// Milliseconds between two recorded times, as results and events report them.
[[nodiscard]] double duration_ms(time_point from, time_point to);

/// Microseconds since the epoch: the precision timestamps are recorded with.
[[nodiscard]] int64_t to_micros(time_point t);
[[nodiscard]] time_point from_micros(int64_t us);

/// The fields of one transcript message, whichever representation they come from.
struct message_fields {
  uint32_t round = 0;
  phase ph = phase::propose;
  std::string_view agent;
  std::string_view target;
  int64_t at_us = 0;
  std::string_view text;
  double severity = 0;      // critiques
  std::string_view issues;  // critiques: one issue per line
  double confidence = 0;    // votes and judgements
};

[[nodiscard]] digest message_digest(const message_fields& m);

/// Calls `f(issue)` for every line of a newline-separated issue list.
template <class F>
void for_each_issue(std::string_view issues, F&& f) {
  while (!issues.empty()) {
    auto nl = issues.find('\n');
    f(issues.substr(0, nl));
    if (nl == std::string_view::npos) break;
    issues.remove_prefix(nl + 1);
  }
}

[[nodiscard]] size_t issue_count(std::string_view issues);

}  // namespace aragora::debate
