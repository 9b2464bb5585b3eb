#pragma once
// The journal: a cluster's second copy of every debate step. Workers append each step's writes
// (JournalAppend, through the coordinator); the step counts only once the journal has them on
// disk, so the death of any one node loses no committed step. Appends from an older epoch than
// the debate's are refused (fencing): a worker that was frozen and wakes up cannot write to a
// debate that has moved. What the journal stores is what the edge serves: each append's events go
// to the event sink (the WebSocket stream), and a debate's end to the ranking and the coordinator.

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/node/epoch_table.hpp"

namespace aragora::storage {
class store;
}

namespace aragora::node {

struct journal_links {
  caf::actor sink;                     // the edge's event sink (node_backend)
  std::function<caf::actor()> ranking;  // the ranking as it runs now; null when none
  caf::actor coordinator;              // told (ended_atom, id) when a debate's end is stored;
                                       // or later: (connect_atom, coordinator) to the journal
};

/// Reads the moved debates' epochs (the `placements` family). Reads the disk: from the main
/// thread, before the journal starts.
[[nodiscard]] epoch_table load_epochs(storage::store& db);

/// The debates the journal holds as running, with their epochs (after a restart: they continue
/// on their workers, or move). Reads the disk: from the main thread.
[[nodiscard]] std::vector<std::pair<std::string, uint64_t>> unfinished_debates(storage::store& db,
                                                                             const epoch_table& epochs);

/// The journal actor, with its own group-commit writer and a detached reader (linked: they die
/// together). Answers (append_atom, envelope JournalAppend) with a JournalAck envelope, (append_atom,
/// envelope JournalBatch) with a JournalAcks envelope (one ack per append, in order), and
/// (handover_atom, id, epoch) with a PlaceDebate envelope holding the debate's log at its new
/// epoch.
[[nodiscard]] caf::actor spawn_journal(caf::actor_system& sys, std::shared_ptr<storage::store> db,
                                       epoch_table epochs, journal_links links);

}  // namespace aragora::node
