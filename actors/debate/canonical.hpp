#pragma once
// The canonical byte encoding that message digests and receipts hash (docs/receipt.md).
// Each field is `name=<byte length>:<value>\n`, in a fixed order; numbers are decimal, doubles
// have exactly six decimals, booleans are 0/1, times are integer microseconds since the epoch.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "actors/debate/types.hpp"

namespace aragora::debate {

class canonical_writer {
public:
  void field(std::string_view name, std::string_view value);
  void field(std::string_view name, uint64_t value);
  void field(std::string_view name, double value);
  void field(std::string_view name, bool value);
  void field(std::string_view name, const char* value) { field(name, std::string_view{value}); }
  [[nodiscard]] const std::string& bytes() const { return out_; }

private:
  std::string out_;
};

/// Rounds to the six decimals the canonical encoding keeps, so stored and hashed values agree.
[[nodiscard]] double canonical_double(double x);

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
  bool is_critique = false;
  double severity = 0;
  std::span<const std::string> issues;
  bool is_choice = false;  // vote or judge
  double confidence = 0;
};

[[nodiscard]] digest message_digest(const message_fields& m);

}  // namespace aragora::debate
