#pragma once
// Inside the storage component only: RocksDB's handle of an open store, for the BackupEngine
// (storage/backup.cpp). Everything else goes through store's own calls.

#include <rocksdb/db.h>

#include <functional>
#include <optional>
#include <string>

#include "storage/store.hpp"

namespace aragora::storage {

class store_backup_access {
public:
  /// Runs `fn` with the database held open (the store's shared lock); its error, or why the
  /// database could not be had.
  [[nodiscard]] static std::optional<std::string> with_db(
      store& s, const std::function<std::optional<std::string>(rocksdb::DB&)>& fn);
};

}  // namespace aragora::storage
