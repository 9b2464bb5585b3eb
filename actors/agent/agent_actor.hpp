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
#include <memory>
#include <vector>

#include "actors/agent/mock_provider.hpp"
#include "actors/agent/provider.hpp"
#include "actors/debate/messages.hpp"
#include "actors/debate/types.hpp"

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
[[nodiscard]] caf::actor spawn_agent_worker(caf::actor_system& sys, const worker_config& cfg,
                                            std::shared_ptr<worker_stats> stats);

class agent_pool {
public:
  /// `size` workers running the providers of `providers` (by default the mock at its defaults).
  agent_pool(caf::actor_system& sys, timer::timer_service& timers, size_t size,
             provider_catalog providers = standard_providers({}));
  /// A pool of actors spawned elsewhere (tests, other providers).
  explicit agent_pool(std::vector<caf::actor> workers);
  ~agent_pool();
  agent_pool(const agent_pool&) = delete;
  agent_pool& operator=(const agent_pool&) = delete;

  /// The pool member for a debate (always the same one for an id).
  [[nodiscard]] const caf::actor& pick(std::string_view debate_id) const;
  [[nodiscard]] size_t size() const { return workers_.size(); }

  /// Stops every member; calls in flight are dropped.
  void stop();

  /// The longest backlog of debate steps any member has had waiting in its mailbox since the
  /// last reset (the capacity guide's "queue depth").
  [[nodiscard]] uint64_t peak_queue_depth() const;
  void reset_peak_queue_depth();

private:
  std::vector<caf::actor> workers_;
  // One per member, written only by that member. Shared with it: a worker still running while
  // the pool is destroyed (its actor system stops it later) writes into memory it co-owns.
  std::vector<std::shared_ptr<worker_stats>> stats_;
};

}  // namespace aragora::agent

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::agent_calls)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::cancel_calls)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::token_delta)
