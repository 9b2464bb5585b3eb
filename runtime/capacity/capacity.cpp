#include "runtime/capacity/capacity.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "runtime/base/defaults.hpp"

namespace aragora::capacity {

namespace {

// Per-debate bookkeeping: the actor, the machine, spec copy, receipt, registry entries. Measured
// at ~14 KB in memory and ~17 KB durable (bench/RESULTS.md, targets 3a-3c); doubled.
constexpr uint64_t base_bytes = 32 * 1024;
// Per call: transcript entry, request, outcome, event reference, digest.
constexpr uint64_t per_call_bytes = 512;
// A mock text at its natural length (message_bytes 0) quotes the question and the context, cut
// to 80 and 160 bytes, around a few sentences: under 1 KiB (tests/runtime/capacity checks it).
constexpr uint64_t natural_text_bytes = 1024;
// A text lives in the transcript, and again in the step's outcome batch, events and write batch.
constexpr uint64_t running_copies = 2;
// A full result holds every text again in the DebateResult, once in its JSON and once in the
// JSON printer's buffer.
constexpr uint64_t result_copies = 3;

uint64_t saturating_mul(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a) return UINT64_MAX;
  return a * b;
}

uint64_t saturating_add(uint64_t a, uint64_t b) {
  return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

std::optional<std::string> slurp(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<uint64_t> number_file(const char* path) {
  auto text = slurp(path);
  if (!text) return std::nullopt;
  unsigned long long v = 0;
  if (std::sscanf(text->c_str(), "%llu", &v) != 1) return std::nullopt;  // "max": unlimited
  return static_cast<uint64_t>(v);
}

std::optional<uint64_t> rlimit_headroom(int resource, std::optional<uint64_t> used) {
  rlimit lim{};
  if (getrlimit(resource, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return std::nullopt;
  auto limit = static_cast<uint64_t>(lim.rlim_cur);
  auto u = used.value_or(0);
  return limit > u ? limit - u : 0;
}

std::optional<uint64_t> smaller(std::optional<uint64_t> a, std::optional<uint64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

uint64_t max_agent_calls(const debate::debate_spec& spec) {
  uint64_t n = spec.agents.size();
  uint64_t r = spec.rounds;
  uint64_t judges = spec.consensus == debate::consensus_method::judge
                        ? std::min<uint64_t>(n, std::max<uint32_t>(spec.max_judges, 1))
                        : 0;
  uint64_t critiques = n * (n > 0 ? n - 1 : 0);
  if (spec.protocol == debate::protocol_kind::full)
    return n + r * (critiques + n) + n + judges;  // propose once; critique, revise; vote
  return r * (n + critiques + n) + judges;        // propose, critique, vote per round
}

footprint estimate_footprint(const debate::debate_spec& spec, uint32_t message_bytes, text_hold hold) {
  uint64_t calls = max_agent_calls(spec);
  uint64_t text = message_bytes > 0 ? message_bytes : natural_text_bytes;
  uint64_t spec_bytes = spec.question.size() + spec.context.size() + spec.domain.size();
  // Texts held at once, each with its copies in flight: every one, or step by step a round's
  // calls (the widest stretch between two releases is one round), the proposals of the round
  // before (convergence), every vote (dissent) and one step's copies on their way.
  uint64_t held = saturating_mul(calls, running_copies);
  if (hold == text_hold::step_by_step) {
    uint64_t n = spec.agents.size();
    uint64_t per_round = n + n * (n > 0 ? n - 1 : 0) + n;
    uint64_t widest_step = std::max<uint64_t>(n * (n > 0 ? n - 1 : 0), n);
    held = std::min(held, per_round + n + n * spec.rounds + widest_step + 1);  // + 1: a judge's
  }
  footprint f;
  f.running = saturating_add(base_bytes + spec_bytes,
                             saturating_add(saturating_mul(calls, per_call_bytes), saturating_mul(held, text)));
  f.result = saturating_mul(calls, saturating_mul(text, result_copies));
  return f;
}

std::optional<uint64_t> kb_field(std::string_view text, std::string_view key) {
  for (size_t pos = 0; pos < text.size();) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ':')
      continue;
    auto rest = line.substr(key.size() + 1);
    auto digits = rest.find_first_not_of(" \t");
    if (digits == std::string_view::npos) return std::nullopt;
    uint64_t v = 0;
    size_t i = digits;
    for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i) {
      if (v > (UINT64_MAX >> 10) / 10) return std::nullopt;
      v = v * 10 + static_cast<uint64_t>(rest[i] - '0');
    }
    if (i == digits) return std::nullopt;
    return v << 10;  // kB
  }
  return std::nullopt;
}

machine_memory read_machine_memory() {
  machine_memory m;
  if (auto meminfo = slurp("/proc/meminfo")) m.available = kb_field(*meminfo, "MemAvailable");
  auto max = number_file("/sys/fs/cgroup/memory.max");
  auto current = number_file("/sys/fs/cgroup/memory.current");
  if (max && current) m.cgroup_headroom = *max > *current ? *max - *current : 0;
  std::optional<uint64_t> vm_size, vm_data;
  if (auto status = slurp("/proc/self/status")) {
    vm_size = kb_field(*status, "VmSize");
    vm_data = kb_field(*status, "VmData");
  }
  m.rlimit_headroom =
      smaller(rlimit_headroom(RLIMIT_AS, vm_size), rlimit_headroom(RLIMIT_DATA, vm_data));
  return m;
}

uint64_t memory_budget(uint64_t configured, double fraction, const machine_memory& machine) {
  if (configured > 0) return configured;
  auto headroom = smaller(smaller(machine.available, machine.cgroup_headroom),
                          machine.rlimit_headroom);
  if (!headroom) return defaults::fallback_memory_budget_mb << 20;
  if (!(fraction > 0.0 && fraction <= 1.0)) fraction = defaults::memory_budget_fraction;
  return static_cast<uint64_t>(std::floor(static_cast<double>(*headroom) * fraction));
}

uint64_t memory_budget(const config::node_config& cfg) {
  if (cfg.memory_budget_bytes > 0) return cfg.memory_budget_bytes;
  return memory_budget(0, cfg.memory_budget_fraction, read_machine_memory());
}

uint64_t debates_that_fit(uint64_t budget, uint64_t per_debate) {
  if (per_debate == 0) return UINT64_MAX;
  return budget / per_debate;
}

std::string mib_text(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace aragora::capacity
