#include "storage/store.hpp"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/wal_filter.h>
#include <rocksdb/write_batch.h>

#include <sys/statvfs.h>

#include <cerrno>

#include <algorithm>
#include <charconv>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <shared_mutex>

#include "runtime/base/defaults.hpp"
#include "storage/backup_access.hpp"
#include "storage/record.hpp"
#include "runtime/base/log/log.hpp"

namespace aragora::storage {

std::string_view to_string(store_errc x) {
  switch (x) {
    case store_errc::unavailable: return "storage_unavailable";
    case store_errc::open_failed: return "storage_open_failed";
    case store_errc::schema_mismatch: return "storage_schema_mismatch";
    case store_errc::io_error: return "storage_io_error";
    case store_errc::corrupt_record: return "storage_corrupt_record";
    case store_errc::not_found: return "data_dir_not_found";
    case store_errc::corrupt: return "storage_corrupt";
    case store_errc::read_only: return "storage_read_only";
    case store_errc::fenced: return "debate_moved";
  }
  return "unknown";
}

std::optional<uint64_t> free_space_of(const std::string& path) {
  // A directory still to be created lives on the file system of its nearest existing ancestor.
  std::filesystem::path p{path};
  for (;;) {
    struct statvfs st {};
    if (::statvfs(p.c_str(), &st) == 0) return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
    if (errno != ENOENT || p == "." || p.parent_path() == p) return std::nullopt;
    p = p.has_parent_path() ? p.parent_path() : std::filesystem::path{"."};
  }
}

int64_t system_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// -- write_batch ----------------------------------------------------------------------------------

void write_batch::put(cf family, std::string key, std::string_view payload, int64_t expiry_s) {
  bytes_ += key.size() + record_header_size + payload.size();
  ops_.push_back({family, false, std::move(key), frame_record(expiry_s, payload)});
}

void write_batch::put_framed(cf family, std::string key, std::string framed) {
  bytes_ += key.size() + framed.size();
  ops_.push_back({family, false, std::move(key), std::move(framed)});
}

void write_batch::erase(cf family, std::string key) {
  bytes_ += key.size();
  ops_.push_back({family, true, std::move(key), {}});
}

void write_batch::append(write_batch&& other) {
  bytes_ += other.bytes_;
  if (ops_.empty()) {
    ops_ = std::move(other.ops_);
  } else {
    ops_.reserve(ops_.size() + other.ops_.size());
    for (auto& op : other.ops_) ops_.push_back(std::move(op));
  }
  other.ops_.clear();
  other.bytes_ = 0;
}

// -- the TTL compaction filter --------------------------------------------------------------------

namespace {

/// Drops records whose expiry has passed. Values it cannot read are kept: compaction must never
/// lose data it does not understand.
class ttl_filter final : public rocksdb::CompactionFilter {
public:
  explicit ttl_filter(const clock_fn* now) : now_(now) {}

  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    auto r = unframe_record(std::string_view{value.data(), value.size()});
    return r && r->expired_at((*now_)());
  }

  const char* Name() const override { return "aragora.ttl"; }

private:
  const clock_fn* now_;
};

constexpr const char* schema_key = "aragora/schema";

store_error io_error(const rocksdb::Status& s, std::string_view what) {
  auto code = s.IsCorruption() ? store_errc::corrupt : store_errc::io_error;
  return {code, std::string{what} + ": " + s.ToString()};
}

/// Remembers the WAL file of the last record a recovery replayed: when a strict replay stops at
/// damage, that is the file the damage is in (or, at the start of a file, the one before).
class last_wal_seen final : public rocksdb::WalFilter {
public:
  WalProcessingOption LogRecordFound(unsigned long long log_number, const std::string&,
                                     const rocksdb::WriteBatch&, rocksdb::WriteBatch*,
                                     bool*) override {
    last = log_number;
    return WalProcessingOption::kContinueProcessing;
  }
  const char* Name() const override { return "aragora.last_wal_seen"; }
  uint64_t last = 0;
};

/// The number of the newest WAL file in `dir`, 0 when there is none.
uint64_t newest_wal(const std::string& dir) {
  uint64_t newest = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".log") continue;
    uint64_t n = 0;
    auto stem = e.path().stem().string();
    if (std::from_chars(stem.data(), stem.data() + stem.size(), n).ec == std::errc{})
      newest = std::max(newest, n);
  }
  return newest;
}

/// RocksDB's own info log, discarded where the store must not write (read-only mode).
class null_logger final : public rocksdb::Logger {
public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

}  // namespace

// Keys can be binary (big-endian sequence numbers).
std::string printable_key(std::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

namespace {

std::string mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

// -- store ----------------------------------------------------------------------------------------

struct store::impl {
  store_options opts;
  ttl_filter filter{&opts.now_s};
  // Held shared by every operation, exclusively while the database is reopened.
  mutable std::shared_mutex db_mtx;
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* default_cf = nullptr;
  std::array<rocksdb::ColumnFamilyHandle*, cf_count> handles{};

  mutable std::mutex breaker_mtx;
  resilience::circuit_breaker breaker;

  std::atomic<uint64_t> batches{0}, puts{0}, bytes{0}, syncs{0}, reads{0}, failures{0},
      refused{0}, corrupt{0};
  // Column families the directory holds; in read-only mode only these are opened.
  std::vector<std::string> existing;
  std::vector<std::string> notes;
  rocksdb::WALRecoveryMode wal_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
  rocksdb::WalFilter* wal_filter = nullptr;  // set during the strict open only
  bool create = false;
  uint32_t schema = 0;  // what the content follows (store::schema)

  bool read_only() const { return opts.mode == open_mode::read_only; }

  explicit impl(store_options o)
      : opts(std::move(o)), breaker(opts.breaker_failures, opts.breaker_recovery) {}

  ~impl() { close(); }

  void close() {
    if (!db) return;
    if (!read_only() && !low_on_space()) {
      // Clean close: memtables go to SST files, so nothing lives only in the WAL (a WAL lost or
      // damaged afterwards then loses nothing).
      std::vector<rocksdb::ColumnFamilyHandle*> all{default_cf};
      for (auto* h : handles)
        if (h) all.push_back(h);
      rocksdb::FlushOptions fo;
      fo.wait = true;
      if (auto st = db->Flush(fo, all); !st.ok())
        log::warn("storage", "flush at close failed (the WAL still holds the data): ",
                  st.ToString());
    }
    for (auto*& h : handles)
      if (h) db->DestroyColumnFamilyHandle(std::exchange(h, nullptr));
    if (default_cf) db->DestroyColumnFamilyHandle(std::exchange(default_cf, nullptr));
    db->Close();
    delete std::exchange(db, nullptr);
  }

  rocksdb::DBOptions db_options() const {
    rocksdb::DBOptions o;
    o.create_if_missing = create;
    o.create_missing_column_families = !read_only();
    // A damaged WAL is refused, not silently cut short (RocksDB's default, point-in-time
    // recovery, would roll finished debates back to running); see store::open.
    o.wal_recovery_mode = wal_mode;
    o.wal_filter = wal_filter;
    if (read_only()) o.info_log = std::make_shared<null_logger>();
    // Twelve column families share one WAL; cap it so idle families get flushed.
    o.max_total_wal_size = 256ull << 20;
    o.keep_log_file_num = 4;
    if (opts.env) o.env = opts.env;
    return o;
  }

  /// The column families to open: every family, or in read-only mode those the directory has
  /// (a family an older layout lacks cannot be added there, and reads as empty).
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors(std::vector<cf>& families) {
    std::vector<rocksdb::ColumnFamilyDescriptor> out;
    out.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions{});
    for (auto family : all_cfs) {
      if (read_only() && left_out(family)) continue;
      if (read_only() &&
          std::find(existing.begin(), existing.end(), name(family)) == existing.end())
        continue;
      rocksdb::ColumnFamilyOptions cfo;
      cfo.compaction_filter = &filter;
      if (family == cf::debate_events) cfo.write_buffer_size = opts.events_write_buffer;
      out.emplace_back(std::string{name(family)}, cfo);
      families.push_back(family);
    }
    return out;
  }

  rocksdb::Status open_db() {
    std::vector<cf> families;
    auto descs = descriptors(families);
    std::vector<rocksdb::ColumnFamilyHandle*> opened;
    auto st = read_only()
                  ? rocksdb::DB::OpenForReadOnly(db_options(), opts.path, descs, &opened, &db)
                  : rocksdb::DB::Open(db_options(), opts.path, descs, &opened, &db);
    if (!st.ok()) {
      db = nullptr;
      return st;
    }
    default_cf = opened[0];
    for (size_t i = 0; i < families.size(); ++i)
      handles[static_cast<size_t>(families[i])] = opened[i + 1];
    return st;
  }

  /// The salvage, from the least loss to the most: recover the WAL up to its first damaged record
  /// (a consistent prefix); where a table already holds later writes, skip the damaged records
  /// instead; where even that fails (a record spanning several blocks loses a fragment and no
  /// longer decodes), RocksDB's RepairDB rebuilds the store from its tables and what of the WAL
  /// still reads.
  rocksdb::Status open_salvaged() {
    rocksdb::Status st;
    for (auto mode : {rocksdb::WALRecoveryMode::kPointInTimeRecovery,
                      rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords}) {
      wal_mode = mode;
      st = open_db();
      if (st.ok()) {
        notes.push_back(mode == rocksdb::WALRecoveryMode::kPointInTimeRecovery
                            ? "opened with WAL salvage: the WAL was recovered up to its first "
                              "damaged record; what followed it was dropped"
                            : "opened with WAL salvage: damaged WAL records were skipped");
        return st;
      }
      if (!st.IsCorruption()) return st;
    }
    std::vector<cf> families;
    auto repaired = rocksdb::RepairDB(opts.path, db_options(), descriptors(families));
    if (!repaired.ok()) return repaired;
    notes.push_back("repaired (RocksDB RepairDB) after: " + st.ToString() +
                    "; what of the WAL could not be read was dropped");
    wal_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
    return open_db();
  }

  /// Opens with the strict WAL mode; a damaged WAL whose only damage is a torn last record (a
  /// write cut short by a crash, never acknowledged) is opened without that record and noted.
  /// Anything worse is refused unless the caller asked to salvage.
  rocksdb::Status open_checked() {
    if (opts.salvage_wal) return open_salvaged();
    wal_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
    last_wal_seen seen;
    wal_filter = &seen;
    auto st = open_db();
    wal_filter = nullptr;
    if (st.ok() || !st.IsCorruption()) return st;
    // Only damage in the newest WAL file can be a write a crash cut short; damage in an older one
    // (completed before the newer was started) is real, and is refused.
    if (seen.last == 0 || seen.last != newest_wal(opts.path)) return st;
    wal_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
    auto tail = open_db();
    if (tail.ok()) {
      notes.push_back("the WAL ended in a torn record (a write cut short by a crash, never "
                      "acknowledged); it was dropped: " + st.ToString());
      return tail;
    }
    return st;
  }

  /// True while the disk holding the store has less than the configured reserve free.
  bool low_on_space() const { return space_error().has_value(); }

  std::optional<store_error> space_error() const {
    if (opts.min_free_bytes == 0 || !opts.free_space) return std::nullopt;
    auto free = opts.free_space(opts.path);
    if (!free || *free >= opts.min_free_bytes) return std::nullopt;
    return store_error{store_errc::unavailable,
                       "disk almost full: " + mib(*free) + " free on " + opts.path + ", " +
                           mib(opts.min_free_bytes) +
                           " reserved (storage.min_free_mb); writes resume once space is freed"};
  }

  /// The half-open trial: a database stopped by a write error resumes, or is reopened (which
  /// replays the WAL up to its last consistent record).
  void recover() {
    std::unique_lock<std::shared_mutex> lock{db_mtx};
    if (low_on_space()) return;  // the trial write is refused and reopens the breaker
    if (db && !read_only() && db->Resume().ok()) return;
    close();
    (void)open_checked();  // a failure here fails the trial call, which reopens the breaker
  }

  rocksdb::ColumnFamilyHandle* handle(cf family) const {
    return handles[static_cast<size_t>(family)];
  }

  /// Not opened because the caller did not ask for it (store_options::families).
  bool left_out(cf family) const {
    const auto& f = opts.families;
    return read_only() && !f.empty() && std::find(f.begin(), f.end(), family) == f.end();
  }

  /// Why a read of `family` cannot be answered, if it cannot: an absent family reads as empty,
  /// one left out is refused.
  std::optional<store_error> not_opened(cf family) const {
    if (!left_out(family)) return std::nullopt;
    return store_error{store_errc::io_error, "the column family " + std::string{name(family)} +
                                                 " was not opened by this reader"};
  }

  void note_unreadable(cf family, std::string_view key, uint64_t n) {
    corrupt += n;
    log::error("storage", to_string(store_errc::corrupt_record), ": unreadable record '",
               printable_key(key), "' in ", name(family), " (", opts.path,
               "); it is kept as it is, run 'aragora doctor'");
  }

  /// nullopt when the call may go ahead; the refusal otherwise. Never holds the breaker lock
  /// while it waits for the database lock (operations take them the other way round).
  std::optional<store_error> admit() {
    auto now = std::chrono::steady_clock::now();
    bool trial = false;
    {
      std::lock_guard<std::mutex> guard{breaker_mtx};
      trial = breaker.state(now) == resilience::breaker_state::half_open;
      if (!breaker.allow(now)) {
        ++refused;
        auto wait =
            std::chrono::duration_cast<std::chrono::milliseconds>(breaker.retry_after(now));
        return store_error{store_errc::unavailable,
                           "storage unavailable after repeated failures; retry in " +
                               std::to_string(wait.count()) + " ms"};
      }
    }
    if (trial) recover();
    return std::nullopt;
  }

  /// Runs `op` under the shared database lock, if the breaker admits the call and the database
  /// is open (a failed reopen leaves it closed).
  template <class Op>
  auto guarded(Op&& op) -> decltype(op()) {
    if (auto refused = admit()) return *refused;
    std::shared_lock<std::shared_mutex> lock{db_mtx};
    if (!db) {
      outcome(false);
      return store_error{store_errc::io_error, "the database could not be reopened"};
    }
    return op();
  }

  void outcome(bool ok) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> guard{breaker_mtx};
    if (ok) {
      breaker.record_success(now);
    } else {
      ++failures;
      breaker.record_failure(now);
    }
  }
};

store::store(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}

store::~store() = default;

namespace {

namespace fs = std::filesystem;

/// What is in the data dir before anything opens it.
struct dir_state {
  bool exists = false;
  bool empty = false;  // nothing, or only what an interrupted creation leaves (no data)
  bool has_current = false;
};

/// Files RocksDB writes while creating a store, before `CURRENT` names its first MANIFEST. A
/// directory holding only these never held data: a creation was interrupted (Ctrl-C, a crash).
bool creation_leftover(const std::string& name) {
  return name == "IDENTITY" || name == "LOCK" || name.starts_with("LOG") ||
         name.starts_with("MANIFEST-") || name.starts_with("OPTIONS-") ||
         name.ends_with(".dbtmp");
}

std::optional<store_error> inspect(const std::string& path, dir_state& d) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    return store_error{store_errc::open_failed, "cannot read " + path + ": " + ec.message()};
  d.exists = fs::exists(st);
  if (!d.exists) return std::nullopt;
  if (!fs::is_directory(st))
    return store_error{store_errc::open_failed, path + " is not a directory"};
  d.has_current = fs::exists(fs::path{path} / "CURRENT", ec);
  d.empty = true;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (d.has_current || !creation_leftover(e.path().filename().string())) d.empty = false;
  if (ec) return store_error{store_errc::open_failed, "cannot list " + path + ": " + ec.message()};
  return std::nullopt;
}

}  // namespace

namespace {

/// Why a store whose marker reads `version` may not be opened (unreadable, or written by a newer
/// schema), nullopt when it may.
std::optional<store_error> schema_refusal(const std::string& path, const std::string& version) {
  uint32_t found = 0;
  auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), found);
  if (ec != std::errc{} || end != version.data() + version.size())
    return store_error{store_errc::schema_mismatch,
                       "unreadable schema version '" + version + "' in " + path};
  if (found <= store::schema_version) return std::nullopt;
  return store_error{store_errc::schema_mismatch,
                     "the data dir " + path + " was written by schema " + version +
                         "; this version reads up to " + std::to_string(store::schema_version) +
                         "; nothing was changed"};
}

/// The refusal of the schema a read-only open of the default family sees, if any.
std::optional<store_error> newer_schema(const std::string& path, rocksdb::DBOptions o) {
  o.create_if_missing = false;
  o.create_missing_column_families = false;
  o.info_log = std::make_shared<null_logger>();
  std::vector<rocksdb::ColumnFamilyDescriptor> only_default{
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions{}}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(o, path, only_default, &handles, &db).ok()) return std::nullopt;
  std::string version;
  auto st = db->Get(rocksdb::ReadOptions{}, handles[0], schema_key, &version);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  if (!st.ok()) return std::nullopt;  // the full open reports it
  return schema_refusal(path, version);
}

}  // namespace

result<std::unique_ptr<store>> store::open(store_options options) {
  auto p = std::make_unique<impl>(std::move(options));
  auto& o = p->opts;

  dir_state dir;
  if (auto err = inspect(o.path, dir)) return *err;
  if (!dir.exists && o.mode != open_mode::create)
    return store_error{store_errc::not_found, "no data dir " + o.path + " (nothing was created)"};
  if (dir.exists && !dir.empty && !dir.has_current)
    // Never "create" over something: a store whose CURRENT file was lost would be replaced by
    // an empty one, and RocksDB would then delete its tables.
    return store_error{store_errc::open_failed,
                       o.path + " is not empty but holds no store (no CURRENT file); nothing was "
                                "changed. If it is a store that lost its CURRENT file, restore it "
                                "from a backup (docs/operations.md)"};
  if (o.mode == open_mode::create && (!dir.exists || dir.empty)) {
    // Checked before anything is written: a store is not created on a disk that is already full.
    if (auto full = p->space_error()) return *full;
    p->create = true;
  }
  if (o.mode != open_mode::create && dir.empty)
    return store_error{store_errc::not_found, o.path + " is empty: it holds no store"};

  // A missing directory lists nothing: a fresh store.
  if (dir.has_current) {
    auto st = rocksdb::DB::ListColumnFamilies(p->db_options(), o.path, &p->existing);
    if (!st.ok())
      return store_error{st.IsCorruption() ? store_errc::corrupt : store_errc::open_failed,
                         "cannot read the column families of " + o.path + ": " + st.ToString() +
                             "; nothing was changed"};
  }
  for (const auto& n : p->existing) {
    if (n == rocksdb::kDefaultColumnFamilyName || cf_from_name(n)) continue;
    return store_error{store_errc::schema_mismatch,
                       "the data dir " + o.path + " holds column family '" + n +
                           "', unknown to this version (written by a newer one?); nothing was "
                           "changed"};
  }
  if (!p->read_only() && !p->create) {
    if (auto full = p->space_error()) return *full;
    // A read-write open changes files (a new MANIFEST, missing families added): first make sure
    // the store is not one a newer schema wrote, which must be refused with nothing changed.
    if (auto newer = newer_schema(o.path, p->db_options())) return *newer;
  }

  // A failed creation leaves at most the files of an interrupted one, which the next creation
  // reuses. Nothing is removed here: the files may be another process's, which holds the lock.
  auto st = p->open_checked();
  if (!st.ok()) {
    if (st.IsCorruption())
      return store_error{store_errc::corrupt,
                         "the store in " + o.path + " is damaged: " + st.ToString() +
                             "; nothing was changed. 'aragora doctor --data-dir " + o.path +
                             " --salvage' recovers up to the damage (docs/operations.md)"};
    return store_error{store_errc::open_failed,
                       "cannot open the data dir " + o.path + ": " + st.ToString()};
  }

  std::string version;
  st = p->db->Get(rocksdb::ReadOptions{}, p->default_cf, schema_key, &version);
  if (st.ok()) {
    if (auto refusal = schema_refusal(o.path, version)) return *refusal;
    std::from_chars(version.data(), version.data() + version.size(), p->schema);
  } else if (!st.IsNotFound()) {
    return io_error(st, "reading the schema version");
  }
  // No version: a fresh store (nothing to upgrade), or a layout older than the markers.
  if (p->create && !st.ok()) p->schema = schema_version;
  std::unique_ptr<store> s{new store(std::move(p))};
  auto& i = *s->impl_;
  if (i.read_only() || (st.ok() && i.schema == schema_version)) return s;
  if (i.schema < schema_version) {
    if (!i.opts.upgrade) return s;  // the marker stays: a later open upgrades
    auto note = i.opts.upgrade(*s, i.schema);
    if (!note.ok()) return note.error();
    if (!note.value().empty()) i.notes.push_back(std::move(note.value()));
  }
  // The content follows this schema now; only then does the marker say so.
  rocksdb::WriteOptions wo;
  wo.sync = true;
  st = i.db->Put(wo, i.default_cf, schema_key, std::to_string(schema_version));
  if (!st.ok()) return io_error(st, "writing the schema version");
  i.schema = schema_version;
  return s;
}

std::optional<store_error> store::write(const write_batch& batch, bool sync) {
  if (impl_->read_only())
    return store_error{store_errc::read_only, "the store in " + impl_->opts.path +
                                                  " is open read-only"};
  return impl_->guarded([&]() -> std::optional<store_error> {
    if (auto full = impl_->space_error()) {
      impl_->outcome(false);
      return full;
    }
    // Reserved up front: group commits of many debates' steps reach megabytes.
    rocksdb::WriteBatch wb(batch.bytes() + 16 * batch.size(), 0, 0, 0);
    for (const auto& op : batch.ops()) {
      auto* h = impl_->handle(op.family);
      if (op.erase)
        wb.Delete(h, op.key);
      else
        wb.Put(h, op.key, op.value);
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    auto st = impl_->db->Write(wo, &wb);
    impl_->outcome(st.ok());
    if (!st.ok()) return io_error(st, "write");
    ++impl_->batches;
    impl_->puts += batch.size();
    impl_->bytes += batch.bytes();
    if (sync) ++impl_->syncs;
    return std::nullopt;
  });
}

result<std::optional<std::string>> store::get(cf family, std::string_view key) {
  return impl_->guarded([&]() -> result<std::optional<std::string>> {
    if (auto no = impl_->not_opened(family)) return *no;
    if (!impl_->handle(family)) return std::optional<std::string>{};
    rocksdb::PinnableSlice value;
    auto st = impl_->db->Get(rocksdb::ReadOptions{}, impl_->handle(family),
                             rocksdb::Slice{key.data(), key.size()}, &value);
    ++impl_->reads;
    if (st.IsNotFound()) {
      impl_->outcome(true);
      return std::optional<std::string>{};
    }
    impl_->outcome(st.ok());
    if (!st.ok()) return io_error(st, "read");
    auto r = unframe_record(std::string_view{value.data(), value.size()});
    if (!r)
      return store_error{store_errc::corrupt_record,
                         "record without a valid header in " + std::string{name(family)}};
    if (r->expired_at(now_s())) return std::optional<std::string>{};
    return std::optional<std::string>{std::string{r->payload}};
  });
}

std::optional<store_error> store::scan(
    cf family, std::string_view prefix,
    const std::function<bool(std::string_view, std::string_view)>& fn, scan_report* report) {
  return scan_records(
      family, prefix, scan_order::ascending,
      [&](std::string_view key, const record_view& r) { return fn(key, r.payload); }, report);
}

namespace {

/// The first key after every key that starts with `prefix`; empty when there is none (a prefix
/// of 0xff bytes only, or no prefix).
std::string prefix_end(std::string_view prefix) {
  std::string end{prefix};
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

}  // namespace

std::optional<store_error> store::scan_records(
    cf family, std::string_view prefix, scan_order order,
    const std::function<bool(std::string_view, const record_view&)>& fn, scan_report* report) {
  scan_report local;
  auto& rep = report ? *report : local;
  auto err = impl_->guarded([&]() -> std::optional<store_error> {
    if (auto no = impl_->not_opened(family)) return no;
    if (!impl_->handle(family)) return std::nullopt;
    bool forward = order == scan_order::ascending;
    rocksdb::ReadOptions ro;
    const auto end = forward ? std::string{} : prefix_end(prefix);
    rocksdb::Slice end_slice{end};
    if (!end.empty()) ro.iterate_upper_bound = &end_slice;
    std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(ro, impl_->handle(family))};
    auto now = now_s();
    uint64_t read = 0;
    if (forward)
      it->Seek(rocksdb::Slice{prefix.data(), prefix.size()});
    else
      it->SeekToLast();  // the last key below the upper bound
    for (; it->Valid(); forward ? it->Next() : it->Prev()) {
      std::string_view key{it->key().data(), it->key().size()};
      if (key.substr(0, prefix.size()) != prefix) break;
      auto r = unframe_record(std::string_view{it->value().data(), it->value().size()});
      if (!r) {
        if (rep.unreadable++ == 0) rep.first_key = std::string{key};
        impl_->note_unreadable(family, key, 1);
        continue;
      }
      if (r->expired_at(now)) continue;
      ++read;
      if (!fn(key, *r)) break;
    }
    impl_->reads += read;
    auto st = it->status();
    impl_->outcome(st.ok());
    if (!st.ok()) return io_error(st, "scan of " + std::string{name(family)});
    return std::nullopt;
  });
  if (err) return err;
  if (!report && local.unreadable > 0) return unreadable_error(family, local);
  return std::nullopt;
}

void store::note_unreadable(cf family, std::string_view key, uint64_t n) {
  impl_->note_unreadable(family, key, n);
}

store_error unreadable_error(cf family, const scan_report& r) {
  return store_error{store_errc::corrupt_record,
                     std::to_string(r.unreadable) + " unreadable record(s) in " +
                         std::string{name(family)} + " (first key '" + printable_key(r.first_key) +
                         "'); run 'aragora doctor'"};
}

std::optional<store_error> store::compact(cf family) {
  if (impl_->read_only()) return std::nullopt;  // nothing may change on disk
  return impl_->guarded([&]() -> std::optional<store_error> {
    if (!impl_->handle(family)) return std::nullopt;
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    auto st = impl_->db->CompactRange(co, impl_->handle(family), nullptr, nullptr);
    impl_->outcome(st.ok());
    if (!st.ok()) return io_error(st, "compaction");
    return std::nullopt;
  });
}

std::optional<store_error> store::compact_all() {
  for (auto family : all_cfs)
    if (auto err = compact(family)) return err;
  return std::nullopt;
}

std::optional<std::string> store_backup_access::with_db(
    store& s, const std::function<std::optional<std::string>(rocksdb::DB&)>& fn) {
  std::shared_lock<std::shared_mutex> lock{s.impl_->db_mtx};
  if (!s.impl_->db) return "the database is not open";
  return fn(*s.impl_->db);
}

uint64_t store::sst_bytes() {
  std::shared_lock<std::shared_mutex> lock{impl_->db_mtx};
  if (!impl_->db) return 0;
  uint64_t total = 0;
  for (auto family : all_cfs) {
    uint64_t v = 0;
    if (auto* h = impl_->handle(family);
        h && impl_->db->GetIntProperty(h, "rocksdb.total-sst-files-size", &v))
      total += v;
  }
  return total;
}

std::vector<store::family_size> store::family_sizes() {
  std::shared_lock<std::shared_mutex> lock{impl_->db_mtx};
  std::vector<family_size> out;
  if (!impl_->db) return out;
  for (auto family : all_cfs) {
    auto* h = impl_->handle(family);
    if (!h) continue;
    family_size f{family};
    (void)impl_->db->GetIntProperty(h, "rocksdb.total-sst-files-size", &f.sst_bytes);
    (void)impl_->db->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &f.memtable_bytes);
    (void)impl_->db->GetIntProperty(h, "rocksdb.estimate-num-keys", &f.keys);
    out.push_back(f);
  }
  return out;
}

result<store::expiry_outlook> store::expiry_outlook_of(cf family, int64_t horizon_s,
                                                       uint64_t max_records) {
  return impl_->guarded([&]() -> result<expiry_outlook> {
    if (auto no = impl_->not_opened(family)) return *no;
    expiry_outlook out;
    if (!impl_->handle(family)) return out;
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;  // one pass over everything: keep the cache for the debates' reads
    std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(ro, impl_->handle(family))};
    const auto now = now_s();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (out.scanned == max_records) {
        out.complete = false;
        break;
      }
      ++out.scanned;
      auto r = unframe_record(std::string_view{it->value().data(), it->value().size()});
      if (!r || r->expiry_s == 0) continue;  // unreadable ones are doctor's business
      const uint64_t bytes = it->key().size() + it->value().size();
      if (r->expired_at(now)) {
        ++out.expired_records;
        out.expired_bytes += bytes;
        continue;
      }
      if (out.next_expiry_s == 0 || r->expiry_s < out.next_expiry_s) out.next_expiry_s = r->expiry_s;
      if (r->expiry_s <= now + horizon_s) {
        ++out.due_records;
        out.due_bytes += bytes;
      }
    }
    impl_->reads += out.scanned;
    auto st = it->status();
    impl_->outcome(st.ok());
    if (!st.ok()) return io_error(st, "expiry scan of " + std::string{name(family)});
    return out;
  });
}

uint64_t store::count_keys(cf family) {
  std::shared_lock<std::shared_mutex> lock{impl_->db_mtx};
  if (!impl_->db || !impl_->handle(family)) return 0;
  std::unique_ptr<rocksdb::Iterator> it{
      impl_->db->NewIterator(rocksdb::ReadOptions{}, impl_->handle(family))};
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  return n;
}

int64_t store::now_s() const { return impl_->opts.now_s(); }

int64_t store::expiry_for(cf family) const {
  auto keep = impl_->opts.retention.of(family);
  return keep > 0 ? now_s() + keep : 0;
}

const retention_policy& store::retention() const { return impl_->opts.retention; }

store_stats store::stats() const {
  return {impl_->batches.load(), impl_->puts.load(),     impl_->bytes.load(),
          impl_->syncs.load(),   impl_->reads.load(),    impl_->failures.load(),
          impl_->refused.load(), impl_->corrupt.load()};
}

bool store::read_only() const { return impl_->read_only(); }

uint32_t store::schema() const { return impl_->schema; }

const std::vector<std::string>& store::open_notes() const { return impl_->notes; }

resilience::breaker_state store::breaker() const {
  std::lock_guard<std::mutex> guard{impl_->breaker_mtx};
  return impl_->breaker.state(std::chrono::steady_clock::now());
}

}  // namespace aragora::storage
