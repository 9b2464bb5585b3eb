#pragma once
// Rendered answers (GET /api/v1/debates/{id}, .../messages, the rows of a list). Reading a
// debate back costs a scan of its events, a replay and a render (about 160 us, bench/RESULTS.md
// "Edge (issue 9)"), for bytes that change only when the debate's stored form does: each entry
// carries the version of the debate it was rendered from (backend::version), and a read with
// another version misses. Bounded by bytes (least recently used out first) and by age, so that a
// debate removed by retention is not served for long after. Thread-safe: the server's I/O
// threads share it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace aragora::edge {

class body_cache {
public:
  using clock = std::chrono::steady_clock;

  body_cache(size_t max_bytes, clock::duration max_age) : max_bytes_(max_bytes), max_age_(max_age) {}

  struct hit {
    std::shared_ptr<const std::string> body;  // null: a miss
    uint8_t tag = 0;                          // what the caller kept beside it
    explicit operator bool() const { return body != nullptr; }
  };

  /// The body kept for `key` at `version`. One older than max_age, or of another version, is
  /// dropped: a miss.
  [[nodiscard]] hit get(const std::string& key, uint64_t version, clock::time_point now);
  /// Keeps `body` for `key` at `version` (replacing one kept), then drops the least recently used
  /// entries until the total is within max_bytes. A body larger than max_bytes is not kept.
  void put(const std::string& key, uint64_t version, std::string body, clock::time_point now,
           uint8_t tag = 0);

  [[nodiscard]] size_t bytes() const;
  [[nodiscard]] size_t size() const;

private:
  struct entry {
    std::string key;
    std::shared_ptr<const std::string> body;
    clock::time_point stored;
    uint64_t version;
    uint8_t tag;
  };
  void erase(std::list<entry>::iterator it);

  size_t max_bytes_;
  clock::duration max_age_;
  mutable std::mutex mtx_;
  std::list<entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
  size_t bytes_ = 0;
};

}  // namespace aragora::edge
