#pragma once
// The current handle of a supervised actor. A supervisor replaces it when it restarts the child;
// users read it when they send (a mutex, not a hot-path cost: debates read it once per write).

#include <caf/actor.hpp>
#include <mutex>

namespace aragora::supervision {

class actor_slot {
public:
  actor_slot() = default;
  explicit actor_slot(caf::actor a) : actor_(std::move(a)) {}

  [[nodiscard]] caf::actor get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return actor_;
  }
  void set(caf::actor a) {
    std::lock_guard<std::mutex> guard{mtx_};
    actor_ = std::move(a);
  }
  [[nodiscard]] explicit operator bool() const { return static_cast<bool>(get()); }

private:
  mutable std::mutex mtx_;
  caf::actor actor_;
};

}  // namespace aragora::supervision
