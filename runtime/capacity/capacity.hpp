#pragma once
// Memory admission: how much memory the node lets its debates use, and how much one debate is
// estimated to need. The CLI (ask, benchmark) and the HTTP API admit debates by these numbers,
// so a request for a million concurrent debates, or for one debate of 16 agents exchanging
// 16 MiB texts, is refused or scaled down up front instead of ending in std::bad_alloc.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/debate/types.hpp"
#include "runtime/config/config.hpp"

namespace aragora::capacity {

/// The most agent calls a debate of this spec can make (every round run, every judge tried).
[[nodiscard]] uint64_t max_agent_calls(const debate::debate_spec& spec);

/// Estimated peak memory of one debate, in bytes. Deliberately pessimistic (about 2-4x the RSS
/// growth bench/RESULTS.md measures per in-flight debate): it guards against exhaustion, it does
/// not plan capacity.
struct footprint {
  uint64_t running = 0;  // while it runs: bookkeeping, transcript, the copies of a step in flight
  uint64_t result = 0;   // in addition, while its whole result is built and encoded (ask)
};

/// How long a debate holds its texts: all of them until it ends (its owner takes the whole result),
/// or step by step (a summary-only debate lets go of each step's texts once they are published
/// and stored: the benchmark's), keeping a round's worth, the last proposals and every vote.
enum class text_hold : uint8_t { whole_debate, step_by_step };

/// `message_bytes` is the size of each text the node's providers write (the mock's
/// message_bytes), 0 for their natural length.
[[nodiscard]] footprint estimate_footprint(const debate::debate_spec& spec, uint32_t message_bytes,
                                           text_hold hold = text_hold::whole_debate);

/// What the machine offers this process, in bytes; unset when it cannot be read or is unlimited.
struct machine_memory {
  std::optional<uint64_t> available;        // MemAvailable (/proc/meminfo)
  std::optional<uint64_t> cgroup_headroom;  // memory.max - memory.current (cgroup v2)
  std::optional<uint64_t> rlimit_headroom;  // RLIMIT_AS - VmSize, RLIMIT_DATA - VmData (ulimit -v/-d)
};

[[nodiscard]] machine_memory read_machine_memory();

/// A "Key:   123 kB" field of /proc/meminfo or /proc/self/status, in bytes.
[[nodiscard]] std::optional<uint64_t> kb_field(std::string_view text, std::string_view key);

/// `configured` bytes when non-zero; otherwise `fraction` of the smallest headroom the machine
/// reports; otherwise defaults::fallback_memory_budget_mb.
[[nodiscard]] uint64_t memory_budget(uint64_t configured, double fraction,
                                     const machine_memory& machine);

/// The node's budget (runtime.memory_budget_mb / runtime.memory_budget_fraction); reads the
/// machine when the budget is not configured.
[[nodiscard]] uint64_t memory_budget(const config::node_config& cfg);

/// How many debates of `per_debate` bytes fit in `budget` at once (0: not even one).
[[nodiscard]] uint64_t debates_that_fit(uint64_t budget, uint64_t per_debate);

/// "12.5 MiB", for messages.
[[nodiscard]] std::string mib_text(uint64_t bytes);

}  // namespace aragora::capacity
