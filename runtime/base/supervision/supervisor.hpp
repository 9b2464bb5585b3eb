#pragma once
// A supervisor: spawns its children, monitors them, probes that they still answer, and restarts a
// child that died (or stopped answering) with backoff, behind a breaker on restart intensity
// (restart_policy). It publishes each child's current handle in an actor_slot, so users of a
// restarted child reach the new one.

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/base/resilience/circuit_breaker.hpp"
#include "runtime/base/supervision/actor_slot.hpp"
#include "runtime/base/supervision/atoms.hpp"
#include "runtime/base/supervision/restart_policy.hpp"

namespace aragora::fault {
class injector;
}

namespace aragora::supervision {

struct child_spec {
  std::string name;                                   // "writer", "agent/2": logs and faults
  // Runs on the supervisor. A typed child is handed over as caf::actor (caf::actor_cast): the
  // supervisor only probes it (ping_atom), monitors it and kills it.
  std::function<caf::actor(caf::actor_system&)> spawn;
  std::shared_ptr<any_actor_slot> slot;               // where users find the child
  std::function<void(const caf::actor&)> on_restart;  // optional: after each restart
  restart_options restart;
  bool probe = true;  // probe with ping (off for a child that may legitimately block long)
  caf::actor running;  // optional: a first generation already running, adopted instead of spawned
};

struct supervisor_options {
  std::chrono::milliseconds probe_interval{5'000};
  std::chrono::milliseconds probe_timeout{10'000};
  fault::injector* faults = nullptr;  // children enroll under their names when set
};

/// One child, as (status_atom) reports it.
struct child_status {
  std::string name;
  bool up = false;
  resilience::breaker_state breaker = resilience::breaker_state::closed;
  uint64_t restarts = 0;       // starts after the first
  uint64_t times_opened = 0;   // how often the breaker opened
};

/// Spawns the supervisor and, from it, every child (their slots are set before this returns).
/// A supervisor that dies takes its children with it (they are killed), so its restart
/// (by a parent supervisor) starts a fresh generation and never leaves a second one running.
/// An exit sent to it stops the children first. A supervisor answers ping_atom,
/// so it can itself be a supervised child.
[[nodiscard]] caf::actor spawn_supervisor(caf::actor_system& sys, std::string name,
                                          std::vector<child_spec> children,
                                          supervisor_options opts);

}  // namespace aragora::supervision

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<aragora::supervision::child_status>)
