#include "net/edge/auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aragora::edge {

namespace {

using namespace std::chrono;

constexpr auto longest_interval = duration_cast<rate_limiter::clock::duration>(hours{24});
// Far beyond any wait, far below overflow of a time point plus it.
constexpr auto longest_capacity =
    duration_cast<rate_limiter::clock::duration>(hours{24} * 365 * 100);

rate_limiter::clock::duration interval_of(double per_second) {
  if (!(per_second > 0)) return rate_limiter::clock::duration::zero();  // also NaN
  double longest_ns = static_cast<double>(nanoseconds{longest_interval}.count());
  double ns = std::min(1e9 / per_second, longest_ns);
  // A rate above 1e9/s rounds to 0: no limit.
  return duration_cast<rate_limiter::clock::duration>(nanoseconds{std::llround(ns)});
}

}  // namespace

rate_limiter::rate_limiter(rate_limit_options options)
    : interval_(interval_of(options.per_second)),
      max_keys_(std::max<size_t>(options.max_keys, 1)) {
  auto burst = std::max<uint32_t>(options.burst, 1);
  if (interval_ > clock::duration::zero() && interval_ > longest_capacity / burst)
    capacity_ = longest_capacity;
  else
    capacity_ = interval_ * burst;
}

admission rate_limiter::admit(std::string_view key, clock::time_point now) {
  if (unlimited()) return {};
  std::lock_guard lock{mutex_};
  lru_list::iterator b;
  if (auto it = index_.find(key); it != index_.end()) {
    b = it->second;
    lru_.splice(lru_.begin(), lru_, b);
  } else {
    if (lru_.size() >= max_keys_) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
    lru_.push_front(bucket{std::string(key), now});  // a new bucket is full
    b = lru_.begin();
    index_.emplace(b->key, b);
  }
  auto next = std::max(b->full_at, now) + interval_;
  if (next - now <= capacity_) {
    b->full_at = next;
    return {};
  }
  // Refused: the next token is there when full_at is back within capacity of the clock.
  auto wait = next - capacity_ - now;
  auto s = ceil<seconds>(wait).count();
  s = std::clamp<decltype(s)>(s, 1, std::numeric_limits<uint32_t>::max());
  return {false, static_cast<uint32_t>(s)};
}

size_t rate_limiter::size() const {
  std::lock_guard lock{mutex_};
  return lru_.size();
}

}  // namespace aragora::edge
