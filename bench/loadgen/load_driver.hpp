#pragma once
// Keeps a number of debates in flight on a node and measures each as it ends.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/debate/types.hpp"
#include "bench/loadgen/histogram.hpp"

namespace aragora::node {
class local_node;
}

namespace aragora::loadgen {

struct load_plan {
  /// The template every debate copies; each gets its own id and seed (template seed + index).
  std::shared_ptr<const debate::debate_spec> spec;
  uint64_t debates = 1;
  uint32_t concurrent = 1;
  /// Sustained mode: keep `concurrent` in flight until this much time has passed; `debates` is
  /// ignored.
  std::optional<std::chrono::steady_clock::duration> duration;
};

/// Counters the driver updates as it goes, readable from any thread.
struct load_progress {
  std::atomic<uint64_t> finished{0};
  std::atomic<uint32_t> in_flight{0};
  /// Set from any thread: no more debates are launched (those in flight run on).
  std::atomic<bool> stop{false};
};

struct load_result {
  uint64_t completed = 0;  // ended with a decision (any status but failed or cancelled)
  uint64_t failed = 0;     // ended failed or cancelled
  uint64_t aborted = 0;    // of those, how many because their debate actor failed (an exception)
  std::string first_abort;  // why the first of them failed
  uint64_t consensus = 0;  // reached consensus
  uint64_t agent_calls = 0;
  uint64_t failed_calls = 0;
  uint32_t peak_in_flight = 0;
  std::chrono::steady_clock::duration wall{};
  latency_histogram latency;      // µs, start to end of each debate
  latency_histogram first_event;  // µs, start to the first agent message
};

/// Runs `plan` on `node` and returns once every debate it launched has ended. Blocks the calling
/// thread (which must not be a scheduler thread), calling `on_tick` every `tick` meanwhile.
[[nodiscard]] load_result run_load(node::local_node& node, const load_plan& plan,
                                   std::shared_ptr<load_progress> progress,
                                   const std::function<void()>& on_tick = {},
                                   std::chrono::milliseconds tick = std::chrono::milliseconds{100});

}  // namespace aragora::loadgen
