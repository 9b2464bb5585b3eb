#pragma once
// Agent actors: each runs the providers of whichever agents a call names (through the provider
// seam, actors/agent/provider.hpp), with the per-call deadline on the node's timer service. A
// node keeps a fixed pool of them; a debate sends all its calls to one pool member, so it sees
// its own agent identities without spawning actors per agent. The calls of one debate step
// travel in one message and their outcomes come back in batches: each call still runs and times
// out on its own, but a step costs two messages instead of two per call.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "actors/agent/interface.hpp"
#include "actors/agent/mock_provider.hpp"
#include "actors/agent/provider.hpp"
#include "actors/debate/actor/messages.hpp"
#include "actors/debate/types.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/base/supervision/actor_slot.hpp"
#include "runtime/base/supervision/restart_policy.hpp"
#include "runtime/base/supervision/supervisor.hpp"

namespace aragora::fault {
class injector;
}

namespace aragora::timer {
class timer_service;
}

namespace aragora::agent {

/// A debate's calls of one step; the replies are `debate::call_outcomes` sent to the sender, and
/// with `stream` set also a `token_delta` per piece of text as the providers produce it.
struct agent_calls {
  std::shared_ptr<const debate::debate_spec> spec;
  std::vector<debate::call_request> requests;
  bool stream = false;
};

/// Cancels the pending calls of a debate (sent by the debate when it is cancelled): the providers
/// stop working on them and no outcome of them is sent.
struct cancel_calls {
  std::string debate_id;
};

/// What a worker records about itself, readable from any thread; shared, so it outlives both
/// the worker and whoever reads it.
struct worker_stats {
  // The longest backlog of debate steps waiting in the worker's mailbox since the last reset.
  std::atomic<uint64_t> peak_backlog{0};
  // The backlog when the worker last took a step (the agent queue depth gauge).
  std::atomic<uint64_t> backlog{0};
};

/// What every worker of a node is made with.
struct worker_config {
  /// Deadlines and provider timers. Must outlive the worker: a node declares it before its actor
  /// system, whose destructor waits for every actor.
  timer::timer_service* timers = nullptr;
  /// Each worker makes its own instance of each provider.
  std::shared_ptr<const provider_catalog> providers;
};

/// Spawns one agent worker (one at a time, so a supervisor can respawn a crashed one in place).
[[nodiscard]] worker_actor spawn_agent_worker(caf::actor_system& sys, const worker_config& cfg,
                                              std::shared_ptr<worker_stats> stats);

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
  /// `size` workers running the providers of `providers` (by default the mock at its defaults),
  /// under a supervisor that restarts a dead or silent one in its slot.
  agent_pool(caf::actor_system& sys, timer::timer_service& timers, size_t size,
             provider_catalog providers = standard_providers({}), pool_supervision sup = {});
  /// A pool of actors spawned elsewhere (tests, other providers).
  explicit agent_pool(std::vector<worker_actor> workers);
  ~agent_pool();
  agent_pool(const agent_pool&) = delete;
  agent_pool& operator=(const agent_pool&) = delete;

  /// The pool member for a debate (always the same slot for an id; the actor in it changes when
  /// the supervisor restarts it).
  [[nodiscard]] worker_actor pick(std::string_view debate_id) const;
  [[nodiscard]] size_t index_of(std::string_view debate_id) const;
  /// The slot itself: a debate holds it, so it may send after the pool is gone.
  [[nodiscard]] std::shared_ptr<supervision::typed_slot<worker_actor>> slot_of(
      std::string_view debate_id) const {
    return slots_[index_of(debate_id)];
  }
  [[nodiscard]] size_t size() const { return slots_.size(); }
  /// The members' supervisor, the current one (empty for a pool of actors spawned elsewhere).
  [[nodiscard]] const std::shared_ptr<supervision::actor_slot>& supervisor_slot() const {
    return supervisor_;
  }
  /// The members' supervisor as a child of the node's root supervisor: the running one is
  /// adopted; a restart starts a fresh supervisor over the same slots (the old one took its
  /// members down with it) and tells the debates that every member restarted.
  [[nodiscard]] supervision::child_spec supervisor_spec() const;

  /// Stops every member; calls in flight are dropped.
  void stop();

  /// The longest backlog of debate steps any member has had waiting in its mailbox since the
  /// last reset (the capacity guide's "queue depth").
  [[nodiscard]] uint64_t peak_queue_depth() const;
  void reset_peak_queue_depth();
  /// Each member's backlog when it last took a step.
  [[nodiscard]] std::vector<uint64_t> queue_depths() const;

private:
  std::vector<std::shared_ptr<supervision::typed_slot<worker_actor>>> slots_;
  // Empty for a pool of actors spawned elsewhere.
  std::shared_ptr<supervision::actor_slot> supervisor_ = std::make_shared<supervision::actor_slot>();
  supervision::child_spec supervisor_spec_;  // without the running one (supervisor_ has it)
  // One per member, written only by that member. Shared with it: a worker still running while
  // the pool is destroyed (its actor system stops it later) writes into memory it co-owns.
  std::vector<std::shared_ptr<worker_stats>> stats_;
};

}  // namespace aragora::agent

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::agent_calls)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::cancel_calls)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::token_delta)
