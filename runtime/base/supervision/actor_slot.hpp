#pragma once
// The current handle of a supervised actor. A supervisor replaces it when it restarts the child;
// users read it when they send (a mutex, not a hot-path cost: debates read it once per write).
// A slot holds the handle its users know: caf::actor, or the child's typed interface.

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <mutex>

namespace aragora::supervision {

/// What the generic supervisor sees of a slot: it puts each new incarnation of its child there,
/// as the caf::actor it spawned, whatever the child's interface.
class any_actor_slot {
public:
  virtual ~any_actor_slot() = default;
  /// Stores `a` as the slot's handle type (a typed child was spawned with that interface).
  virtual void put(const caf::actor& a) = 0;
};

template <class Handle>
class basic_actor_slot final : public any_actor_slot {
public:
  basic_actor_slot() = default;
  explicit basic_actor_slot(Handle a) : actor_(std::move(a)) {}

  [[nodiscard]] Handle get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return actor_;
  }
  void set(Handle a) {
    std::lock_guard<std::mutex> guard{mtx_};
    actor_ = std::move(a);
  }
  void put(const caf::actor& a) override { set(caf::actor_cast<Handle>(a)); }
  [[nodiscard]] explicit operator bool() const { return static_cast<bool>(get()); }

private:
  mutable std::mutex mtx_;
  Handle actor_;
};

/// A dynamically typed child's slot.
using actor_slot = basic_actor_slot<caf::actor>;
/// A typed child's slot: its users send only what the interface `Handle` accepts.
template <class Handle>
using typed_slot = basic_actor_slot<Handle>;

}  // namespace aragora::supervision
