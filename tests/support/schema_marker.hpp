#pragma once
// The store's schema marker read or set behind the store's back, as another version of the
// program would.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <string>
#include <vector>

namespace aragora::test {

/// Opens the RocksDB in `path` with all its column families and sets (or, with `value` empty,
/// only reads) the schema marker; returns the marker.
inline std::string raw_schema_marker(const std::string& path, const std::string& value = {}) {
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

}  // namespace aragora::test
