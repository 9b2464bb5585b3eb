#pragma once
// Agent actors: each runs the provider of whichever agent a call names, with the per-call
// timeout. A node keeps a fixed pool of them; a debate sends all its calls to one pool member, so
// it sees its own agent identities without spawning actors per agent. The calls of one debate
// step travel in one message and their outcomes come back in batches: each call still runs and
// times out on its own, but a step costs two messages instead of two per call.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <atomic>
#include <memory>
#include <vector>

#include "actors/debate/messages.hpp"
#include "actors/debate/types.hpp"

namespace aragora::timer {
class timer_service;
}

namespace aragora::agent {

/// A debate's calls of one step; the replies are `debate::call_outcomes` sent to the sender.
struct agent_calls {
  std::shared_ptr<const debate::debate_spec> spec;
  std::vector<debate::call_request> requests;
};

class agent_pool {
public:
  agent_pool(caf::actor_system& sys, timer::timer_service& timers, size_t size);
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
  // One per member, written only by that member. Shared with it: the pool is destroyed before
  // the actor system has stopped its workers, and a worker still working through its mailbox
  // then writes into memory it co-owns rather than freed memory.
  std::vector<std::shared_ptr<std::atomic<uint64_t>>> peaks_;
};

}  // namespace aragora::agent

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::agent_calls)
