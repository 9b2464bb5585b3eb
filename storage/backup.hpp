#pragma once
// Backups of a store (RocksDB's BackupEngine): every column family at one point in time, taken
// while the store keeps serving, incremental (table files are shared between the backups of one
// directory), checked file by file against their checksums before a restore.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/error/error.hpp"
#include "storage/store.hpp"

namespace aragora::storage {

enum class backup_errc : uint8_t {
  backup_failed = 1,  // the backup could not be written (its directory, the disk, the store)
  no_backups,         // the directory holds no backup
  backup_not_found,   // no backup has that id
  backup_corrupt,     // a file of the backup is missing, cut short or fails its checksum
  target_not_empty,   // a restore goes into an empty (or new) directory only
  restore_failed,     // the restore could not be written
  backup_busy,        // another backup into the same directory is running
};

[[nodiscard]] std::string_view to_string(backup_errc x);

using backup_error = error<backup_errc>;
template <class T>
using backup_result = expected<T, backup_errc>;

struct backup_info {
  uint32_t id = 0;
  int64_t timestamp = 0;  // when it was taken, seconds since the epoch
  uint64_t bytes = 0;     // its files' size (shared ones counted in every backup holding them)
  uint32_t files = 0;
  bool damaged = false;   // a file is missing or its metadata unreadable (only the id is known)
};

/// Backs the open store up into `dir` (created if missing) and keeps the newest `keep` backups
/// there (0: all). The memtables are flushed first; the live WAL is copied too (the families
/// are not flushed atomically: replaying it makes them one point in time). One backup into a
/// directory at a time, across processes (`dir`/LOCK): a second is refused (backup_busy).
[[nodiscard]] backup_result<backup_info> create_backup(store& db, const std::string& dir, uint32_t keep);

/// The backups in `dir`, oldest first, damaged ones included (marked).
[[nodiscard]] backup_result<std::vector<backup_info>> list_backups(const std::string& dir);

/// Restores backup `id` (the newest when none is given) of `dir` into `data_dir`, which must not
/// exist or be empty. Every file is checked against its checksum first: a damaged backup is
/// refused before anything is written (and the newest one being damaged is not passed over for
/// an older one: that takes its --id). The files go into a sibling directory renamed into place
/// once whole, so a failed restore leaves nothing behind.
[[nodiscard]] backup_result<backup_info> restore_backup(const std::string& dir, std::optional<uint32_t> id,
                                                        const std::string& data_dir);

}  // namespace aragora::storage
