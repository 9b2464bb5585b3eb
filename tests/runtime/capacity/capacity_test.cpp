#include "runtime/capacity/capacity.hpp"

#include <gtest/gtest.h>

#include "actors/agent/mock_provider.hpp"
#include "actors/debate/machine.hpp"
#include "runtime/base/defaults.hpp"

namespace aragora::capacity {
namespace {

debate::debate_spec spec_of(size_t agents, uint32_t rounds,
                            debate::protocol_kind protocol = debate::protocol_kind::lite) {
  debate::debate_spec s;
  s.id = "capacity-test";
  s.question = "Should we adopt Kubernetes for our internal services?";
  for (size_t i = 0; i < agents; ++i)
    s.agents.push_back({"a" + std::to_string(i), "mock",
                        std::string{agent::to_string(static_cast<agent::mock_style>(i % 4))}});
  s.rounds = rounds;
  s.protocol = protocol;
  s.consensus = debate::default_consensus(protocol);
  s.early_stop = false;
  return s;
}

/// Runs the spec with the mock provider writing texts of `message_bytes` (0 = natural); the
/// texts its transcript holds at the end, in bytes.
std::pair<uint64_t, uint64_t> run(const debate::debate_spec& s, uint32_t message_bytes = 0) {
  debate::debate_machine m(std::make_shared<const debate::debate_spec>(s));
  agent::mock_options mock;
  mock.message_bytes = message_bytes;
  agent::run_with_mock(m, std::chrono::system_clock::now(), mock);
  uint64_t bytes = 0;
  for (const auto& e : m.transcript()) bytes += e.text ? e.text->size() : 0;
  return {m.agent_calls(), bytes};
}

TEST(Capacity, CallCountsBoundWhatDebatesMake) {
  using debate::protocol_kind;
  for (auto protocol : {protocol_kind::lite, protocol_kind::full})
    for (size_t n : {2, 3, 5, 16})
      for (uint32_t r : {1u, 3u}) {
        auto s = spec_of(n, r, protocol);
        auto [calls, bytes] = run(s);
        EXPECT_LE(calls, max_agent_calls(s)) << n << " agents, " << r << " rounds";
        // Judges may stop early; without them the bound is exact.
        if (protocol == protocol_kind::lite) {
          EXPECT_EQ(calls, max_agent_calls(s));
        }
      }
  EXPECT_EQ(max_agent_calls(spec_of(3, 2)), 24u);  // bench/RESULTS.md workload W
  EXPECT_EQ(max_agent_calls(spec_of(3, 2, debate::protocol_kind::full)), 3u + 2 * 9 + 3 + 3);
}

TEST(Capacity, TheFootprintCoversTheTextsADebateHolds) {
  for (uint32_t bytes : {0u, 256u, 2048u, 65536u}) {
    auto s = spec_of(4, 3);
    // Long question and context: natural-length texts quote them.
    s.question = std::string(5000, 'q') + "?";
    s.context = std::string(20000, 'c');
    auto [calls, text] = run(s, bytes);
    auto f = estimate_footprint(s, bytes);
    EXPECT_GE(f.running, 2 * text) << bytes;
    EXPECT_GE(f.result, 3 * text) << bytes;
  }
}

TEST(Capacity, TheFootprintGrowsWithAgentsRoundsAndTextsAndNeverOverflows) {
  auto base = estimate_footprint(spec_of(3, 2), 2048).running;
  EXPECT_GT(estimate_footprint(spec_of(4, 2), 2048).running, base);
  EXPECT_GT(estimate_footprint(spec_of(3, 3), 2048).running, base);
  EXPECT_GT(estimate_footprint(spec_of(3, 2), 4096).running, base);
  // Workload W measured 53-60 KB per in-flight debate: the estimate is pessimistic, not absurd.
  EXPECT_GE(base, 60u * 1024);
  EXPECT_LE(base, 400u * 1024);
  // 16 agents x 16 MiB texts x 12 rounds: about 50 GiB of texts.
  auto worst = estimate_footprint(spec_of(16, 12), defaults::max_mock_message_bytes);
  EXPECT_GT(worst.running, uint64_t{100} << 30);
  EXPECT_LT(worst.running, UINT64_MAX / 2);
}

TEST(Capacity, AStepByStepDebatesFootprintCoversTheTextsItHoldsAtAnyStep) {
  // A summary-only debate lets go of each step's texts once published (the benchmark's): at any
  // step it holds what its transcript still has plus its proposals, current and previous.
  using debate::protocol_kind;
  for (auto protocol : {protocol_kind::lite, protocol_kind::full})
    for (size_t n : {2, 3, 5})
      for (uint32_t r : {1u, 2u, 4u}) {
        auto s = spec_of(n, r, protocol);
        const uint32_t bytes = 2048;
        debate::debate_machine m(std::make_shared<const debate::debate_spec>(s));
        agent::mock_options mock;
        mock.message_bytes = bytes;
        auto now = std::chrono::system_clock::now();
        (void)m.start(now);
        uint64_t most = 0;
        while (!m.finished()) {
          for (size_t i = 0; i < m.calls().size() && !m.finished(); ++i) {
            if (!m.pending(i)) continue;
            auto out = m.record(agent::mock_reply(m.spec(), m.calls()[i], mock), now);
            uint64_t held = 0;
            for (const auto& e : m.transcript()) held += e.text ? e.text->size() : 0;
            most = std::max(most, held + 2 * n * bytes);
            if (out.new_step) {
              m.release_texts(m.transcript().size());
              break;
            }
          }
        }
        auto step = estimate_footprint(s, bytes, text_hold::step_by_step).running;
        EXPECT_GE(step, most) << n << " agents, " << r << " rounds";
        EXPECT_LE(step, estimate_footprint(s, bytes).running);
      }
  // Workload W: measured 34-38 KB per in-flight debate in memory (bench/RESULTS.md, issue 12).
  auto w = estimate_footprint(spec_of(3, 2), 2048, text_hold::step_by_step).running;
  EXPECT_GE(w, 50u * 1024);
  EXPECT_LT(w, estimate_footprint(spec_of(3, 2), 2048).running);
}

TEST(Capacity, MeminfoFieldsAreReadInBytes) {
  const std::string meminfo =
      "MemTotal:       24578920 kB\nMemFree:        23000000 kB\nMemAvailable:   22000000 kB\n";
  EXPECT_EQ(kb_field(meminfo, "MemAvailable"), uint64_t{22000000} * 1024);
  EXPECT_EQ(kb_field(meminfo, "MemTotal"), uint64_t{24578920} * 1024);
  EXPECT_EQ(kb_field(meminfo, "Mem"), std::nullopt);
  EXPECT_EQ(kb_field(meminfo, "SwapTotal"), std::nullopt);
  EXPECT_EQ(kb_field("VmSize:\t  1234 kB", "VmSize"), uint64_t{1234} * 1024);
  EXPECT_EQ(kb_field("VmSize: lots", "VmSize"), std::nullopt);
  EXPECT_EQ(kb_field("VmSize: 99999999999999999999999 kB", "VmSize"), std::nullopt);
}

TEST(Capacity, TheBudgetIsAFractionOfTheSmallestHeadroom) {
  constexpr uint64_t gib = uint64_t{1} << 30;
  machine_memory m;
  m.available = 20 * gib;
  EXPECT_EQ(memory_budget(0, 0.5, m), 10 * gib);
  m.cgroup_headroom = 4 * gib;  // a container limit
  EXPECT_EQ(memory_budget(0, 0.5, m), 2 * gib);
  m.rlimit_headroom = 2 * gib;  // ulimit -v
  EXPECT_EQ(memory_budget(0, 0.25, m), gib / 2);
  EXPECT_EQ(memory_budget(3 * gib, 0.5, m), 3 * gib) << "a configured budget wins";
  EXPECT_EQ(memory_budget(0, 0.5, machine_memory{}), defaults::fallback_memory_budget_mb << 20);
  // This machine: something readable and non-zero.
  config::node_config cfg;
  EXPECT_GT(memory_budget(cfg), 0u);
  cfg.memory_budget_bytes = 123 << 20;
  EXPECT_EQ(memory_budget(cfg), uint64_t{123} << 20);
}

TEST(Capacity, DebatesThatFit) {
  EXPECT_EQ(debates_that_fit(1000, 100), 10u);
  EXPECT_EQ(debates_that_fit(99, 100), 0u);
  EXPECT_EQ(debates_that_fit(1000, 0), UINT64_MAX);
  EXPECT_EQ(mib_text(3 << 20), "3.0 MiB");
}

}  // namespace
}  // namespace aragora::capacity
