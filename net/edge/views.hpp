#pragma once
// The JSON the edge sends, built from the stored protobuf records: the shapes the aragora clients
// read (client-contract §3 and §5) with our own fields beside them. Pure: tests pin the keys.

#include <cstdint>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aragora/v1/debate.pb.h"
#include "net/edge/api_error.hpp"

namespace aragora::edge {

/// "2026-11-30T12:00:00.123Z".
[[nodiscard]] std::string iso8601(const google::protobuf::Timestamp& t);
/// The clients' status vocabulary: running, completed (any decision), failed, cancelled.
[[nodiscard]] std::string_view sdk_status(v1::Status::Value s);
/// proposer, critic, reviser, voter, judge.
[[nodiscard]] std::string_view role_of(v1::Phase::Value p);
/// APPROVED, APPROVED_WITH_CONDITIONS, NEEDS_REVIEW, REJECTED ("" when unset).
[[nodiscard]] std::string verdict_name(v1::Verdict::Value v);

/// `{"error": message, "code": CODE}`, and `retry_after` when given (the TypeScript client reads
/// it from the body).
[[nodiscard]] std::string error_body(const api_error& e, std::optional<uint32_t> retry_after_s = {});

/// The reply to a create: debate_id (what clients require), id, status "created", task, agents.
[[nodiscard]] std::string created_body(const v1::DebateSpec& spec, std::string_view ws_url);

/// A debate as GET /debates/{id} answers (running or finished), with its messages.
[[nodiscard]] std::string debate_body(const v1::DebateResult& r, const v1::DebateRecord& record);
/// A debate's entry in a list: one JSON object, rendered from its record.
[[nodiscard]] std::string summary_json(const v1::DebateRecord& record);
/// A page of the list, from its entries as summary_json rendered them.
[[nodiscard]] std::string list_body(const std::vector<std::shared_ptr<const std::string>>& rows,
                                    uint32_t limit, uint64_t offset, bool more,
                                    std::string_view status);
[[nodiscard]] std::string messages_body(const v1::DebateResult& r);

/// What an event's frame needs beyond the event: the spec's round count, for consensus and
/// debate_end the answer (answer_tracker::answer_for), for debate_end the receipt id.
struct frame_context {
  uint32_t total_rounds = 0;
  std::string receipt_id;
  std::string final_answer;
};

/// Follows a debate's events to know what debate_end reports as its answer: the judge's synthesis,
/// else the winner's last proposal or revision.
class answer_tracker {
public:
  void see(const v1::Event& e);
  [[nodiscard]] std::string answer(std::string_view winner) const;
  /// The answer a consensus check (when reached) or a debate_end reports; "" for other events.
  [[nodiscard]] std::string answer_for(const v1::Event& e) const;

private:
  std::unordered_map<std::string, std::string> latest_;  // agent -> last proposal or revision
  std::string judged_;
};

/// One debate event as a WebSocket text frame (and an element of /events): one JSON object with
/// type, seq, debate_id, loop_id, timestamp (epoch seconds), round, agent and `data` (always an
/// object, repeating debate_id, round and agent).
[[nodiscard]] std::string event_frame(const v1::Event& e, const frame_context& ctx);

/// The binary subprotocol's forms (`Sec-WebSocket-Protocol: aragora.v1.protobuf`, for the C++
/// client library): each frame is one serialized v1::Envelope (wire.proto).
inline constexpr std::string_view binary_subprotocol = "aragora.v1.protobuf";
/// Envelope{event}: the event as stored, nothing added.
[[nodiscard]] std::string binary_event_frame(const v1::Event& e);
/// Envelope{subscribed}: a subscription began; `last_seq` the newest event then.
[[nodiscard]] std::string binary_subscribed_frame(const std::string& debate_id, uint32_t last_seq);
/// Envelope{error}: a stream that cannot be followed (an unknown debate).
[[nodiscard]] std::string binary_error_frame(std::string_view code, std::string_view message,
                                             std::string_view debate_id = {});
/// Envelope{notice}: a live-only notice (node_down) about a debate; `data_json` as the text
/// form's `data`.
[[nodiscard]] std::string binary_notice_frame(std::string_view kind, std::string_view debate_id,
                                              std::string_view data_json);
/// The frames' type names: debate_start, round_start, agent_message, critique, vote, consensus,
/// convergence, agent_error, token_delta, debate_end.
[[nodiscard]] std::string_view event_type_name(v1::EventType::Value t);

/// `{"events": [frames...], "next_seq": n, "debate_id": id}`; the frames are JSON objects.
[[nodiscard]] std::string events_body(std::string_view debate_id,
                                      const std::vector<std::string>& frames, uint32_t next_seq);

/// A control frame (not a debate event, no seq): `{"type": t, "data": {...}}`; `data_json` is a
/// JSON object.
[[nodiscard]] std::string control_frame(std::string_view type, std::string_view data_json,
                                        std::string_view debate_id = {});

/// GET /api/v2/receipts/{id}: the clients' keys (client-contract §3) and our receipt in full
/// under "receipt".
[[nodiscard]] std::string receipt_body(const v1::Receipt& r);
/// GET /leaderboard: "rankings" and "agents" (the same array), highest rating first.
struct cluster_view;
/// GET /api/v1/cluster/nodes: {"nodes": [{name, roles, status, address, debates_in_flight,
/// calls_pending, last_heartbeat (ISO 8601 or null)}], "orphans"}; `now_ms` is the wall clock.
[[nodiscard]] std::string cluster_body(const cluster_view& view, int64_t now_ms);

/// GET /api/v1/cluster/breakers: {"breakers": [{node, name, kind, state, up, restarts,
/// times_opened}], "open": n} (n: how many are not closed).
struct breaker_status;
[[nodiscard]] std::string breakers_body(const std::vector<breaker_status>& breakers);
/// POST /api/v1/admin/compact: {"success": true, "node", "ms", "sst_bytes_before", "sst_bytes_after"}.
struct compact_report;
[[nodiscard]] std::string compact_body(const compact_report& r);
struct backup_report;
[[nodiscard]] std::string backup_body(const backup_report& r);
struct storage_report;
[[nodiscard]] std::string storage_body(const storage_report& r);

[[nodiscard]] std::string leaderboard_body(const v1::Leaderboard& board, size_t limit);

}  // namespace aragora::edge
