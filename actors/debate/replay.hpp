#pragma once
// Event sourcing: a debate's state is a fold over its persisted events. Replaying the outcome
// events (messages, votes, failures, a cancellation) through a fresh machine rebuilds the state
// it had when the last of them was persisted; the events it derives itself (round starts,
// consensus and convergence checks, the end) must come out with the same sequence numbers, or
// the log is refused.

#include <memory>
#include <span>
#include <string>
#include <variant>

#include "actors/debate/machine.hpp"
#include "aragora/v1/debate.pb.h"

namespace aragora::debate {

/// The machine after `events` (in sequence order), or why the log cannot be replayed.
[[nodiscard]] std::variant<std::unique_ptr<debate_machine>, std::string> replay(
    std::shared_ptr<const debate_spec> spec, const machine_options& options,
    std::span<const v1::Event> events);

}  // namespace aragora::debate
