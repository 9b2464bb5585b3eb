#pragma once
// The list of stored debates, newest first, a page at a time (`aragora list`, and the edge's
// GET /api/v1/debates), read from an index instead of every record.
//
// The index lives in the `debate_index` family (schema 2), written in the same batch as the
// debate record it points to and expiring with it:
//
//   "time/"             + big-endian creation ms + id   every debate
//   "status/<status>/"  + big-endian creation ms + id   the debates of one list status
//
// Keyed by creation time, not by id, so the order holds whatever the id format. A status entry
// moves when the status does: a finished record's batch deletes its `running` entry. The values
// are empty records whose header carries the record's expiry, so reads skip an expired entry as
// they skip its record, and compaction drops both.
//
// Everything here reads or writes the disk: call it off CAF scheduler threads.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aragora/v1/debate.pb.h"
#include "runtime/base/defaults.hpp"
#include "runtime/base/error/error.hpp"
#include "storage/store.hpp"

namespace aragora::debate {

/// What a list shows as a debate's status: running, or how it ended.
enum class list_status : uint8_t { running, completed, failed, cancelled };

inline constexpr std::array<list_status, 4> all_list_statuses{
    list_status::running, list_status::completed, list_status::failed, list_status::cancelled};

[[nodiscard]] std::string_view to_string(list_status s);
[[nodiscard]] std::optional<list_status> parse_list_status(std::string_view s);
/// consensus_reached, no_consensus and insufficient_participation are all `completed`.
[[nodiscard]] list_status list_status_of(v1::Status::Value s);

/// The key prefix of every debate (nullopt) or of one status.
[[nodiscard]] std::string index_prefix(std::optional<list_status> status);
[[nodiscard]] std::string index_key(std::optional<list_status> status, uint64_t created_ms,
                                    std::string_view id);
/// The creation time an index key sorts by: milliseconds, 0 for times before the epoch.
[[nodiscard]] uint64_t created_ms(const v1::DebateRecord& record);

/// Adds the record's index entries, expiring at `expiry_s` like the record. A record that is no
/// longer running also deletes its `running` entry (a status moves once, from running to how
/// the debate ended).
void add_index(storage::write_batch& batch, const v1::DebateRecord& record, int64_t expiry_s);

/// The families list_debates reads (store_options::families of a reader that only lists).
inline constexpr std::array<storage::cf, 2> list_families{storage::cf::debates,
                                                          storage::cf::debate_index};

struct list_query {
  uint32_t limit = defaults::list_limit;
  uint32_t offset = 0;
  std::optional<list_status> status;  // nullopt: every status
  bool ids_only = false;  // the page's ids, not its records (a reader that keeps rows of its own)
};

/// Why a list query was refused. Stable codes: they appear in CLI and API errors.
enum class query_errc : uint8_t { bad_limit = 1, bad_offset, bad_status };

/// "bad_limit", "bad_offset", "bad_status".
[[nodiscard]] std::string_view to_string(query_errc x);

using query_error = error<query_errc>;

/// The query that user input (flags, URL parameters) asks for, or why it is refused: a limit
/// outside 1..max_list_limit, an offset outside 0..2^32-1, an unknown status (empty = every
/// status).
[[nodiscard]] expected<list_query, query_errc> make_query(int64_t limit, int64_t offset,
                                                          std::string_view status);

struct list_page {
  std::vector<v1::DebateRecord> records;  // newest first (none when ids_only)
  std::vector<std::string> ids;           // newest first, when ids_only
  bool more = false;     // debates follow this page
  bool scanned = false;  // the store has no index (an older schema): every record was read
  uint64_t scanned_records = 0;      // how many, when scanned
  storage::scan_report unreadable;   // records (or index entries) that could not be read
};

/// The page of debates the query asks for, newest first (creation time, then id). With the
/// index it reads the index entries up to offset + limit + 1 and the page's records; a store an
/// older schema wrote (schema() < 2: read-only, or opened without the upgrade) is read whole,
/// keeping only each record's time, id and status, and the page says `scanned`.
/// Fills `out` as far as it can read, even when it then fails; unreadable records are counted
/// in `out.unreadable` and skipped, never hidden.
[[nodiscard]] std::optional<storage::store_error> list_debates(storage::store& db,
                                                               const list_query& q,
                                                               list_page& out);

/// The records of the debates still running, through the index's `running` entries a page at a
/// time (a store without the index is read whole). Unreadable records and a failed scan are
/// added to `unreadable` as (key, why) and skipped: one damaged record hides no other.
[[nodiscard]] std::vector<v1::DebateRecord> running_records(
    storage::store& db, std::vector<std::pair<std::string, std::string>>& unreadable);

/// The upgrade of a store an older schema wrote (store_options::upgrade): builds the index of
/// every record, and returns a note saying so. A record that does not parse has no time or
/// status to index: it gets a time entry at 0, so the last page of every debates reports it.
[[nodiscard]] storage::result<std::string> upgrade_store(storage::store& db,
                                                         uint32_t from_version);

/// Index and records compared, for `aragora doctor`.
struct index_check {
  uint64_t entries = 0;
  uint64_t missing = 0;   // entries a readable record needs and does not have
  uint64_t stale = 0;     // entries no record accounts for
  std::string first_problem;
};

[[nodiscard]] storage::result<index_check> check_index(storage::store& db);

}  // namespace aragora::debate
