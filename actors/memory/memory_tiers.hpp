#pragma once
// Continuum memory as actors: one per tier, each owning its column family (memory_fast ..
// memory_glacial) and an index of its live entries, and a coordinator that fans recalls out to
// the four tiers. Records expire with their tier's retention (1 h / 24 h / 7 d / 30 d by
// default), refreshed when an entry is updated.
//
// A move between tiers is one write batch by the tier that gives the entry up (put into the
// other family, erase from its own), followed by an `adopt` to the receiving tier's index.

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <memory>
#include <string>
#include <vector>

#include "actors/memory/continuum.hpp"
#include "storage/store.hpp"

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
using recall_atom = caf::atom_constant<caf::atom("recall")>;
using size_atom = caf::atom_constant<caf::atom("size")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;

/// The four tier actors (detached: they read and write the store) behind one coordinator.
class memory_system {
public:
  memory_system(caf::actor_system& sys, std::shared_ptr<storage::store> db);
  ~memory_system();
  memory_system(const memory_system&) = delete;
  memory_system& operator=(const memory_system&) = delete;

  /// The actor debates talk to: recall, remember (new entries go to `slow`), outcome.
  [[nodiscard]] const caf::actor& coordinator() const { return coordinator_; }
  [[nodiscard]] const caf::actor& tier_actor(tier t) const {
    return tiers_[static_cast<size_t>(t)];
  }

  /// Waits (up to 5 s) until everything sent to memory before has been written, then stops the
  /// actors. Call from a non-scheduler thread.
  void stop();

private:
  caf::actor_system* sys_;
  bool stopped_ = false;
  std::vector<caf::actor> tiers_;
  caf::actor coordinator_;
};

/// The context handed to a debate's agents from what was recalled ("" when nothing was).
[[nodiscard]] std::string context_from(const std::vector<recalled>& hits);

}  // namespace aragora::memory

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::memory::remember)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::memory::outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::memory::adopt)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<aragora::memory::recalled>)
