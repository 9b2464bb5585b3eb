#pragma once
// Per-key request rate limits of the edge: one token bucket per key (a principal's name, or the
// client's address when the request is unauthenticated; the caller picks keys that cannot
// collide, e.g. "t:alice" and "ip:10.0.0.7"). Pure: the time is passed in, so tests are exact.
//
// Each bucket is kept as one time point, the moment it is full again (the "generic cell rate
// algorithm" form of a token bucket): a request takes a token by moving that moment one interval
// (1 s / rate) later, and is admitted when it stays within `burst` intervals of now, i.e. the
// bucket does not go below empty. Integer nanoseconds, so retry_after is exact.
//
// Memory is bounded by max_keys: a new key beyond it drops the least recently used bucket. That
// bucket is almost always idle (full), and dropping a full bucket loses nothing, since a new one
// starts full; only when more than max_keys keys are all active at once does a dropped key get
// a fresh burst. The alternative, refusing new keys when full, would let one client with many
// addresses lock everyone else out.
//
// Internally locked: the server calls admit() from every connection's strand, and one
// uncontended mutex per request costs far less than parsing the request.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/base/defaults.hpp"

namespace aragora::edge {

struct rate_limit_options {
  /// Tokens added per second; 0 (or less) = no limit. At least one per day.
  double per_second = defaults::edge_rate_limit_per_s;
  /// Tokens a full bucket holds: requests admitted at once after a quiet spell. At least 1.
  uint32_t burst = defaults::edge_rate_limit_burst;
  /// Buckets held at most. At least 1.
  size_t max_keys = defaults::edge_rate_limit_max_keys;
};

struct admission {
  bool allowed = true;
  /// When refused: whole seconds until the next token, rounded up, at least 1 (clients read the
  /// Retry-After header with int()). 0 when allowed.
  uint32_t retry_after_s = 0;
};

class rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  /// Out-of-range options are clamped to the ranges above (the settings table refuses them first).
  explicit rate_limiter(rate_limit_options options = {});
  rate_limiter(const rate_limiter&) = delete;
  rate_limiter& operator=(const rate_limiter&) = delete;

  /// Takes a token from `key`'s bucket if it has one. `now` never going back is assumed but not
  /// needed: a bucket never counts time it has not seen.
  [[nodiscard]] admission admit(std::string_view key, clock::time_point now);

  /// Buckets held (at most max_keys).
  [[nodiscard]] size_t size() const;
  [[nodiscard]] bool unlimited() const noexcept { return interval_ == clock::duration::zero(); }

private:
  struct bucket {
    std::string key;
    clock::time_point full_at;  // when the bucket is full again; <= now: it is full
  };
  using lru_list = std::list<bucket>;

  clock::duration interval_;  // the time one token takes to come back: 1 s / per_second
  clock::duration capacity_;  // burst * interval_: how far ahead of now full_at may be
  size_t max_keys_;
  mutable std::mutex mutex_;
  lru_list lru_;  // most recently used first
  // Keys view the strings in lru_'s nodes, which never move.
  std::unordered_map<std::string_view, lru_list::iterator> index_;
};

}  // namespace aragora::edge
