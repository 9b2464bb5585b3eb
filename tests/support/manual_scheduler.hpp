#pragma once
// A provider scheduler on a clock that moves only when the test says so: deadlines and latencies
// without waiting, on one thread.

#include <map>
#include <utility>

#include "actors/agent/provider.hpp"

namespace aragora::test {

class manual_scheduler final : public agent::scheduler {
public:
  [[nodiscard]] agent::steady_clock::time_point now() const override { return now_; }

  handle after(agent::steady_clock::duration delay, std::function<void()> fn) override {
    auto h = ++next_;
    due_.emplace(std::pair{now_ + delay, h}, std::move(fn));
    return h;
  }

  bool cancel(handle h) override {
    for (auto it = due_.begin(); it != due_.end(); ++it)
      if (it->first.second == h) {
        due_.erase(it);
        return true;
      }
    return false;
  }

  /// Moves the clock forward by `d`, running every closure that comes due on the way, in order
  /// of due time, then of scheduling.
  void advance(agent::steady_clock::duration d) {
    auto until = now_ + d;
    while (!due_.empty() && due_.begin()->first.first <= until) {
      auto it = due_.begin();
      now_ = it->first.first;
      auto fn = std::move(it->second);
      due_.erase(it);
      fn();
    }
    now_ = until;
  }

  [[nodiscard]] size_t pending() const { return due_.size(); }

private:
  agent::steady_clock::time_point now_{std::chrono::hours{1}};
  std::map<std::pair<agent::steady_clock::time_point, handle>, std::function<void()>> due_;
  handle next_ = 0;
};

}  // namespace aragora::test
