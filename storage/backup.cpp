#include "storage/backup.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>

#include "storage/backup_access.hpp"

namespace aragora::storage {

namespace {

namespace fs = std::filesystem;

backup_error fail(backup_errc code, std::string what, const rocksdb::Status& s) {
  return backup_error{code, std::move(what) + ": " + s.ToString()};
}

rocksdb::BackupEngineOptions options_for(const std::string& dir) {
  rocksdb::BackupEngineOptions o{dir};
  // A backup is whole once its metadata is synced: a crash mid-backup leaves the older ones.
  o.sync = true;
  o.share_table_files = true;
  o.share_files_with_checksum = true;
  return o;
}

/// A read-only engine over `dir` with its backups, valid and damaged.
struct catalogue {
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine;
  std::vector<backup_info> backups;  // by id, damaged ones marked
};

backup_info info_of(const rocksdb::BackupInfo& b) {
  return backup_info{b.backup_id, b.timestamp, b.size, b.number_files, false};
}

backup_result<catalogue> read_catalogue(const std::string& dir) {
  if (!fs::is_directory(dir)) return backup_error{backup_errc::no_backups, dir + " is not a directory"};
  rocksdb::BackupEngineReadOnly* p = nullptr;
  auto s = rocksdb::BackupEngineReadOnly::Open(options_for(dir), rocksdb::Env::Default(), &p);
  if (!s.ok())
    return fail(s.IsNotFound() ? backup_errc::no_backups : backup_errc::backup_failed,
                "cannot read the backups in " + dir, s);
  catalogue c;
  c.engine.reset(p);
  std::vector<rocksdb::BackupInfo> valid;
  c.engine->GetBackupInfo(&valid);
  for (const auto& b : valid) c.backups.push_back(info_of(b));
  std::vector<rocksdb::BackupID> damaged;
  c.engine->GetCorruptedBackups(&damaged);
  for (auto id : damaged) c.backups.push_back(backup_info{id, 0, 0, 0, true});
  std::sort(c.backups.begin(), c.backups.end(), [](const backup_info& a, const backup_info& b) { return a.id < b.id; });
  return c;
}

/// One backup into a directory at a time: a lock file across processes (flock) and, since
/// flock is per open file, a set of the directories this process is backing up.
class dir_lock {
public:
  explicit dir_lock(const std::string& dir) : key_(canonical_or_as_given(dir)) {
    {
      std::lock_guard<std::mutex> lock{mtx()};
      if (!busy().insert(key_).second) return;
    }
    mine_ = true;
    fd_ = ::open((dir + "/LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    held_ = fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
  }
  ~dir_lock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
    if (!mine_) return;
    std::lock_guard<std::mutex> lock{mtx()};
    busy().erase(key_);
  }
  dir_lock(const dir_lock&) = delete;
  dir_lock& operator=(const dir_lock&) = delete;
  [[nodiscard]] bool held() const { return held_; }

private:
  static std::string canonical_or_as_given(const std::string& dir) {
    std::error_code ec;
    auto p = fs::weakly_canonical(dir, ec);
    return ec ? dir : p.string();
  }
  static std::mutex& mtx() {
    static std::mutex m;
    return m;
  }
  static std::set<std::string>& busy() {
    static std::set<std::string> s;
    return s;
  }
  std::string key_;
  int fd_ = -1;
  bool mine_ = false;
  bool held_ = false;
};

}  // namespace

std::string_view to_string(backup_errc x) {
  switch (x) {
    case backup_errc::backup_failed: return "backup_failed";
    case backup_errc::no_backups: return "no_backups";
    case backup_errc::backup_not_found: return "backup_not_found";
    case backup_errc::backup_corrupt: return "backup_corrupt";
    case backup_errc::target_not_empty: return "restore_target_not_empty";
    case backup_errc::restore_failed: return "restore_failed";
    case backup_errc::backup_busy: return "backup_busy";
  }
  return "unknown";
}

backup_result<backup_info> create_backup(store& db, const std::string& dir, uint32_t keep) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return backup_error{backup_errc::backup_failed, "cannot create " + dir + ": " + ec.message()};
  dir_lock lock{dir};
  if (!lock.held())
    return backup_error{backup_errc::backup_busy, "another backup into " + dir + " is running; try again when it has ended"};
  std::optional<backup_error> failed;
  std::optional<backup_info> made;
  auto why = store_backup_access::with_db(db, [&](rocksdb::DB& rdb) -> std::optional<std::string> {
    rocksdb::BackupEngine* p = nullptr;
    auto s = rocksdb::BackupEngine::Open(options_for(dir), rdb.GetEnv(), &p);
    if (!s.ok()) {
      failed = fail(backup_errc::backup_failed, "cannot open the backups in " + dir, s);
      return std::nullopt;
    }
    std::unique_ptr<rocksdb::BackupEngine> be{p};
    rocksdb::CreateBackupOptions co;
    co.flush_before_backup = true;
    rocksdb::BackupID id = 0;
    s = be->CreateNewBackup(co, &rdb, &id);
    if (!s.ok()) {
      failed = fail(backup_errc::backup_failed, "cannot back up " + rdb.GetName() + " into " + dir, s);
      return std::nullopt;
    }
    rocksdb::BackupInfo info;
    if (be->GetBackupInfo(id, &info).ok()) made = info_of(info);
    else made = backup_info{id, 0, 0, 0, false};
    // The backup stands even if the old ones cannot go now; the next backup tries again.
    if (keep > 0) (void)be->PurgeOldBackups(keep);
    return std::nullopt;
  });
  if (why) return backup_error{backup_errc::backup_failed, "cannot back up the store: " + *why};
  if (failed) return *failed;
  return *made;
}

backup_result<std::vector<backup_info>> list_backups(const std::string& dir) {
  auto c = read_catalogue(dir);
  if (!c) return std::move(c).error();
  return std::move(c->backups);
}

backup_result<backup_info> restore_backup(const std::string& dir, std::optional<uint32_t> id,
                                          const std::string& data_dir) {
  std::error_code ec;
  if (fs::exists(data_dir, ec) && !fs::is_empty(data_dir, ec))
    return backup_error{backup_errc::target_not_empty,
                        data_dir + " is not empty: a restore goes into an empty or new directory"};
  auto c = read_catalogue(dir);
  if (!c) return std::move(c).error();
  const auto& all = c->backups;
  if (all.empty()) return backup_error{backup_errc::no_backups, dir + " holds no backup"};
  auto it = all.end() - 1;  // the newest, damaged or not: an older one is not taken silently
  if (id) {
    it = std::find_if(all.begin(), all.end(), [&](const backup_info& b) { return b.id == *id; });
    if (it == all.end())
      return backup_error{backup_errc::backup_not_found, "no backup " + std::to_string(*id) + " in " + dir};
  }
  if (it->damaged)
    return backup_error{backup_errc::backup_corrupt,
                        "backup " + std::to_string(it->id) + " in " + dir +
                            " is damaged (a file is missing or its metadata is unreadable); restore "
                            "another with --id (aragora backup --list --out " + dir + ")"};
  // Every file against its checksum before a byte is written.
  if (auto s = c->engine->VerifyBackup(it->id, true); !s.ok())
    return fail(backup_errc::backup_corrupt, "backup " + std::to_string(it->id) + " in " + dir + " is damaged", s);
  // Into a sibling first, renamed into place once whole.
  auto target = fs::path{data_dir}.lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  auto staging = target;
  staging += ".restoring-" + std::to_string(::getpid());
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return backup_error{backup_errc::restore_failed, "cannot create " + staging.string() + ": " + ec.message()};
  if (auto s = c->engine->RestoreDBFromBackup(it->id, staging.string(), staging.string()); !s.ok()) {
    fs::remove_all(staging, ec);
    auto code = s.IsCorruption() ? backup_errc::backup_corrupt : backup_errc::restore_failed;
    return fail(code, "cannot restore backup " + std::to_string(it->id) + " into " + data_dir, s);
  }
  fs::rename(staging, target, ec);  // over an empty directory too
  if (ec) {
    auto why = ec.message();
    fs::remove_all(staging, ec);
    return backup_error{backup_errc::restore_failed, "cannot move the restored store into " + data_dir + ": " + why};
  }
  return *it;
}

}  // namespace aragora::storage
