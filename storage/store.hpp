#pragma once
// The node's RocksDB: one column family per kind of record, values framed with their expiry
// (record.hpp), expired records invisible to reads and dropped by compaction, and a circuit
// breaker that turns a failing disk into a fast "storage unavailable" instead of a pile-up.
//
// Thread-safe. Every call blocks on disk: call it from a dedicated thread (the storage writer
// actor, a detached reader), never from a CAF scheduler thread.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/base/defaults.hpp"
#include "runtime/base/error/error.hpp"
#include "runtime/base/resilience/circuit_breaker.hpp"
#include "storage/column_families.hpp"
#include "storage/record.hpp"

namespace rocksdb {
class Env;
}

namespace aragora::storage {

/// Stable codes of storage errors.
enum class store_errc : uint8_t {
  unavailable = 1,   // the breaker is open: the store failed recently, retry later
  open_failed,       // the directory could not be opened
  schema_mismatch,   // written by a newer schema, or holding unknown column families
  io_error,          // a read or write failed
  corrupt_record,    // a value without a valid header, or a payload that does not parse
  not_found,         // the data dir does not exist (and this open may not create it)
  corrupt,           // the database itself is damaged (WAL, MANIFEST or a block): nothing changed
  read_only,         // a write to a store opened read-only
  fenced,            // a cluster's journal refused the write: the debate has moved to another
                     // node (a newer epoch); its writer here must stop it, not retry
};

[[nodiscard]] std::string_view to_string(store_errc x);

using store_error = error<store_errc>;

/// A value or a store_error.
template <class T>
using result = expected<T, store_errc>;

/// Unix seconds; must be safe to call from any thread (compactions run on RocksDB's threads).
using clock_fn = std::function<int64_t()>;

[[nodiscard]] int64_t system_now_s();

/// How a command may use the data dir.
enum class open_mode : uint8_t {
  create,     // read and write; creates the store, but only in a missing or empty directory
  existing,   // read and write an existing store; never creates one
  read_only,  // read an existing store without writing a byte (read-only media, beside a writer)
};

class store;

/// Brings the content of a store that an older schema wrote up to this one (fills what the newer
/// schema expects, such as the debates' list index of schema 2), on a read-write open, before
/// the schema marker moves. Returns a note for the log, empty for none. An error fails the open;
/// what the upgrade wrote stays, and the next open runs it again.
using upgrade_fn = std::function<result<std::string>(store& db, uint32_t from_version)>;

/// Free bytes on the file system holding `path`, nullopt when it cannot be read.
using free_space_fn = std::function<std::optional<uint64_t>(const std::string& path)>;

[[nodiscard]] std::optional<uint64_t> free_space_of(const std::string& path);

struct store_options {
  std::string path;
  open_mode mode = open_mode::create;
  /// Writes stop (storage_unavailable) while less than this is free, well before RocksDB meets
  /// ENOSPC (Debian's build asserts on some ENOSPC paths), and resume once space returns.
  uint64_t min_free_bytes = defaults::storage_min_free_bytes;
  free_space_fn free_space = free_space_of;
  /// Opens a store whose WAL is damaged by recovering up to the last consistent record
  /// (damaged WAL records are skipped), instead of refusing it. For `aragora doctor --salvage`.
  bool salvage_wal = false;
  retention_policy retention = retention_policy::defaults();
  clock_fn now_s = system_now_s;
  uint32_t breaker_failures = defaults::db_breaker_failures;
  std::chrono::steady_clock::duration breaker_recovery = defaults::db_breaker_recovery;
  rocksdb::Env* env = nullptr;  // tests inject failing file systems
  /// A read-only open opens only these families (none listed: every one), so a reader pays
  /// nothing for the others (RocksDB loads each table file's index when it opens a family).
  /// Reading a family left out is refused (io_error), never answered as empty.
  std::vector<cf> families;
  /// Run when a read-write open finds an older schema. Without one, the marker keeps the older
  /// version (schema() says so), so a later open with it still does the work.
  upgrade_fn upgrade;
  /// RocksDB memtable size of the `debate_events` family, which takes nearly all the writes;
  /// up to two are held in memory.
  size_t events_write_buffer = 16u << 20;
};

/// Writes that land together: one atomic RocksDB batch.
class write_batch {
public:
  struct op {
    cf family;
    bool erase;
    std::string key;
    std::string value;  // framed
  };

  /// `expiry_s` = 0 keeps the record until deleted.
  void put(cf family, std::string key, std::string_view payload, int64_t expiry_s);
  /// Puts a protobuf message, serialised straight behind the record header: one buffer, no copy.
  template <class Message>
  void put_message(cf family, std::string key, const Message& m, int64_t expiry_s) {
    auto framed = record_header(expiry_s, m.ByteSizeLong());
    m.AppendToString(&framed);
    put_framed(family, std::move(key), std::move(framed));
  }
  /// Adds a record whose framed value (record.hpp) the caller built, without copying it.
  void put_framed(cf family, std::string key, std::string framed);
  void erase(cf family, std::string key);
  void append(write_batch&& other);

  [[nodiscard]] bool empty() const { return ops_.empty(); }
  [[nodiscard]] size_t size() const { return ops_.size(); }
  [[nodiscard]] size_t bytes() const { return bytes_; }
  [[nodiscard]] const std::vector<op>& ops() const { return ops_; }

private:
  std::vector<op> ops_;
  size_t bytes_ = 0;
};

struct store_stats {
  uint64_t batches = 0;     // successful writes
  uint64_t puts = 0;        // records written
  uint64_t bytes = 0;       // bytes written (keys + framed values)
  uint64_t syncs = 0;       // synced writes
  uint64_t reads = 0;
  uint64_t failures = 0;
  uint64_t refused = 0;     // calls refused by the open breaker
  uint64_t corrupt = 0;     // records seen that have no valid header or do not parse
};

/// What a scan could not read: records are never skipped silently.
struct scan_report {
  uint64_t unreadable = 0;
  std::string first_key;  // the first unreadable record's key
};

enum class scan_order : uint8_t { ascending, descending };

class store {
public:
  /// 1: the families of issue 1..7. 2: `debate_index`, the list index of every debate record.
  inline static constexpr uint32_t schema_version = 2;

  /// Opens the store in `options.path` as `options.mode` allows. Refuses a directory written by a
  /// newer schema or holding unknown column families; adds missing ones (migration, not in
  /// read-only mode); never drops. A failed open changes nothing on disk.
  [[nodiscard]] static result<std::unique_ptr<store>> open(store_options options);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  /// Writes the batch atomically through the WAL; `sync` also fsyncs it.
  [[nodiscard]] std::optional<store_error> write(const write_batch& batch, bool sync);

  /// The payload of a live record, nullopt when absent or expired.
  [[nodiscard]] result<std::optional<std::string>> get(cf family, std::string_view key);

  /// Calls `fn(key, payload)` for every live record whose key starts with `prefix`, in key order,
  /// until it returns false. Records without a valid header are counted in `report` when one is
  /// given; without one, they make the scan end with `corrupt_record` once it has read the rest.
  [[nodiscard]] std::optional<store_error> scan(
      cf family, std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view payload)>& fn,
      scan_report* report = nullptr);

  /// Like scan, in either key order, handing each live record's expiry along with its payload.
  [[nodiscard]] std::optional<store_error> scan_records(
      cf family, std::string_view prefix, scan_order order,
      const std::function<bool(std::string_view key, const record_view& record)>& fn,
      scan_report* report = nullptr);

  /// Counts and logs (stderr) unreadable records found by a reader.
  void note_unreadable(cf family, std::string_view key, uint64_t n);

  /// Compacts a column family now, which drops its expired records.
  [[nodiscard]] std::optional<store_error> compact(cf family);
  [[nodiscard]] std::optional<store_error> compact_all();

  /// Bytes of the store's SST files, every family (RocksDB's total-sst-files-size).
  [[nodiscard]] uint64_t sst_bytes();

  /// One family's size as RocksDB tracks it: cheap (properties, no scan), for metrics.
  struct family_size {
    cf family;
    uint64_t sst_bytes = 0;       // its table files on disk
    uint64_t memtable_bytes = 0;  // not flushed yet
    uint64_t keys = 0;            // RocksDB's estimate (expired records count until compacted)
  };
  [[nodiscard]] std::vector<family_size> family_sizes();

  /// What the retention sweep will drop from a family, read from each record's own expiry (a
  /// changed retention applies to records written after the change only). Reads at most
  /// `max_records` records: `complete` says whether that was all of them.
  struct expiry_outlook {
    uint64_t scanned = 0;
    bool complete = true;
    uint64_t expired_records = 0;  // past their expiry: the next sweep drops them
    uint64_t expired_bytes = 0;    // key and value bytes
    uint64_t due_records = 0;      // expiring within the horizon
    uint64_t due_bytes = 0;
    int64_t next_expiry_s = 0;     // the earliest expiry still ahead (Unix s); 0 = none seen
  };
  [[nodiscard]] result<expiry_outlook> expiry_outlook_of(cf family, int64_t horizon_s,
                                                         uint64_t max_records);

  /// Number of record keys physically present (expired or not), by iterating: for tests and
  /// tools, not for hot paths.
  [[nodiscard]] uint64_t count_keys(cf family);

  [[nodiscard]] int64_t now_s() const;
  /// The expiry a record of `family` written now gets (0 = never).
  [[nodiscard]] int64_t expiry_for(cf family) const;
  [[nodiscard]] const retention_policy& retention() const;
  [[nodiscard]] store_stats stats() const;
  [[nodiscard]] resilience::breaker_state breaker() const;
  [[nodiscard]] bool read_only() const;
  /// The schema the store's content follows: this version, or an older one when the store was
  /// opened read-only or without an upgrade (0: written before schema markers).
  [[nodiscard]] uint32_t schema() const;
  /// What opening found and repaired or dropped (a torn WAL tail, a salvaged WAL), for the log.
  [[nodiscard]] const std::vector<std::string>& open_notes() const;

private:
  friend class store_backup_access;  // storage/backup.cpp: RocksDB's handle for its BackupEngine
  struct impl;
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// A key for messages and logs: printable ASCII as it is, other bytes as \xNN.
[[nodiscard]] std::string printable_key(std::string_view key);

/// The `corrupt_record` error for the unreadable records of a scan.
[[nodiscard]] store_error unreadable_error(cf family, const scan_report& r);

/// Scans like store::scan, parsing each payload as a protobuf `Message` and calling
/// `fn(key, Message&&)`. Records that do not parse are counted and logged; they go into `report`
/// when one is given, and otherwise end the scan, once every readable record was delivered, with
/// `corrupt_record`: a reader that cannot tell a gap from an absence must not go on as if whole.
template <class Message, class F>
[[nodiscard]] std::optional<store_error> scan_messages(store& db, cf family,
                                                       std::string_view prefix, F&& fn,
                                                       scan_report* report = nullptr) {
  scan_report local;
  auto& r = report ? *report : local;
  auto err = db.scan(
      family, prefix,
      [&](std::string_view key, std::string_view payload) {
        Message m;
        if (m.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
          fn(key, std::move(m));
        } else {
          if (r.unreadable++ == 0) r.first_key = std::string{key};
          db.note_unreadable(family, key, 1);
        }
        return true;
      },
      &r);
  if (err) return err;
  if (!report && local.unreadable > 0) return unreadable_error(family, local);
  return std::nullopt;
}

}  // namespace aragora::storage
