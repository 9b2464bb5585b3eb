#pragma once
// The deterministic mock provider: readable replies that mention the question, computed from
// (agent name, seed, call) alone, so the same seed gives the same transcript byte for byte.
// Styles follow the Python reference's styled mock (aragora-semantics §2).

#include <optional>
#include <string_view>

#include "actors/debate/types.hpp"

namespace aragora::debate {
class debate_machine;
}

namespace aragora::agent {

enum class mock_style : uint8_t { supportive, critical, balanced, contrarian };

[[nodiscard]] std::optional<mock_style> parse_style(std::string_view s);
[[nodiscard]] std::string_view to_string(mock_style s);

/// The reply of agent `call.key.agent` of `spec` (including a simulated failure at the spec's
/// fail rate). Pure: no clock, no global state.
[[nodiscard]] debate::call_outcome mock_reply(const debate::debate_spec& spec,
                                              const debate::call_request& call);

/// Runs `m` from its start to its end with mock replies in call order, all at `now`: the
/// protocol alone, no actors or timers (benchmarks).
void run_with_mock(debate::debate_machine& m, debate::time_point now);

/// Small, fast, seedable PRNG (splitmix64).
class splitmix64 {
public:
  explicit splitmix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [0, n).
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }

private:
  uint64_t state_;
};

[[nodiscard]] uint64_t fnv1a(std::string_view s);

}  // namespace aragora::agent
