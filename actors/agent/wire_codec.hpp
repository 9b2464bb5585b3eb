#pragma once
// A debate step's agent calls and their outcomes <-> the AgentCalls / AgentOutcomes messages of
// wire.proto, for agent actors on another node. Pure; what comes from the wire is checked
// (actors/debate/actor/wire_codec.hpp), the spec too: a provider indexes its agents by the call's.

#include <string_view>

#include "actors/agent/agent_actor.hpp"
#include "actors/debate/actor/wire_codec.hpp"

namespace aragora::agent {

/// The step's calls with the spec the providers need (debate_id = the spec's id).
[[nodiscard]] v1::AgentCalls to_proto(const agent_calls& calls);
/// Refused (bad_spec) when the spec fails debate::validate, (debate_id_mismatch) when it is not
/// the named debate's, and as calls_from_proto refuses calls.
[[nodiscard]] debate::decoded<agent_calls> from_proto(const v1::AgentCalls& calls);

[[nodiscard]] v1::AgentOutcomes to_proto(std::string_view debate_id,
                                         const debate::call_outcomes& outcomes);
[[nodiscard]] debate::decoded<debate::call_outcomes> outcomes_from_proto(
    const v1::AgentOutcomes& outcomes);

}  // namespace aragora::agent
