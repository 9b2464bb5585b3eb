#pragma once
// Conversions between the debate's plain types and the protobuf schema (net/proto).

#include <optional>
#include <string>

#include "actors/debate/canonical.hpp"
#include "actors/debate/machine.hpp"
#include "aragora/v1/debate.pb.h"

namespace aragora::debate {

[[nodiscard]] google::protobuf::Timestamp to_timestamp(time_point t);
[[nodiscard]] time_point from_timestamp(const google::protobuf::Timestamp& t);
/// Microseconds since the epoch, without a detour through time_point (whose nanoseconds end in
/// 2262); wraps instead of overflowing for seconds outside the Timestamp range.
[[nodiscard]] int64_t timestamp_micros(const google::protobuf::Timestamp& t);

[[nodiscard]] v1::DebateSpec to_proto(const debate_spec& spec);
[[nodiscard]] debate_spec from_proto(const v1::DebateSpec& spec);
[[nodiscard]] v1::RuleOptions to_proto(const machine_options& rules);
[[nodiscard]] machine_options from_proto(const v1::RuleOptions& rules);

/// A critique's issues as the machine keeps them: one per line.
[[nodiscard]] std::string join_issues(const google::protobuf::RepeatedPtrField<std::string>& issues);

/// The digested fields of a stored or transmitted message; `issues` is join_issues of its
/// critique and must outlive the result.
[[nodiscard]] message_fields fields_of(const v1::Message& m, std::string_view issues);

/// The result of a finished (or, for status queries, running) debate; the transcript in
/// canonical order.
void fill_result(const debate_machine& m, const sealed_receipt* receipt, v1::DebateResult& out);

/// The full content of one event the machine announced.
void fill_event(const debate_machine& m, const event_ref& e, v1::Event& out);

/// JSON with proto field names and every field present (DESIGN: one schema, two encodings).
[[nodiscard]] std::string to_json(const google::protobuf::Message& msg, bool pretty = false);

/// Parses the JSON mapping; nullopt-equivalent is signalled by returning false with `error` set.
[[nodiscard]] bool from_json(const std::string& json, google::protobuf::Message& out,
                             std::string& error);

}  // namespace aragora::debate
