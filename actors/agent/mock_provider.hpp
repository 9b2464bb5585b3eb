#pragma once
// The deterministic mock provider: readable replies that mention the question, computed from
// (agent name, seed, call) alone, so the same seed gives the same transcript byte for byte.
// Styles follow the Python reference's styled mock (aragora-semantics §2).

#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include "actors/agent/mock_options.hpp"
#include "actors/agent/provider.hpp"
#include "actors/debate/types.hpp"

namespace aragora::debate {
class debate_machine;
}

namespace aragora::agent {

enum class mock_style : uint8_t { supportive, critical, balanced, contrarian };

[[nodiscard]] std::optional<mock_style> parse_style(std::string_view s);
[[nodiscard]] std::string_view to_string(mock_style s);

/// The reply of agent `call.key.agent` of `spec` (including a simulated failure at the fail
/// rate of `opts`). Pure: no clock, no global state.
[[nodiscard]] debate::call_outcome mock_reply(const debate::debate_spec& spec,
                                              const debate::call_request& call,
                                              const mock_options& opts = {});

/// Runs `m` from its start to its end with mock replies in call order, all at `now`: the
/// protocol alone, no actors or timers (benchmarks).
void run_with_mock(debate::debate_machine& m, debate::time_point now,
                   const mock_options& opts = {});

/// The mock behind the provider seam: replies after `latency_ms` on the scheduler it is given,
/// at once when the latency is 0. A call whose deadline comes before its latency is never
/// answered: the runner times it out, as it would a slow API. The latency is the same for every
/// call, so started steps come due in the order they started: they wait in a ring, oldest first,
/// and the steps coming due within one millisecond share a timer (not one timer per step). Runs on
/// its scheduler's thread only.
class mock_provider final : public provider {
public:
  mock_provider(mock_options opts, scheduler& sched);
  ~mock_provider() override;

  void start(std::span<provider_call> calls, const std::shared_ptr<call_sink>& sink) override;
  void cancel(call_id id, uint64_t tag) override;

  /// Calls waiting for their latency.
  [[nodiscard]] size_t pending() const { return live_; }

private:
  struct group {
    steady_clock::time_point due;
    std::vector<provider_call> calls;  // a cancelled call's id is 0
    std::shared_ptr<call_sink> sink;
    size_t live = 0;
  };
  struct timer {
    steady_clock::time_point at;
    scheduler::handle handle = 0;
  };

  void answer(provider_call& call, call_sink& sink) const;
  // Answers the steps due by `until`: those of the timer set for it, and any before.
  void due(steady_clock::time_point until);
  void grow();
  [[nodiscard]] group& at(size_t i) { return ring_[(head_ + i) & (ring_.size() - 1)]; }

  mock_options opts_;
  scheduler& sched_;
  std::vector<group> ring_;  // a power of two in size
  size_t head_ = 0;          // the oldest group
  size_t count_ = 0;
  uint64_t first_ = 1;       // the oldest group's number; a call's tag is (number << 16) | index
  size_t live_ = 0;
  std::deque<timer> timers_;  // earliest first, a millisecond apart at least
};

/// The providers of this build, the mock configured with `opts`.
[[nodiscard]] provider_catalog standard_providers(const mock_options& opts);

/// The pieces a streamed reply of `text` is delivered in: whole words, about 32 bytes each,
/// which concatenate to `text`.
[[nodiscard]] std::vector<std::string_view> delta_pieces(std::string_view text);

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
