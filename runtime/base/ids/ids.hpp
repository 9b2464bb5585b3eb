#pragma once
// Debate ids: unique across nodes and time, safe in paths and storage keys, and sorting by
// creation time. ULID-like, 26 characters of Crockford base32 (0-9 A-Z without I L O U, in
// ASCII order, so byte order is numeric order):
//
//   10 characters: Unix milliseconds (48 bits)
//    4 characters: node component (20 bits), told apart from other generators'
//   12 characters: sequence (60 bits), random at each new millisecond, +1 per id within it
//
// A leaf: pure, no dependency on the rest of the runtime.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aragora::ids {

inline constexpr size_t debate_id_length = 26;
inline constexpr uint32_t node_bits = 20;
inline constexpr uint32_t max_node = (1u << node_bits) - 1;

class debate_id_generator {
public:
  /// `node` (masked to 20 bits) tells this generator's ids from every other's made in the same
  /// millisecond; `seed` seeds the random start of each millisecond's sequence.
  debate_id_generator(uint32_t node, uint64_t seed);

  /// The next id at `unix_ms`. Always above the previous one (so ids of one generator sort in
  /// the order they were made): within a millisecond the sequence counts up, and a clock that
  /// steps back keeps the last millisecond and counts on.
  [[nodiscard]] std::string next(uint64_t unix_ms);

private:
  uint64_t random();

  uint32_t node_;
  uint64_t state_;
  uint64_t last_ms_ = 0;
  uint64_t seq_ = 0;
  bool started_ = false;
};

/// A node component from a node's name: FNV-1a folded to 20 bits.
[[nodiscard]] uint32_t node_component(std::string_view name);

/// Whether `id` can name a debate: 1 to 64 characters of [A-Za-z0-9_-]. Holds for the ids made
/// here and for the 16 hex digits of stores written before them; refuses anything that could
/// leave a directory ("..", "/") or split a storage key (events are keyed "<id>/<seq>").
[[nodiscard]] bool valid_debate_id(std::string_view id);

/// The next id of this process's generator, at the system clock's time. Its node component is
/// random per process. Thread-safe.
[[nodiscard]] std::string next_debate_id();

}  // namespace aragora::ids
