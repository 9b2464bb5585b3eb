#pragma once
// A store in a fresh temporary directory, with a clock the test moves by hand; the directory is
// removed at the end.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

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
    std::filesystem::remove_all(path);
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
