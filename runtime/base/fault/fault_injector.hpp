#pragma once
// The fault-injection hook, off by default: actors enroll under a name ("writer", "ranking",
// "agent/3", "debate/<id>", "memory/fast") only when a node was given an injector, and tests crash
// or stall them by name. A crash is an exit with `kill`: no handler of the actor runs, as when it
// dies of a bug. A stall is a `stall_atom` message: the actor stops answering anything (it keeps
// its mailbox, like an actor stuck in a call), until it is killed.

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/atom.hpp>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/base/fault/atoms.hpp"

namespace caf {
class scheduled_actor;
}

namespace aragora::fault {

class injector {
public:
  /// Registers (or re-registers, after a restart) the actor known as `name`.
  void enroll(std::string name, caf::actor_addr a);
  /// Forgets `name` if it still names `a` (a restarted actor may have taken the name over).
  void leave(const std::string& name, const caf::actor_addr& a);

  /// Kills the actor named `name`; false if no such actor is alive.
  bool crash(const std::string& name);
  /// Makes the actor named `name` stop answering; false if no such actor is alive.
  bool stall(const std::string& name);

  /// The live actor enrolled as `name` (empty if none): tests watch it die.
  [[nodiscard]] caf::actor actor_named(const std::string& name) const { return find(name); }

  /// The names enrolled now that start with `prefix`.
  [[nodiscard]] std::vector<std::string> names(std::string_view prefix = {}) const;

private:
  [[nodiscard]] caf::actor find(const std::string& name) const;

  mutable std::mutex mtx_;
  std::unordered_map<std::string, caf::actor_addr> actors_;
};

/// What an actor does with stall_atom: from now on it answers nothing and keeps every message.
/// Any scheduled actor, typed or not: the stalled behaviour is installed beneath the interface.
void stall_forever(caf::scheduled_actor* self);

}  // namespace aragora::fault
