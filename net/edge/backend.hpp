#pragma once
// What the edge needs from the node behind it. The node implements it (runtime/node/
// node_backend); the edge knows nothing of actors or of the store. Every call is made from an
// edge I/O thread, never from a CAF scheduler thread, and may wait briefly on the store.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/debate/types.hpp"
#include "aragora/v1/debate.pb.h"
#include "net/edge/api_error.hpp"

namespace aragora::edge {

struct debate_page {
  std::vector<std::string> ids;  // newest first
  bool more = false;
};

struct health_report {
  bool store_ok = true;          // the store is open and writable
  bool breakers_closed = true;   // no supervisor's restart breaker and the db breaker are open
  size_t running = 0;            // debates in flight
  std::string detail;            // why not ready
  // The real providers' breakers, name and "closed" | "half_open" | "open": reported, not a
  // reason to be unready (calls go to fallbacks, or fail cleanly).
  std::vector<std::pair<std::string, std::string>> providers;
};

/// One breaker of a node (`aragora-admin breakers`).
struct breaker_status {
  std::string node;
  std::string name;
  std::string kind;   // supervisor | provider | store
  std::string state;  // closed | half_open | open
  bool up = true;     // a supervisor's child: running
  uint64_t restarts = 0;
  uint64_t times_opened = 0;
};

/// What a compaction did (`aragora-admin compact`).
struct compact_report {
  std::string node;
  int64_t ms = 0;
  uint64_t sst_bytes_before = 0;
  uint64_t sst_bytes_after = 0;
};

/// A backup a node took of its store (`aragora-admin backup`).
struct backup_report {
  std::string node;
  std::string dir;  // the backup directory, on that node
  uint32_t id = 0;
  int64_t timestamp = 0;
  uint64_t bytes = 0;
  uint32_t files = 0;
  uint32_t kept = 0;  // backups in the directory after the oldest past the limit went
  int64_t ms = 0;
};

/// A node's store, family by family (`aragora-admin storage`).
struct storage_report {
  struct family {
    std::string name;
    uint64_t bytes = 0;    // table files plus memtables
    uint64_t records = 0;  // RocksDB's estimate
    int64_t retention_s = 0;  // records older than this go at the next sweep; 0 = kept
    std::optional<double> growth_bytes_per_day;  // from this node's own samples, once an hour apart
    // What the retention sweep drops next, from the records' own expiry (families with a
    // retention only): past expiry now, and expiring within a day.
    struct outlook {
      uint64_t expired_records = 0;
      uint64_t expired_bytes = 0;
      uint64_t day_records = 0;
      uint64_t day_bytes = 0;
      int64_t next_expiry_s = 0;  // Unix s; 0 = nothing ahead
      uint64_t scanned = 0;
      bool complete = true;  // false: the scan stopped at its budget
    };
    std::optional<outlook> expiring;
  };
  std::string node;
  std::vector<family> families;
  uint64_t bytes = 0;
  std::optional<uint64_t> disk_free_bytes;
  int64_t sweep_interval_s = 0;  // how often the retention sweep runs
};

/// The cluster as the edge sees it (`aragora-admin nodes`).
struct cluster_view {
  struct node {
    std::string name;
    std::vector<std::string> roles;
    std::string address;  // host:actor_port
    std::string status;   // up | down | draining
    uint32_t debates_in_flight = 0;
    uint32_t calls_pending = 0;
    std::optional<int64_t> since_heartbeat_ms;  // none: never heard from (or this node)
    std::vector<breaker_status> breakers;       // as its last heartbeat with breakers said
  };
  std::vector<node> nodes;
  size_t orphans = 0;  // debates waiting for a worker
};

class backend {
public:
  virtual ~backend() = default;

  /// The node's defaults for a debate (rounds, thresholds, timeouts) before a request's fields.
  [[nodiscard]] virtual debate::debate_spec base_spec() = 0;
  /// Starts a debate (the spec as parse_create made it; the id is assigned here). Errors:
  /// at_capacity, unavailable.
  [[nodiscard]] virtual api_result<v1::DebateSpec> start(debate::debate_spec spec) = 0;
  /// A debate, running or finished, with its transcript so far; not_found.
  [[nodiscard]] virtual api_result<std::pair<v1::DebateResult, v1::DebateRecord>> debate(
      const std::string& id) = 0;
  /// A page of debates' ids, newest first. `status` is empty or
  /// running|completed|failed|cancelled.
  [[nodiscard]] virtual api_result<debate_page> list(uint32_t limit, uint64_t offset,
                                                     const std::string& status) = 0;
  /// A debate's record (its summary: spec, status, rounds used, outcome); not_found.
  [[nodiscard]] virtual api_result<v1::DebateRecord> record(const std::string& id) = 0;
  /// Changes whenever what is stored of the debate may have changed: an answer rendered from
  /// what was read after version(id) returned v is current while version(id) is still v. 0 when
  /// it no longer changes here (finished, or unknown): an answer about a finished debate that
  /// was rendered at 0 stays current.
  [[nodiscard]] virtual uint64_t version(const std::string& id) = 0;
  /// Changes whenever a page of the list may have: a debate was created or ended here. (A
  /// debate that expires leaves its pages without notice: its record then reads as not_found.)
  [[nodiscard]] virtual uint64_t list_version() = 0;
  /// The stored events with seq > `after`, at most `limit`, in order; not_found for an unknown
  /// debate. `record` receives the debate's record (for its status and receipt id).
  [[nodiscard]] virtual api_result<std::vector<v1::Event>> events(const std::string& id,
                                                                  uint32_t after, uint32_t limit,
                                                                  v1::DebateRecord* record) = 0;
  /// Cancels a running debate; conflict when it has ended, not_found.
  [[nodiscard]] virtual std::optional<api_error> cancel(const std::string& id,
                                                        const std::string& by) = 0;
  /// The receipt of a finished debate; not_found (unknown, or not finished yet).
  [[nodiscard]] virtual api_result<v1::Receipt> receipt(const std::string& debate_id) = 0;
  /// The ratings, highest first; `domain` empty for the overall ones.
  [[nodiscard]] virtual api_result<v1::Leaderboard> leaderboard(const std::string& domain) = 0;
  /// The agents a debate may name: the providers and their options.
  [[nodiscard]] virtual std::vector<debate::agent_spec> agent_catalog() = 0;
  [[nodiscard]] virtual health_report health() = 0;
  /// The nodes (a single node: itself).
  [[nodiscard]] virtual cluster_view cluster() = 0;
  /// Drains a worker (it takes no new debates and finishes those it has), or undrains it;
  /// not_found for a name that is not a worker.
  [[nodiscard]] virtual std::optional<api_error> drain(const std::string& node, bool on) = 0;
  /// Every node's breakers: this node's now, the workers' as their heartbeats last said.
  [[nodiscard]] virtual std::vector<breaker_status> breakers() = 0;
  /// Compacts this node's store now (every column family; expired records go); unavailable
  /// without a store or when it fails. Blocks for the compaction.
  [[nodiscard]] virtual api_result<compact_report> compact() = 0;
  /// Backs this node's store up into its backup dir (storage.backup_dir) while it serves. `node`
  /// empty or this node's name; another node's is refused.
  [[nodiscard]] virtual api_result<backup_report> backup(std::string_view node) = 0;
  /// This node's store per column family: size, records, retention, growth.
  [[nodiscard]] virtual api_result<storage_report> storage() = 0;
};

}  // namespace aragora::edge
