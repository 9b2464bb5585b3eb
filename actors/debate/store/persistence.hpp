#pragma once
// How debates live in the store: the `debates` record (spec, status, receipt) and the event log
// in `debate_events` (key: debate id, '/', big-endian sequence number). One debate step is one
// write batch: its events and, at the start and the end, the debate record.
//
// The load functions read the disk: call them off CAF scheduler threads.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "actors/debate/machine.hpp"
#include "aragora/v1/debate.pb.h"
#include "storage/store.hpp"

namespace aragora::debate {

[[nodiscard]] std::string event_key(std::string_view debate_id, uint32_t seq);
[[nodiscard]] std::string events_prefix(std::string_view debate_id);

/// Appends the events to the batch (`expiry_s` from the debates retention).
void add_events(storage::write_batch& batch, const debate_machine& m,
                std::span<const event_ref> events, int64_t expiry_s);

/// The debate's record as it stands; `receipt` once it is finished.
[[nodiscard]] v1::DebateRecord record_of(const debate_machine& m, const v1::Receipt* receipt);

/// Appends the record and its list index entries (list_index.hpp): kept while running, the
/// debates retention from its end on.
void add_record(storage::write_batch& batch, const v1::DebateRecord& record,
                const storage::store& db);

/// The consensus record of a finished debate that decided something (nullopt for failed,
/// cancelled or insufficient participation).
[[nodiscard]] std::optional<v1::ConsensusRecord> consensus_of(const debate_machine& m);
[[nodiscard]] std::string consensus_strength(double confidence);
/// 16 hex of SHA-256 over the sorted unique lower-cased words of a topic.
[[nodiscard]] std::string topic_hash(std::string_view topic);
void add_consensus(storage::write_batch& batch, const debate_machine& m, const storage::store& db);

/// Appends an entry to the audit log (key: big-endian microseconds, debate id, action).
void add_audit(storage::write_batch& batch, const storage::store& db, time_point at,
               std::string_view actor, std::string_view action, std::string_view debate_id,
               std::string_view detail);
[[nodiscard]] storage::result<std::vector<v1::AuditEntry>> load_audit(storage::store& db);

struct stored_debate {
  v1::DebateRecord record;
  std::vector<v1::Event> events;
};

/// The record and event log of one debate; nullopt when there is none.
[[nodiscard]] storage::result<std::optional<stored_debate>> load_debate(storage::store& db,
                                                                        std::string_view id);

/// The record of one debate, without its events; nullopt when there is none.
[[nodiscard]] storage::result<std::optional<v1::DebateRecord>> load_record(storage::store& db,
                                                                           std::string_view id);

/// Every debate record, oldest first (ids sort by creation time).
[[nodiscard]] storage::result<std::vector<v1::DebateRecord>> load_records(storage::store& db);

/// Every readable debate record into `out`, oldest first, even when the scan then fails (a
/// damaged block) or meets records that do not parse (counted in `report`); the error says why
/// `out` may be incomplete.
[[nodiscard]] std::optional<storage::store_error> load_records(storage::store& db,
                                                               std::vector<v1::DebateRecord>& out,
                                                               storage::scan_report& report);

/// The finished debates a consumer has not taken in yet: those without a `<marker_prefix><id>`
/// key in `marker_family`. Records with a marker are skipped unparsed.
[[nodiscard]] storage::result<std::vector<v1::DebateRecord>> finished_without_marker(
    storage::store& db, storage::cf marker_family, std::string_view marker_prefix);

/// The machine a stored debate's log rebuilds.
[[nodiscard]] std::variant<std::unique_ptr<debate_machine>, std::string> rebuild(
    const stored_debate& d, const machine_options& options);

}  // namespace aragora::debate
