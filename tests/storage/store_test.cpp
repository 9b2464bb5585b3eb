#include "storage/store.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "storage/record.hpp"
#include "tests/support/schema_marker.hpp"

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

TEST(Store, TheExpiryOutlookSaysWhatTheNextSweepDropsAndWhatFollowsFromEachRecordsOwnExpiry) {
  temp_dir dir;
  test_clock clock;
  auto s = open_store(dir.path, clock);
  ASSERT_TRUE(s);
  const int64_t t0 = clock.now->load();
  write_batch b;
  b.put(cf::debates, "a-soon", "1234", t0 + 10);       // 6 + 4 bytes
  b.put(cf::debates, "b-later", "12345678", t0 + 7200);  // 7 + 8
  b.put(cf::debates, "c-forever", "x", 0);
  b.put(cf::debates, "d-next-week", "xy", t0 + 7 * 86400);
  ASSERT_FALSE(s->write(b, false));
  const uint64_t header = record_header_size;

  auto o = s->expiry_outlook_of(cf::debates, 86400, 100);
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_TRUE(o.value().complete);
  EXPECT_EQ(o.value().scanned, 4u);
  EXPECT_EQ(o.value().expired_records, 0u);
  EXPECT_EQ(o.value().due_records, 2u);
  EXPECT_EQ(o.value().due_bytes, 6 + 4 + header + 7 + 8 + header);
  EXPECT_EQ(o.value().next_expiry_s, t0 + 10);

  // Past the first expiry: it waits for the sweep, and the next one ahead is the second.
  clock.now->fetch_add(60);
  o = s->expiry_outlook_of(cf::debates, 86400, 100);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value().expired_records, 1u);
  EXPECT_EQ(o.value().expired_bytes, 6 + 4 + header);
  EXPECT_EQ(o.value().due_records, 1u);
  EXPECT_EQ(o.value().next_expiry_s, t0 + 7200);
  // The sweep (a compaction) drops it; the outlook follows.
  ASSERT_FALSE(s->compact(cf::debates));
  o = s->expiry_outlook_of(cf::debates, 86400, 100);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value().expired_records, 0u);
  EXPECT_EQ(o.value().scanned, 3u);

  // A budget smaller than the family says so rather than pretending.
  o = s->expiry_outlook_of(cf::debates, 86400, 2);
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o.value().complete);
  EXPECT_EQ(o.value().scanned, 2u);
  // An empty family has nothing ahead.
  o = s->expiry_outlook_of(cf::critiques, 86400, 100);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.value().scanned, 0u);
  EXPECT_EQ(o.value().next_expiry_s, 0);
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

using test::raw_schema_marker;

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

/// A store of schema 1 in `path`: a complete store whose marker says 1, as the previous version
/// left it.
void make_schema_1_store(const std::string& path, const test_clock& clock) {
  ASSERT_TRUE(open_store(path, clock));
  ASSERT_EQ(raw_schema_marker(path, "1"), "1");
}

TEST(Store, AnUpgradeRunsOnAReadWriteOpenBeforeTheMarkerMoves) {
  temp_dir dir;
  test_clock clock;
  make_schema_1_store(dir.path, clock);
  std::vector<uint32_t> calls;
  store_options o;
  o.path = dir.path;
  o.now_s = clock.fn();
  o.upgrade = [&](store& db, uint32_t from) -> result<std::string> {
    calls.push_back(from);
    EXPECT_EQ(db.schema(), 1u);
    EXPECT_EQ(raw_schema_marker(dir.path), "1") << "the marker moved before the upgrade ran";
    write_batch b;
    b.put(cf::debate_index, "upgraded", "", 0);
    if (auto e = db.write(b, true)) return *e;
    return std::string{"did the upgrade"};
  };
  {
    auto ro = o;
    ro.mode = open_mode::read_only;
    auto r = store::open(ro);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value()->schema(), 1u);
    EXPECT_TRUE(calls.empty()) << "a read-only open wrote the upgrade";
  }
  {
    auto r = store::open(o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(calls, std::vector<uint32_t>{1});
    EXPECT_EQ(r.value()->schema(), store::schema_version);
    EXPECT_TRUE(r.value()->get(cf::debate_index, "upgraded").value());
    EXPECT_EQ(r.value()->open_notes(), std::vector<std::string>{"did the upgrade"});
  }
  EXPECT_EQ(raw_schema_marker(dir.path), std::to_string(store::schema_version));
  // Once upgraded, never again.
  ASSERT_TRUE(store::open(o).ok());
  EXPECT_EQ(calls.size(), 1u);
}

TEST(Store, AFailedUpgradeFailsTheOpenAndLeavesTheMarker) {
  temp_dir dir;
  test_clock clock;
  make_schema_1_store(dir.path, clock);
  store_options o;
  o.path = dir.path;
  o.now_s = clock.fn();
  o.upgrade = [](store&, uint32_t) -> result<std::string> {
    return store_error{store_errc::io_error, "the upgrade could not write"};
  };
  auto r = store::open(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "the upgrade could not write");
  EXPECT_EQ(raw_schema_marker(dir.path), "1");
}

TEST(Store, WithoutAnUpgradeAnOlderStoreKeepsItsMarker) {
  // Nothing may claim the newer schema's content (the list index) that was never built.
  temp_dir dir;
  test_clock clock;
  make_schema_1_store(dir.path, clock);
  auto s = open_store(dir.path, clock);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema(), 1u);
  s.reset();
  EXPECT_EQ(raw_schema_marker(dir.path), "1");
  // A new store has nothing to upgrade: it is created at this schema, and no upgrade runs.
  temp_dir fresh;
  store_options o;
  o.path = fresh.path;
  o.now_s = clock.fn();
  bool called = false;
  o.upgrade = [&](store&, uint32_t) -> result<std::string> {
    called = true;
    return std::string{};
  };
  auto r = store::open(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()->schema(), store::schema_version);
  EXPECT_FALSE(called);
}

TEST(Store, ScansNewestFirstWithinTheirPrefix) {
  temp_dir dir;
  test_clock clock;
  auto s = open_store(dir.path, clock);
  ASSERT_TRUE(s);
  write_batch b;
  for (const char* k : {"a", "a/1", "a/2", "a/3", "a0", "b/1", "\xff\xff", "\xff\xff\x01"})
    b.put(cf::debate_index, k, "", 0);
  b.put(cf::debate_index, "a/25", "", clock.now->load() + 5);
  ASSERT_FALSE(s->write(b, false));
  auto keys = [&](std::string_view prefix, scan_order order, size_t stop_after = 100) {
    std::vector<std::string> out;
    EXPECT_FALSE(s->scan_records(cf::debate_index, prefix, order,
                                 [&](std::string_view k, const record_view&) {
                                   out.emplace_back(k);
                                   return out.size() < stop_after;
                                 }));
    return out;
  };
  using v = std::vector<std::string>;
  EXPECT_EQ(keys("a/", scan_order::descending), (v{"a/3", "a/25", "a/2", "a/1"}));
  EXPECT_EQ(keys("a/", scan_order::ascending), (v{"a/1", "a/2", "a/25", "a/3"}));
  EXPECT_EQ(keys("a/", scan_order::descending, 2), (v{"a/3", "a/25"}));
  // A prefix of 0xff bytes has no upper bound: the scan starts at the very last key.
  EXPECT_EQ(keys("\xff", scan_order::descending), (v{"\xff\xff\x01", "\xff\xff"}));
  EXPECT_EQ(keys("", scan_order::descending).size(), 9u);
  EXPECT_EQ(keys("", scan_order::descending).front(), "\xff\xff\x01");
  EXPECT_TRUE(keys("c", scan_order::descending).empty());
  clock.now->fetch_add(5);  // "a/25" expires
  EXPECT_EQ(keys("a/", scan_order::descending), (v{"a/3", "a/2", "a/1"}));
}

TEST(Store, AReaderOfSomeFamiliesIsRefusedTheOthers) {
  temp_dir dir;
  test_clock clock;
  {
    auto s = open_store(dir.path, clock);
    ASSERT_TRUE(s);
    write_batch b;
    b.put(cf::debates, "d", "x", 0);
    b.put(cf::debate_events, "d/1", "e", 0);
    ASSERT_FALSE(s->write(b, true));
  }
  store_options o;
  o.path = dir.path;
  o.now_s = clock.fn();
  o.mode = open_mode::read_only;
  o.families = {cf::debates};
  auto r = store::open(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto& s = *r.value();
  EXPECT_EQ(*s.get(cf::debates, "d").value(), "x");
  auto events = s.get(cf::debate_events, "d/1");
  ASSERT_FALSE(events.ok()) << "a family left out read as empty";
  EXPECT_EQ(events.error().code, store_errc::io_error);
  auto scan = s.scan(cf::debate_events, "", [](std::string_view, std::string_view) { return true; });
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->code, store_errc::io_error);
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
