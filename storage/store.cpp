#include "storage/store.hpp"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <mutex>
#include <shared_mutex>

#include "runtime/defaults.hpp"
#include "storage/record.hpp"

namespace aragora::storage {

std::string_view to_string(store_errc x) {
  switch (x) {
    case store_errc::unavailable: return "storage_unavailable";
    case store_errc::open_failed: return "storage_open_failed";
    case store_errc::schema_mismatch: return "storage_schema_mismatch";
    case store_errc::io_error: return "storage_io_error";
    case store_errc::corrupt_record: return "storage_corrupt_record";
  }
  return "unknown";
}

int64_t system_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

retention_policy retention_policy::defaults() {
  using namespace std::chrono;
  auto s = [](auto d) { return duration_cast<seconds>(d).count(); };
  retention_policy r;
  r.set(cf::debates, s(defaults::retain_debates));
  r.set(cf::debate_events, s(defaults::retain_debates));
  r.set(cf::critiques, s(defaults::retain_critiques));
  r.set(cf::evidence, s(defaults::retain_evidence));
  r.set(cf::evidence_by_hash, s(defaults::retain_evidence));
  r.set(cf::elo, 0);
  r.set(cf::consensus, s(defaults::retain_consensus));
  r.set(cf::memory_fast, s(defaults::retain_memory_fast));
  r.set(cf::memory_medium, s(defaults::retain_memory_medium));
  r.set(cf::memory_slow, s(defaults::retain_memory_slow));
  r.set(cf::memory_glacial, s(defaults::retain_memory_glacial));
  r.set(cf::audit, s(defaults::retain_audit));
  return r;
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
  return {store_errc::io_error, std::string{what} + ": " + s.ToString()};
}

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
      refused{0};

  explicit impl(store_options o)
      : opts(std::move(o)), breaker(opts.breaker_failures, opts.breaker_recovery) {}

  ~impl() { close(); }

  void close() {
    if (!db) return;
    for (auto*& h : handles)
      if (h) db->DestroyColumnFamilyHandle(std::exchange(h, nullptr));
    if (default_cf) db->DestroyColumnFamilyHandle(std::exchange(default_cf, nullptr));
    db->Close();
    delete std::exchange(db, nullptr);
  }

  rocksdb::DBOptions db_options() const {
    rocksdb::DBOptions o;
    o.create_if_missing = true;
    o.create_missing_column_families = true;
    // Twelve column families share one WAL; cap it so idle families get flushed.
    o.max_total_wal_size = 256ull << 20;
    o.keep_log_file_num = 4;
    if (opts.env) o.env = opts.env;
    return o;
  }

  rocksdb::Status open_db() {
    rocksdb::ColumnFamilyOptions base;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, base);
    for (auto family : all_cfs) {
      rocksdb::ColumnFamilyOptions cfo;
      cfo.compaction_filter = &filter;
      if (family == cf::debate_events) cfo.write_buffer_size = opts.events_write_buffer;
      descriptors.emplace_back(std::string{name(family)}, cfo);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> opened;
    auto st = rocksdb::DB::Open(db_options(), opts.path, descriptors, &opened, &db);
    if (!st.ok()) return st;
    default_cf = opened[0];
    for (size_t i = 0; i < cf_count; ++i) handles[i] = opened[i + 1];
    return st;
  }

  /// The half-open trial: a database stopped by a write error resumes, or is reopened (which
  /// replays the WAL up to its last consistent record).
  void recover() {
    std::unique_lock<std::shared_mutex> lock{db_mtx};
    if (db && db->Resume().ok()) return;
    close();
    (void)open_db();  // a failure here fails the trial call, which reopens the breaker
  }

  rocksdb::ColumnFamilyHandle* handle(cf family) const {
    return handles[static_cast<size_t>(family)];
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

result<std::unique_ptr<store>> store::open(store_options options) {
  auto p = std::make_unique<impl>(std::move(options));
  auto& o = p->opts;

  std::vector<std::string> existing;
  // A missing directory lists nothing: a fresh store.
  (void)rocksdb::DB::ListColumnFamilies(p->db_options(), o.path, &existing);
  for (const auto& n : existing) {
    if (n == rocksdb::kDefaultColumnFamilyName || cf_from_name(n)) continue;
    return store_error{store_errc::schema_mismatch,
                       "the data dir " + o.path + " holds column family '" + n +
                           "', unknown to this version (written by a newer one?); nothing was "
                           "changed"};
  }

  auto st = p->open_db();
  if (!st.ok())
    return store_error{store_errc::open_failed,
                       "cannot open the data dir " + o.path + ": " + st.ToString()};

  std::string version;
  st = p->db->Get(rocksdb::ReadOptions{}, p->default_cf, schema_key, &version);
  if (st.ok()) {
    uint32_t found = 0;
    try {
      found = static_cast<uint32_t>(std::stoul(version));
    } catch (...) {
      return store_error{store_errc::schema_mismatch,
                         "unreadable schema version '" + version + "' in " + o.path};
    }
    if (found > schema_version)
      return store_error{store_errc::schema_mismatch,
                         "the data dir " + o.path + " was written by schema " + version +
                             "; this version reads up to " + std::to_string(schema_version) +
                             "; nothing was changed"};
  } else if (!st.IsNotFound()) {
    return io_error(st, "reading the schema version");
  }
  // No version: a fresh store, or an older layout whose missing families were just added.
  if (!st.ok() || version != std::to_string(schema_version)) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    st = p->db->Put(wo, p->default_cf, schema_key, std::to_string(schema_version));
    if (!st.ok()) return io_error(st, "writing the schema version");
  }
  return std::unique_ptr<store>(new store(std::move(p)));
}

std::optional<store_error> store::write(const write_batch& batch, bool sync) {
  return impl_->guarded([&]() -> std::optional<store_error> {
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
    const std::function<bool(std::string_view, std::string_view)>& fn) {
  return impl_->guarded([&]() -> std::optional<store_error> {
    std::unique_ptr<rocksdb::Iterator> it{
        impl_->db->NewIterator(rocksdb::ReadOptions{}, impl_->handle(family))};
    auto now = now_s();
    uint64_t read = 0;
    for (it->Seek(rocksdb::Slice{prefix.data(), prefix.size()}); it->Valid(); it->Next()) {
      std::string_view key{it->key().data(), it->key().size()};
      if (key.substr(0, prefix.size()) != prefix) break;
      auto r = unframe_record(std::string_view{it->value().data(), it->value().size()});
      if (!r) continue;
      if (r->expired_at(now)) continue;
      ++read;
      if (!fn(key, r->payload)) break;
    }
    impl_->reads += read;
    auto st = it->status();
    impl_->outcome(st.ok());
    if (!st.ok()) return io_error(st, "scan");
    return std::nullopt;
  });
}

std::optional<store_error> store::compact(cf family) {
  return impl_->guarded([&]() -> std::optional<store_error> {
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

uint64_t store::count_keys(cf family) {
  std::shared_lock<std::shared_mutex> lock{impl_->db_mtx};
  if (!impl_->db) return 0;
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
  return {impl_->batches.load(), impl_->puts.load(),     impl_->bytes.load(),  impl_->syncs.load(),
          impl_->reads.load(),   impl_->failures.load(), impl_->refused.load()};
}

resilience::breaker_state store::breaker() const {
  std::lock_guard<std::mutex> guard{impl_->breaker_mtx};
  return impl_->breaker.state(std::chrono::steady_clock::now());
}

}  // namespace aragora::storage
