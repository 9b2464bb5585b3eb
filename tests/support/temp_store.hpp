#pragma once
// A store in a fresh temporary directory, with a clock the test moves by hand; the directory is
// removed at the end.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

#include "storage/store.hpp"

namespace aragora::test {

struct temp_store {
  std::string path;
  std::shared_ptr<std::atomic<int64_t>> now =
      std::make_shared<std::atomic<int64_t>>(1'800'000'000);
  std::shared_ptr<storage::store> db;

  explicit temp_store(const std::string& stem) {
    static std::atomic<int> n{0};
    path = (std::filesystem::temp_directory_path() /
            ("aragora-" + stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n)))
               .string();
    std::filesystem::remove_all(path);
    reopen();
  }

  temp_store(const temp_store&) = delete;
  temp_store& operator=(const temp_store&) = delete;

  ~temp_store() {
    db.reset();
    // Another holder (a debate's services, an actor not gone yet) may keep the store open a moment
    // longer, and RocksDB may still add a file while the directory goes: retry, never throw.
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
      if (!ec) return;
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
  }

  [[nodiscard]] storage::clock_fn clock() const {
    return [n = now] { return n->load(); };
  }

  void reopen() {
    db.reset();
    storage::store_options o;
    o.path = path;
    o.now_s = clock();
    auto r = storage::store::open(std::move(o));
    if (!r.ok()) throw std::runtime_error(r.error().message);
    db = std::move(r.value());
  }
};

}  // namespace aragora::test
