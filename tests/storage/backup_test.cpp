// Backups of a store (label integration): taken while writes run, restored whole and consistent,
// incremental, the newest N kept; a non-empty target, a missing id and a damaged backup refused.
// Real RocksDB in temporary directories.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "storage/backup.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora::storage {
namespace {

namespace fs = std::filesystem;

std::string scratch_path(const std::string& stem) {
  static std::atomic<int> n{0};
  auto p = (fs::temp_directory_path() /
            ("aragora-" + stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n)))
               .string();
  fs::remove_all(p);
  return p;
}

struct scratch_dir {
  std::string path;
  ~scratch_dir() { fs::remove_all(path); }
};

/// Batch `n`: the same key in two families, so a backup that cut a batch in two shows it.
write_batch numbered_batch(uint64_t n) {
  write_batch b;
  auto key = "k" + std::to_string(1'000'000 + n);
  b.put(cf::debates, key, "record " + std::to_string(n), 0);
  b.put(cf::debate_events, key, "event " + std::to_string(n), 0);
  b.put(cf::audit, key, std::string(200, static_cast<char>('a' + n % 26)), 0);
  return b;
}

/// Every family's live records.
std::map<std::string, std::map<std::string, std::string>> every_record(store& db) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (auto family : all_cfs) {
    auto& m = out[std::string{name(family)}];
    EXPECT_FALSE(db.scan(family, "", [&](std::string_view k, std::string_view v) {
      m.emplace(std::string{k}, std::string{v});
      return true;
    }));
  }
  return out;
}

std::shared_ptr<store> open_existing(const std::string& path) {
  store_options o;
  o.path = path;
  o.mode = open_mode::existing;
  auto r = store::open(std::move(o));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::shared_ptr<store>{std::move(r.value())} : nullptr;
}

TEST(Backup, ARestoreGivesBackEveryFamilysRecords) {
  test::temp_store src{"backup-src"};
  for (uint64_t n = 0; n < 500; ++n) ASSERT_FALSE(src.db->write(numbered_batch(n), false));
  write_batch other;
  other.put(cf::elo, "agent/ann", "rating", 0);
  other.put(cf::memory_slow, "m1", "remembered", 0);
  ASSERT_FALSE(src.db->write(other, false));
  scratch_dir out{scratch_path("backups")}, restored{scratch_path("restored")};
  auto b = create_backup(*src.db, out.path, 0);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->id, 1u);
  EXPECT_GT(b->files, 0u);
  auto r = restore_backup(out.path, std::nullopt, restored.path);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id, 1u);
  auto db = open_existing(restored.path);
  ASSERT_TRUE(db);
  EXPECT_EQ(every_record(*db), every_record(*src.db));
}

TEST(Backup, ABackupTakenWhileWritesRunHoldsWholeBatchesAndAPrefix) {
  test::temp_store src{"backup-live"};
  std::atomic<bool> stop{false}, writer_failed{false};
  std::atomic<uint64_t> written{0};
  std::thread writer{[&] {
    for (uint64_t n = 0; !stop.load(); ++n) {
      if (src.db->write(numbered_batch(n), false)) {
        writer_failed = true;
        return;
      }
      written.store(n + 1);
    }
  }};
  auto wait_written = [&](uint64_t n) {
    while (written.load() < n && !writer_failed.load()) std::this_thread::yield();
  };
  wait_written(2000);
  scratch_dir out{scratch_path("backups")}, restored{scratch_path("restored")};
  auto b = create_backup(*src.db, out.path, 0);
  auto at_backup = written.load();
  wait_written(at_backup + 2000);
  stop = true;
  writer.join();
  ASSERT_FALSE(writer_failed.load()) << "a write failed";
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_TRUE(restore_backup(out.path, std::nullopt, restored.path));
  auto db = open_existing(restored.path);
  ASSERT_TRUE(db);
  // One point in time: batches 0..k-1 whole, nothing after them, no batch cut in two.
  auto got = every_record(*db);
  const auto& records = got["debates"];
  const auto& events = got["debate_events"];
  ASSERT_GE(records.size(), 2000u);
  ASSERT_LT(records.size(), written.load());
  EXPECT_EQ(records.size(), events.size());
  EXPECT_EQ(got["audit"].size(), records.size());
  for (uint64_t n = 0; n < records.size(); ++n) {
    auto key = "k" + std::to_string(1'000'000 + n);
    ASSERT_EQ(records.count(key), 1u) << "batch " << n << " missing below " << records.size();
    ASSERT_EQ(events.count(key), 1u) << "batch " << n << " cut in two";
  }
}

TEST(Backup, BackupsAreIncrementalAndTheNewestNAreKept) {
  test::temp_store src{"backup-incr"};
  scratch_dir out{scratch_path("backups")};
  for (uint64_t n = 0; n < 3000; ++n) ASSERT_FALSE(src.db->write(numbered_batch(n), false));
  auto first = create_backup(*src.db, out.path, 2);
  ASSERT_TRUE(first) << first.error().message;
  // The table files (shared between backups); each backup also has its own small files.
  auto dir_bytes = [&] {
    uint64_t total = 0;
    for (const auto& f : fs::recursive_directory_iterator(out.path + "/shared_checksum"))
      if (f.is_regular_file()) total += f.file_size();
    return total;
  };
  auto after_first = dir_bytes();
  for (uint64_t n = 3000; n < 3100; ++n) ASSERT_FALSE(src.db->write(numbered_batch(n), false));
  auto second = create_backup(*src.db, out.path, 2);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->id, 2u);
  // The first backup's table files are shared, not copied again.
  EXPECT_LT(dir_bytes() - after_first, after_first / 2);
  for (uint64_t n = 3100; n < 3200; ++n) ASSERT_FALSE(src.db->write(numbered_batch(n), false));
  ASSERT_TRUE(create_backup(*src.db, out.path, 2));
  auto all = list_backups(out.path);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);  // the newest two
  EXPECT_EQ((*all)[0].id, 2u);
  EXPECT_EQ((*all)[1].id, 3u);
  // An older one restores what it held then.
  scratch_dir restored{scratch_path("restored")};
  ASSERT_TRUE(restore_backup(out.path, 2u, restored.path));
  auto db = open_existing(restored.path);
  ASSERT_TRUE(db);
  EXPECT_EQ(every_record(*db)["debates"].size(), 3100u);
}

TEST(Backup, ARestoreRefusesANonEmptyDirectoryAMissingIdAndAnEmptyBackupDir) {
  test::temp_store src{"backup-refuse"};
  ASSERT_FALSE(src.db->write(numbered_batch(1), false));
  scratch_dir out{scratch_path("backups")}, target{scratch_path("target")};
  ASSERT_TRUE(create_backup(*src.db, out.path, 0));
  fs::create_directories(target.path);
  std::ofstream{target.path + "/keep-me"} << "mine";
  auto r = restore_backup(out.path, std::nullopt, target.path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), backup_errc::target_not_empty);
  EXPECT_EQ(to_string(r.code()), "restore_target_not_empty");
  EXPECT_TRUE(fs::exists(target.path + "/keep-me"));
  EXPECT_EQ(fs::directory_iterator{target.path}->path().filename(), "keep-me");

  scratch_dir fresh{scratch_path("fresh")};
  auto missing = restore_backup(out.path, 7u, fresh.path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.code(), backup_errc::backup_not_found);
  EXPECT_FALSE(fs::exists(fresh.path));

  scratch_dir empty{scratch_path("empty-backups")};
  fs::create_directories(empty.path);
  auto none = restore_backup(empty.path, std::nullopt, fresh.path);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.code(), backup_errc::no_backups);
  auto nothing = list_backups(empty.path + "/not-there");
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.code(), backup_errc::no_backups);
}

TEST(Backup, ANewestBackupMissingAFileIsRefusedNotPassedOverForAnOlderOne) {
  test::temp_store src{"backup-missing"};
  scratch_dir out{scratch_path("backups")}, restored{scratch_path("restored")};
  for (uint64_t n = 0; n < 500; ++n) ASSERT_FALSE(src.db->write(numbered_batch(n), false));
  ASSERT_TRUE(create_backup(*src.db, out.path, 0));
  for (uint64_t n = 500; n < 1000; ++n) ASSERT_FALSE(src.db->write(numbered_batch(n), false));
  ASSERT_TRUE(create_backup(*src.db, out.path, 0));
  // Remove a table file only the second backup holds (the newest one in shared_checksum).
  fs::path newest;
  fs::file_time_type when{};
  for (const auto& f : fs::directory_iterator(out.path + "/shared_checksum"))
    if (f.path().extension() == ".sst" && (newest.empty() || f.last_write_time() > when)) {
      newest = f.path();
      when = f.last_write_time();
    }
  ASSERT_FALSE(newest.empty());
  fs::remove(newest);
  auto listed = list_backups(out.path);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_FALSE((*listed)[0].damaged);
  EXPECT_TRUE((*listed)[1].damaged);
  auto r = restore_backup(out.path, std::nullopt, restored.path);
  ASSERT_FALSE(r) << "backup " << r->id << " was restored in place of the damaged newest";
  EXPECT_EQ(r.code(), backup_errc::backup_corrupt) << r.error().message;
  EXPECT_FALSE(fs::exists(restored.path));
  // The older one, asked for by id, restores.
  auto older = restore_backup(out.path, 1u, restored.path);
  ASSERT_TRUE(older) << older.error().message;
  auto db = open_existing(restored.path);
  ASSERT_TRUE(db);
  EXPECT_EQ(every_record(*db)["debates"].size(), 500u);
}

TEST(Backup, OneBackupIntoADirectoryAtATime) {
  test::temp_store src{"backup-busy"};
  scratch_dir out{scratch_path("backups")};
  ASSERT_FALSE(src.db->write(numbered_batch(1), false));
  fs::create_directories(out.path);
  // Another process holds the directory's lock.
  int fd = ::open((out.path + "/LOCK").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  auto busy = create_backup(*src.db, out.path, 0);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.code(), backup_errc::backup_busy);
  ::close(fd);
  EXPECT_TRUE(create_backup(*src.db, out.path, 0));
}

TEST(Backup, ADamagedBackupIsRefusedBeforeAnythingIsRestored) {
  test::temp_store src{"backup-damaged"};
  for (uint64_t n = 0; n < 1000; ++n) ASSERT_FALSE(src.db->write(numbered_batch(n), false));
  scratch_dir out{scratch_path("backups")}, restored{scratch_path("restored")};
  ASSERT_TRUE(create_backup(*src.db, out.path, 0));
  // Flip a byte in the middle of the biggest table file the backup holds.
  fs::path victim;
  uintmax_t biggest = 0;
  for (const auto& f : fs::recursive_directory_iterator(out.path))
    if (f.is_regular_file() && f.path().extension() == ".sst" && f.file_size() > biggest) {
      biggest = f.file_size();
      victim = f.path();
    }
  ASSERT_FALSE(victim.empty()) << "no table file in the backup";
  {
    std::fstream f{victim, std::ios::in | std::ios::out | std::ios::binary};
    f.seekg(static_cast<std::streamoff>(biggest / 2));
    char c = 0;
    f.read(&c, 1);
    f.seekp(static_cast<std::streamoff>(biggest / 2));
    c = static_cast<char>(c ^ 0x5a);
    f.write(&c, 1);
  }
  auto r = restore_backup(out.path, std::nullopt, restored.path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), backup_errc::backup_corrupt) << r.error().message;
  EXPECT_NE(r.error().message.find("damaged"), std::string::npos) << r.error().message;
  EXPECT_FALSE(fs::exists(restored.path) && !fs::is_empty(restored.path)) << "something was restored";
}

}  // namespace
}  // namespace aragora::storage
