#include "storage/store.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "storage/record.hpp"

namespace aragora::storage {
namespace {

using namespace std::chrono_literals;

struct temp_dir {
  std::string path;
  temp_dir() {
    static int n = 0;
    path = (std::filesystem::temp_directory_path() /
            ("aragora-store-" + std::to_string(::getpid()) + "-" + std::to_string(++n)))
               .string();
    std::filesystem::remove_all(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

/// A clock tests move by hand.
struct test_clock {
  std::shared_ptr<std::atomic<int64_t>> now = std::make_shared<std::atomic<int64_t>>(1'800'000'000);
  clock_fn fn() const {
    return [n = now] { return n->load(); };
  }
};

std::unique_ptr<store> open_store(const std::string& path, const test_clock& clock,
                                  rocksdb::Env* env = nullptr,
                                  std::chrono::milliseconds recovery = 10'000ms) {
  store_options o;
  o.path = path;
  o.now_s = clock.fn();
  o.env = env;
  o.breaker_recovery = recovery;
  auto r = store::open(std::move(o));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r.value()) : nullptr;
}

/// Writes one value into a new column family of a plain RocksDB in `path`, as another program
/// (or another version) would.
void write_raw(const std::string& path, const std::string& family, const std::string& key,
               const std::string& value) {
  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(o, path, &db).ok());
  rocksdb::ColumnFamilyHandle* h = nullptr;
  ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions{}, family, &h).ok());
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions{}, h, key, value).ok());
  db->DestroyColumnFamilyHandle(h);
  delete db;
}

TEST(Store, EveryColumnFamilyRoundTrips) {
  temp_dir dir;
  test_clock clock;
  auto s = open_store(dir.path, clock);
  ASSERT_TRUE(s);
  write_batch b;
  for (auto family : all_cfs) {
    b.put(family, "k1", std::string{"v1-"} + std::string{name(family)}, 0);
    b.put(family, "k2", std::string{"v2-"} + std::string{name(family)}, s->expiry_for(family));
  }
  ASSERT_FALSE(s->write(b, true));
  for (auto family : all_cfs) {
    auto v = s->get(family, "k1");
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(v.value()) << name(family);
    EXPECT_EQ(*v.value(), std::string{"v1-"} + std::string{name(family)});
    std::vector<std::string> keys;
    ASSERT_FALSE(s->scan(family, "k", [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    }));
    EXPECT_EQ(keys, (std::vector<std::string>{"k1", "k2"})) << name(family);
  }
  auto missing = s->get(cf::debates, "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing.value());
  // Reopening keeps everything.
  s.reset();
  s = open_store(dir.path, clock);
  ASSERT_TRUE(s);
  for (auto family : all_cfs) {
    auto v = s->get(family, "k1");
    ASSERT_TRUE(v.ok() && v.value()) << name(family);
    EXPECT_EQ(*v.value(), std::string{"v1-"} + std::string{name(family)});
  }
  EXPECT_GT(s->stats().reads, 0u);
}

TEST(Store, ExpiredRecordsAreInvisibleToReadsAtOnceAndGoneAfterCompaction) {
  temp_dir dir;
  test_clock clock;
  auto s = open_store(dir.path, clock);
  ASSERT_TRUE(s);
  auto one_hour = s->expiry_for(cf::memory_fast);
  EXPECT_EQ(one_hour, clock.now->load() + 3600);
  write_batch b;
  b.put(cf::memory_fast, "short", "x", one_hour);
  b.put(cf::memory_fast, "long", "y", s->expiry_for(cf::memory_glacial));
  b.put(cf::memory_fast, "forever", "z", 0);
  ASSERT_FALSE(s->write(b, false));
  clock.now->fetch_add(3599);
  EXPECT_TRUE(s->get(cf::memory_fast, "short").value());
  clock.now->fetch_add(1);  // exactly at the expiry second
  EXPECT_FALSE(s->get(cf::memory_fast, "short").value());
  size_t live = 0;
  ASSERT_FALSE(s->scan(cf::memory_fast, "", [&](auto, auto) { return ++live, true; }));
  EXPECT_EQ(live, 2u);
  // Still on disk until compaction...
  EXPECT_EQ(s->count_keys(cf::memory_fast), 3u);
  ASSERT_FALSE(s->compact(cf::memory_fast));
  EXPECT_EQ(s->count_keys(cf::memory_fast), 2u);
  // ...and a month later only the record without expiry is left.
  clock.now->fetch_add(31 * 24 * 3600);
  ASSERT_FALSE(s->compact_all());
  EXPECT_EQ(s->count_keys(cf::memory_fast), 1u);
  EXPECT_TRUE(s->get(cf::memory_fast, "forever").value());
}

TEST(Store, AScanStopsAtTheEndOfItsPrefix) {
  // Debate logs are scanned by "<id>/": another debate's records must never come along.
  temp_dir dir;
  test_clock clock;
  auto s = open_store(dir.path, clock);
  ASSERT_TRUE(s);
  write_batch b;
  for (const char* k : {"a/1", "a/2", "a0", "ab/1", "b/1"}) b.put(cf::debate_events, k, k, 0);
  ASSERT_FALSE(s->write(b, false));
  std::vector<std::string> keys;
  ASSERT_FALSE(s->scan(cf::debate_events, "a/", [&](std::string_view k, std::string_view v) {
    EXPECT_EQ(k, v);
    keys.emplace_back(k);
    return true;
  }));
  EXPECT_EQ(keys, (std::vector<std::string>{"a/1", "a/2"}));
}

TEST(Store, CompactionKeepsRecordsItCannotRead) {
  // A value without a valid header (damage, or a format this version does not know) may be the
  // only copy of a debate: the TTL filter drops only what it can read as expired.
  temp_dir dir;
  test_clock clock;
  auto s = open_store(dir.path, clock);
  ASSERT_TRUE(s);
  write_batch b;
  b.put_framed(cf::debates, "short", "x");
  b.put_framed(cf::debates, "unknown-format", std::string(16, '\x07'));
  b.put(cf::debates, "expiring", "x", clock.now->load() + 10);
  ASSERT_FALSE(s->write(b, true));
  clock.now->fetch_add(100LL * 365 * 24 * 3600);
  ASSERT_FALSE(s->compact(cf::debates));
  EXPECT_EQ(s->count_keys(cf::debates), 2u);
}

TEST(Store, EveryColumnFamilyExpiresAtItsOwnRetention) {
  temp_dir dir;
  test_clock clock;
  auto s = open_store(dir.path, clock);
  ASSERT_TRUE(s);
  write_batch b;
  for (auto family : all_cfs) b.put(family, "k", "v", s->expiry_for(family));
  ASSERT_FALSE(s->write(b, false));
  const auto start = clock.now->load();
  for (auto family : all_cfs) {
    auto keep = s->retention().of(family);
    if (keep == 0) continue;  // kept until deleted
    clock.now->store(start + keep - 1);
    EXPECT_TRUE(s->get(family, "k").value()) << name(family) << " a second before its expiry";
    clock.now->store(start + keep);
    EXPECT_FALSE(s->get(family, "k").value()) << name(family) << " at its expiry";
    ASSERT_FALSE(s->compact(family));
    EXPECT_EQ(s->count_keys(family), 0u) << name(family) << " after compaction";
  }
  // Families kept until deleted survive any amount of time.
  clock.now->store(start + 100LL * 365 * 24 * 3600);
  ASSERT_FALSE(s->compact_all());
  for (auto family : all_cfs) {
    if (s->retention().of(family) == 0) {
      EXPECT_TRUE(s->get(family, "k").value()) << name(family);
    }
  }
}

TEST(Store, RefusesUnknownColumnFamiliesAndNewerSchemas) {
  temp_dir dir;
  test_clock clock;
  // A directory written by "a newer version": one extra column family.
  write_raw(dir.path, "holograms", "k", "v");
  store_options o;
  o.path = dir.path;
  o.now_s = clock.fn();
  auto r = store::open(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, store_errc::schema_mismatch);
  EXPECT_NE(r.error().message.find("holograms"), std::string::npos);
  // Nothing was dropped.
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, dir.path, &families).ok());
  EXPECT_NE(std::find(families.begin(), families.end(), "holograms"), families.end());

  temp_dir newer;
  {
    rocksdb::Options opts;
    opts.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(opts, newer.path, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions{}, "aragora/schema", "99").ok());
    delete db;
  }
  o.path = newer.path;
  auto r2 = store::open(o);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, store_errc::schema_mismatch);
  EXPECT_NE(r2.error().message.find("99"), std::string::npos);
}

/// Opens the RocksDB in `path` with all its column families, as another version of the program
/// would, and sets (or, with `value` empty, only reads) the schema marker.
std::string raw_schema_marker(const std::string& path, const std::string& value = {}) {
  std::vector<std::string> names;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions{});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  auto st = value.empty()
                ? rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions{}, path, families, &handles, &db)
                : rocksdb::DB::Open(rocksdb::DBOptions{}, path, families, &handles, &db);
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (!st.ok()) return {};
  if (!value.empty()) {
    EXPECT_TRUE(db->Put(rocksdb::WriteOptions{}, "aragora/schema", value).ok());
  }
  std::string marker;
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions{}, "aragora/schema", &marker).ok());
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  return marker;
}

TEST(Store, RefusesAStoreOneSchemaVersionNewerAndLeavesItsMarkerAsItWas) {
  // The boundary of the guard: a store written by the very next schema version. An off-by-one
  // would open it and rewrite its marker down to this version, hiding the newer data's format.
  temp_dir dir;
  test_clock clock;
  ASSERT_TRUE(open_store(dir.path, clock));  // a complete store of this version
  ASSERT_EQ(raw_schema_marker(dir.path), std::to_string(store::schema_version));
  const auto newer = std::to_string(store::schema_version + 1);
  ASSERT_EQ(raw_schema_marker(dir.path, newer), newer);
  store_options o;
  o.path = dir.path;
  o.now_s = clock.fn();
  auto r = store::open(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, store_errc::schema_mismatch);
  EXPECT_NE(r.error().message.find("schema " + newer), std::string::npos) << r.error().message;
  EXPECT_EQ(raw_schema_marker(dir.path), newer) << "a refused open changed the marker";
  // A second attempt is refused the same way: nothing on disk moved towards this version.
  auto again = store::open(o);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, store_errc::schema_mismatch);
}

TEST(Store, RefusesANewerSchemaLackingOurFamiliesWithoutAddingThem) {
  // A newer layout that dropped some of our families: the migration that adds missing families
  // must not run before the version is checked.
  temp_dir dir;
  test_clock clock;
  write_raw(dir.path, "debates", "d1", frame_record(0, "newer"));
  const auto newer = std::to_string(store::schema_version + 1);
  ASSERT_EQ(raw_schema_marker(dir.path, newer), newer);
  std::vector<std::string> before;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, dir.path, &before).ok());
  store_options o;
  o.path = dir.path;
  o.now_s = clock.fn();
  o.mode = open_mode::existing;
  auto r = store::open(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, store_errc::schema_mismatch);
  std::vector<std::string> after;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, dir.path, &after).ok());
  EXPECT_EQ(after, before) << "the refused open added column families";
  EXPECT_EQ(raw_schema_marker(dir.path), newer);
}

TEST(Store, MigratesAnOlderLayoutByAddingColumnFamilies) {
  temp_dir dir;
  test_clock clock;
  // An older layout: only the debates family, holding one record.
  write_raw(dir.path, "debates", "d1", frame_record(0, "old"));
  auto s = open_store(dir.path, clock);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s->get(cf::debates, "d1").value(), "old");
  write_batch b;
  b.put(cf::audit, "a", "new family works", 0);
  EXPECT_FALSE(s->write(b, true));
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, dir.path, &families).ok());
  EXPECT_EQ(families.size(), cf_count + 1);
}

// A file system whose writes fail while `failing` is set.
class flaky_fs : public rocksdb::FileSystemWrapper {
public:
  explicit flaky_fs(std::shared_ptr<rocksdb::FileSystem> t) : FileSystemWrapper(std::move(t)) {}
  static const char* kClassName() { return "flaky_fs"; }
  const char* Name() const override { return kClassName(); }

  std::atomic<bool> failing{false};

  class file : public rocksdb::FSWritableFileOwnerWrapper {
  public:
    file(std::unique_ptr<rocksdb::FSWritableFile>&& f, std::atomic<bool>* failing)
        : FSWritableFileOwnerWrapper(std::move(f)), failing_(failing) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (failing_->load()) return rocksdb::IOStatus::IOError("injected write failure");
      return FSWritableFileOwnerWrapper::Append(data, o, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* dbg) override {
      if (failing_->load()) return rocksdb::IOStatus::IOError("injected write failure");
      return FSWritableFileOwnerWrapper::Append(data, o, v, dbg);
    }

  private:
    std::atomic<bool>* failing_;
  };

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> f;
    auto s = target()->NewWritableFile(fname, o, &f, dbg);
    if (s.ok()) result->reset(new file(std::move(f), &failing));
    return s;
  }
};

TEST(Store, TheBreakerOpensOnAFailingDiskAndClosesAfterATrial) {
  temp_dir dir;
  test_clock clock;
  auto fs = std::make_shared<flaky_fs>(rocksdb::FileSystem::Default());
  auto env = rocksdb::NewCompositeEnv(fs);
  auto s = open_store(dir.path, clock, env.get(), 300ms);
  ASSERT_TRUE(s);
  auto one = [] {
    write_batch b;
    b.put(cf::debates, "d", "x", 0);
    return b;
  };
  ASSERT_FALSE(s->write(one(), false));

  fs->failing = true;
  auto e1 = s->write(one(), false);
  auto e2 = s->write(one(), false);
  ASSERT_TRUE(e1 && e2);
  EXPECT_EQ(e1->code, store_errc::io_error);
  EXPECT_EQ(s->breaker(), resilience::breaker_state::open);
  // Open: refused fast, without touching the disk.
  auto refused = s->write(one(), false);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, store_errc::unavailable);
  EXPECT_NE(refused->message.find("retry in"), std::string::npos);
  auto read = s->get(cf::debates, "d");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, store_errc::unavailable);
  EXPECT_EQ(s->stats().refused, 2u);

  // A trial while the disk still fails opens the breaker again for a fresh recovery time.
  std::this_thread::sleep_for(350ms);
  EXPECT_EQ(s->breaker(), resilience::breaker_state::half_open);
  auto failed_trial = s->write(one(), false);
  ASSERT_TRUE(failed_trial);
  EXPECT_NE(failed_trial->code, store_errc::unavailable) << "the trial must reach the disk";
  EXPECT_EQ(s->breaker(), resilience::breaker_state::open);
  auto refused_again = s->write(one(), false);
  ASSERT_TRUE(refused_again);
  EXPECT_EQ(refused_again->code, store_errc::unavailable);

  // The disk recovers; after the recovery time one trial goes through and closes the breaker.
  fs->failing = false;
  std::this_thread::sleep_for(350ms);
  EXPECT_EQ(s->breaker(), resilience::breaker_state::half_open);
  auto trial = s->write(one(), true);
  EXPECT_FALSE(trial) << trial->message;
  EXPECT_EQ(s->breaker(), resilience::breaker_state::closed);
  EXPECT_TRUE(s->get(cf::debates, "d").value());
}

}  // namespace
}  // namespace aragora::storage
