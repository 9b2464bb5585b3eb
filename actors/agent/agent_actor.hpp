#pragma once
// Agent actors: each runs the provider of whichever agent a call names, with the per-call
// timeout. A node keeps a fixed pool of them; a debate sends all its calls to one pool member, so
// it sees its own agent identities without spawning actors per agent. The calls of one debate
// step travel in one message and their outcomes come back in batches: each call still runs and
// times out on its own, but a step costs two messages instead of two per call.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "actors/debate/messages.hpp"
#include "actors/debate/types.hpp"
#include "runtime/defaults.hpp"
#include "runtime/supervision/actor_slot.hpp"
#include "runtime/supervision/restart_policy.hpp"

namespace aragora::fault {
class injector;
}

namespace aragora::timer {
class timer_service;
}

namespace aragora::agent {

/// A debate's calls of one step; the replies are `debate::call_outcomes` sent to the sender.
struct agent_calls {
  std::shared_ptr<const debate::debate_spec> spec;
  std::vector<debate::call_request> requests;
};

/// Sent to every running debate when the supervisor restarted pool member `index`: the calls it
/// held died with it.
using agent_restarted_atom = caf::atom_constant<caf::atom("a_restart")>;

/// How a pool's members are supervised.
struct pool_supervision {
  supervision::restart_options restart;
  std::chrono::milliseconds probe_interval{defaults::probe_interval};
  std::chrono::milliseconds probe_timeout{defaults::probe_timeout};
  fault::injector* faults = nullptr;             // members enroll as "agent/<i>"
  std::function<void(size_t index)> on_restart;  // e.g. tell the debates
};

class agent_pool {
public:
  /// `size` members under a supervisor that restarts a dead or silent one in its slot.
  agent_pool(caf::actor_system& sys, timer::timer_service& timers, size_t size,
             pool_supervision sup = {});
  /// A pool of actors spawned elsewhere (tests, other providers).
  explicit agent_pool(std::vector<caf::actor> workers);
  ~agent_pool();
  agent_pool(const agent_pool&) = delete;
  agent_pool& operator=(const agent_pool&) = delete;

  /// The pool member for a debate (always the same slot for an id; the actor in it changes when
  /// the supervisor restarts it).
  [[nodiscard]] caf::actor pick(std::string_view debate_id) const;
  [[nodiscard]] size_t index_of(std::string_view debate_id) const;
  /// The slot itself: a debate holds it, so it may send after the pool is gone (a node being
  /// destroyed stops its debates after its pool).
  [[nodiscard]] std::shared_ptr<supervision::actor_slot> slot_of(std::string_view debate_id) const {
    return slots_[index_of(debate_id)];
  }
  [[nodiscard]] size_t size() const { return slots_.size(); }
  /// The members' supervisor (none for a pool of actors spawned elsewhere).
  [[nodiscard]] const caf::actor& supervisor() const { return supervisor_; }

  /// Stops every member; calls in flight are dropped.
  void stop();

  /// The longest backlog of debate steps any member has had waiting in its mailbox since the
  /// last reset (the capacity guide's "queue depth").
  [[nodiscard]] uint64_t peak_queue_depth() const;
  void reset_peak_queue_depth();

private:
  std::vector<std::shared_ptr<supervision::actor_slot>> slots_;
  caf::actor supervisor_;  // none for a pool of actors spawned elsewhere
  // One per member, written only by that member. Shared with it: the pool is destroyed before
  // the actor system has stopped its workers, and a worker still working through its mailbox
  // then writes into memory it co-owns rather than freed memory.
  std::vector<std::shared_ptr<std::atomic<uint64_t>>> peaks_;
};

}  // namespace aragora::agent

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::agent_calls)
