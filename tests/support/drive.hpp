#pragma once
// Runs a debate_machine to the end without actors: every pending call is answered by a provider
// function, optionally in a shuffled order, with a fake clock advancing 1 ms per reply.

#include <algorithm>
#include <functional>
#include <memory>
#include <random>

#include "actors/agent/mock_provider.hpp"
#include "actors/debate/machine.hpp"

namespace aragora::test {

using provider_fn = std::function<debate::call_outcome(const debate::debate_spec&,
                                                       const debate::call_request&)>;

inline debate::time_point fake_epoch() {
  return debate::time_point{std::chrono::seconds{1'764'201'600}};  // 2025-11-27T00:00:00Z
}

struct drive_options {
  uint64_t shuffle_seed = 0;  // 0 = answer in call order
  size_t max_steps = 10'000;
  // Let go of every published text at each step's end, as a summary-only debate does (once its
  // texts are stored, or at once when nothing stores them).
  bool release_texts = false;
};

/// Drives `m` until it finishes; returns every event it announced, in order.
inline std::vector<debate::event_ref> drive(debate::debate_machine& m, const provider_fn& provider,
                                            drive_options opts = {}) {
  std::vector<debate::event_ref> events;
  auto now = fake_epoch();
  auto tick = [&] { return now += std::chrono::milliseconds{1}; };
  auto r = m.start(tick());
  events.insert(events.end(), r.events.begin(), r.events.end());
  std::mt19937_64 rng(opts.shuffle_seed);
  for (size_t steps = 0; !m.finished() && steps < opts.max_steps; ++steps) {
    std::vector<debate::call_request> pending;
    for (size_t i = 0; i < m.calls().size(); ++i)
      if (m.pending(i)) pending.push_back(m.calls()[i]);
    if (opts.shuffle_seed != 0) std::shuffle(pending.begin(), pending.end(), rng);
    for (const auto& call : pending) {
      auto out = m.record(provider(m.spec(), call), tick());
      events.insert(events.end(), out.events.begin(), out.events.end());
      if (opts.release_texts && out.new_step && !m.finished()) m.release_texts(m.transcript().size());
      if (out.new_step || m.finished()) break;
    }
  }
  return events;
}

inline debate::call_outcome mock(const debate::debate_spec& spec, const debate::call_request& c) {
  return agent::mock_reply(spec, c);
}

/// The mock configured otherwise (its options are the node's, not the spec's).
inline provider_fn mock_with(agent::mock_options opts) {
  return [opts](const debate::debate_spec& spec, const debate::call_request& c) {
    return agent::mock_reply(spec, c, opts);
  };
}

inline agent::mock_options failing(double fail_rate) {
  agent::mock_options o;
  o.fail_rate = fail_rate;
  return o;
}

inline agent::mock_options sized(uint32_t message_bytes) {
  agent::mock_options o;
  o.message_bytes = message_bytes;
  return o;
}

/// The three mock agents most tests debate with.
inline std::vector<debate::agent_spec> default_agents() {
  return {{"supportive", "mock", "supportive"},
          {"critical", "mock", "critical"},
          {"balanced", "mock", "balanced"}};
}

inline std::shared_ptr<const debate::debate_spec> make_spec(
    std::function<void(debate::debate_spec&)> edit = {}) {
  debate::debate_spec s;
  s.id = "0000000000000001";
  s.question = "Should we adopt Kubernetes?";
  s.agents = default_agents();
  s.early_stop = false;
  if (edit) edit(s);
  return std::make_shared<const debate::debate_spec>(std::move(s));
}

}  // namespace aragora::test
