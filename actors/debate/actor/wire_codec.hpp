#pragma once
// Conversions between the debate's plain types and the node-crossing messages of
// net/proto/aragora/v1/wire.proto. Pure. What comes from the wire is a peer's word: every index
// is checked before it becomes a uint8_t, and a message that does not fit is refused with a
// stable code, never truncated or trusted.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "actors/debate/actor/messages.hpp"
#include "actors/debate/types.hpp"
#include "aragora/v1/wire.pb.h"

namespace aragora::debate {

/// Why a wire message cannot become the internal type. Stable codes.
enum class decode_errc : uint8_t {
  bad_phase = 1,       // unset or unknown phase
  index_out_of_range,  // a round, agent or target that does not fit (or names no agent)
  bad_reference,       // an index into a text or list table that is not there
  unknown_error_code,  // a call error code this build does not know
  bad_status,          // unset or unknown debate status
  bad_spec,            // the debate spec fails validation
  debate_id_mismatch,  // the message names another debate than its spec
};

[[nodiscard]] std::string_view to_string(decode_errc x);

using decode_error = error<decode_errc>;

template <class T>
using decoded = expected<T, decode_errc>;

// -- calls --------------------------------------------------------------------------------------

[[nodiscard]] v1::CallKey to_proto(const call_key& key);
[[nodiscard]] decoded<call_key> from_proto(const v1::CallKey& key);

/// Writes `calls` into `out` (its calls and text / list tables; debate_id and spec are the
/// caller's). A text or list several calls share is written once.
void add_calls(std::span<const call_request> calls, v1::AgentCalls& out);

/// The calls of `in`, sharing texts and lists as the sender shared them. Every agent index must
/// be below `agent_count` (the spec's agents).
[[nodiscard]] decoded<std::vector<call_request>> calls_from_proto(const v1::AgentCalls& in,
                                                                  size_t agent_count);

// -- outcomes ------------------------------------------------------------------------------------

[[nodiscard]] v1::AgentOutcome to_proto(const call_outcome& outcome);
[[nodiscard]] decoded<call_outcome> from_proto(const v1::AgentOutcome& outcome);

[[nodiscard]] v1::AgentOutcomes to_proto(std::string_view debate_id,
                                         std::span<const call_outcome> outcomes);
[[nodiscard]] decoded<std::vector<call_outcome>> from_proto(const v1::AgentOutcomes& outcomes);

// -- the finished debate ---------------------------------------------------------------------------

[[nodiscard]] v1::SealedReceipt to_proto(const sealed_receipt& receipt);
[[nodiscard]] sealed_receipt from_proto(const v1::SealedReceipt& receipt);

/// The report of a finished debate; with its machine (finish_report::full), the whole result.
[[nodiscard]] v1::DebateReport to_proto(const debate_finished& finished);
/// The report as the owner's message, without the machine (it stays where the debate ran): a full
/// report's result is in `report.result()`.
[[nodiscard]] decoded<debate_finished> from_proto(const v1::DebateReport& report);

}  // namespace aragora::debate
