// The raw RocksDB write rate the durable debate store is compared against (issue 3, target 4):
// the same value sizes as workload W, written as one WriteBatch per debate step through the WAL
// (no sync per batch), with one synced write per finished debate.

#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

namespace {

struct fresh_db {
  std::string path;
  rocksdb::DB* db = nullptr;

  explicit fresh_db(const std::string& name) {
    path = (std::filesystem::temp_directory_path() /
            ("aragora-rocksdb-raw-" + name + "-" + std::to_string(::getpid())))
               .string();
    std::filesystem::remove_all(path);
    rocksdb::Options opts;
    opts.create_if_missing = true;
    auto st = rocksdb::DB::Open(opts, path, &db);
    if (!st.ok()) std::fprintf(stderr, "open failed: %s\n", st.ToString().c_str());
  }
  ~fresh_db() {
    delete db;
    std::filesystem::remove_all(path);
  }
};

// One DB for every thread of a run, so concurrent writers share RocksDB's group commit as
// concurrent debates do.
fresh_db& shared_db() {
  static fresh_db db{"debates"};
  return db;
}

// W: 2 rounds x (3 proposals + 6 critiques of 2 KB, 3 votes of 120 B), one batch per step.
void BM_RawDebateWrites(benchmark::State& state) {
  auto& d = shared_db();
  std::mt19937_64 rng(1);
  std::string big(2048, 'x'), small(120, 'v');
  for (auto& c : big) c = static_cast<char>('a' + rng() % 26);
  rocksdb::WriteOptions async_wal;
  rocksdb::WriteOptions synced;
  synced.sync = true;
  uint64_t debate = static_cast<uint64_t>(state.thread_index()) << 40;
  int64_t bytes = 0;
  for (auto _ : state) {
    char key[25];  // 16 + 8 hex digits and the terminator
    uint32_t seq = 0;
    auto put_step = [&](int count, const std::string& value) {
      rocksdb::WriteBatch batch;
      for (int i = 0; i < count; ++i) {
        std::snprintf(key, sizeof key, "%016llx%08x", static_cast<unsigned long long>(debate), seq++);
        batch.Put(key, value);
        bytes += static_cast<int64_t>(value.size() + 24);
      }
      d.db->Write(async_wal, &batch);
    };
    for (int round = 0; round < 2; ++round) {
      put_step(3, big);
      put_step(6, big);
      put_step(3, small);
    }
    rocksdb::WriteBatch done;
    std::snprintf(key, sizeof key, "%016llx%08x", static_cast<unsigned long long>(debate), seq++);
    done.Put(key, small);
    d.db->Write(synced, &done);
    ++debate;
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawDebateWrites)->Unit(benchmark::kMicrosecond)->UseRealTime()->Threads(1)->Threads(8)->Threads(32);

// Plain 2 KB puts through the WAL without sync: the ceiling for appending events.
void BM_RawPut2KB(benchmark::State& state) {
  fresh_db d{"puts"};
  std::string value(2048, 'y');
  rocksdb::WriteOptions wo;
  uint64_t n = 0;
  for (auto _ : state) {
    char key[17];
    std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(n++));
    d.db->Put(wo, key, value);
  }
  state.SetBytesProcessed(state.iterations() * 2064);
}
BENCHMARK(BM_RawPut2KB)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
