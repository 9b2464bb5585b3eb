#pragma once
// A worker node's side of the cluster. The worker agent joins the edge (NodeHello), reports its
// load every heartbeat interval, runs the debates the edge places on it (new ones from their
// spec, moved ones from the journal's log) and stops those that moved away. The replicating
// writer stands where the debates' writer stands: a step is acknowledged to its debate only once
// it is on this node's store and on the journal, and a step the journal refuses as stale (the
// debate moved: fencing) stops the debate at once.

#include <caf/actor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "aragora/v1/wire.pb.h"

namespace aragora::storage {
class store;
}

namespace aragora::node {

class local_node;

/// Shared by the worker agent and the replicating writer (each on its own actor).
struct worker_link {
  std::mutex mtx;
  caf::actor edge;  // the coordinator; null while the edge is unreachable
  std::unordered_map<std::string, uint64_t> epochs;  // the debates this worker owns

  [[nodiscard]] caf::actor edge_now();
  /// The epoch of a debate owned here; 0 when it is not (any more).
  [[nodiscard]] uint64_t epoch_of(const std::string& id);
  void release(const std::string& id);
};

/// The replicating writer around `local` (linked to it: they die and restart together).
[[nodiscard]] caf::actor spawn_replicating_writer(caf::actor_system& sys, caf::actor local,
                                                  std::shared_ptr<worker_link> link);

struct worker_options {
  std::string name;
  std::chrono::milliseconds heartbeat_interval{250};
  /// Called (from an actor) when the edge is lost: the main thread connects again.
  std::function<void()> on_edge_lost;
  /// This node's breakers as last read (quick: a copy, never a wait); sent with the heartbeats.
  std::function<std::vector<v1::BreakerStatus>()> breakers;
  /// This node's /metrics as last rendered (a copy, never a wait); sent with the breakers.
  std::function<std::string()> metrics;
};

/// The worker agent (detached: it writes moved debates' logs to the store). Send it
/// (connect_atom, edge) after each connection to the edge.
[[nodiscard]] caf::actor spawn_worker_agent(caf::actor_system& sys, local_node& node,
                                            std::shared_ptr<storage::store> db,
                                            std::shared_ptr<worker_link> link, worker_options opts);

}  // namespace aragora::node
