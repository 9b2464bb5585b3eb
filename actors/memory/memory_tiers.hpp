#pragma once
// Continuum memory as actors: one per tier, each owning its column family (memory_fast ..
// memory_glacial) and an index of its live entries, and a coordinator that fans recalls out to
// the four tiers. Records expire with their tier's retention (1 h / 24 h / 7 d / 30 d by
// default), refreshed when an entry is updated.
//
// The coordinator knows which tier holds each entry (directory.hpp) and sends that tier the
// entry's outcomes, one batch at a time. A move between tiers is one write batch by the tier that
// gives the entry up (put into the other family, erase from its own); the entry comes back to the
// coordinator, which hands it to the receiving tier's index (`adopt`) before its next outcomes.

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/memory/continuum.hpp"
#include "actors/memory/directory.hpp"
#include "runtime/base/defaults.hpp"
#include "storage/store.hpp"

namespace aragora::fault {
class injector;
}

namespace aragora::memory {

[[nodiscard]] storage::cf cf_of(tier t);

/// What a recall returns: an entry and its combined score (relevance x retrieval score).
struct recalled {
  entry e;
  double score;
};

// Messages. To the coordinator (or a tier): remember, outcome, and (recall_atom, query, k),
// answered with std::vector<recalled>.
struct remember {
  entry e;
};
struct outcome {
  std::string id;
  bool success;
};
struct adopt {
  entry e;
};
// Coordinator <-> tiers.
struct outcome_batch {  // answered with a batch_result
  std::string id;
  std::vector<bool> outcomes;
};
struct held {  // a tier stored a remembered entry
  tier t;
  std::string id;
};
struct forgotten {  // a tier evicted entries
  tier t;
  std::vector<std::string> ids;
};
using recall_atom = caf::atom_constant<caf::atom("recall")>;
using size_atom = caf::atom_constant<caf::atom("size")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;

struct memory_options {
  /// Outcomes (and, while the tiers load, remembers) waiting for their tier; more are dropped.
  size_t max_waiting = defaults::memory_max_waiting_outcomes;
  /// How long the coordinator waits for a tier's inventory or for a batch's answer.
  std::chrono::milliseconds tier_timeout = defaults::memory_tier_timeout;
};

/// The four tier actors (detached: they read and write the store) behind one coordinator.
class memory_system {
public:
  memory_system(caf::actor_system& sys, std::shared_ptr<storage::store> db,
                memory_options options = {});
  ~memory_system();
  memory_system(const memory_system&) = delete;
  memory_system& operator=(const memory_system&) = delete;

  /// The actor debates talk to: recall, remember (new entries go to `slow`; an id already held
  /// keeps its entry), outcome.
  [[nodiscard]] const caf::actor& coordinator() const { return coordinator_; }
  /// A tier, for tests and tools: an entry remembered into it directly is routed once the tier
  /// reports it to the coordinator (`held`).
  [[nodiscard]] const caf::actor& tier_actor(tier t) const {
    return tiers_[static_cast<size_t>(t)];
  }

  /// Waits (up to 5 s) until everything sent to memory before has been written (every outcome
  /// recorded or dropped), then stops the actors. Call from a non-scheduler thread.
  void stop();

private:
  caf::actor_system* sys_;
  bool stopped_ = false;
  std::vector<caf::actor> tiers_;
  caf::actor coordinator_;
};

/// The four tiers and their coordinator as one linked unit (a supervisor's child): returns the
/// coordinator; if any of the five dies, all do. Tiers enroll with the fault hook as
/// "memory/<tier>".
[[nodiscard]] caf::actor spawn_memory_group(caf::actor_system& sys,
                                            std::shared_ptr<storage::store> db,
                                            memory_options options = {},
                                            fault::injector* faults = nullptr);

/// The context handed to a debate's agents from what was recalled ("" when nothing was).
[[nodiscard]] std::string context_from(const std::vector<recalled>& hits);

}  // namespace aragora::memory

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::memory::remember)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::memory::outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::memory::adopt)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::memory::outcome_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::memory::batch_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::memory::held)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::memory::forgotten)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<aragora::memory::recalled>)
