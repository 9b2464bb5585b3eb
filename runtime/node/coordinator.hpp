#pragma once
// The edge's side of the cluster: workers join it (NodeHello) and report their load
// (Heartbeat); it places each new debate on the least-loaded live worker (runtime/cluster/
// placement), watches the workers (CAF monitors across the network, and the heartbeat timeout
// for a worker that is frozen rather than gone), and moves a lost worker's debates to the others
// from the journal, each at the next epoch. Workers' journal appends pass through it to the
// journal (delegated: the journal answers them directly). The pure decisions are placement's; this
// actor sends and receives.

#include <caf/fwd.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "runtime/config/config.hpp"

namespace aragora::edge {
class stream_hub;
}

namespace aragora::node {

struct coordinator_options {
  config::cluster_config cluster;
  std::string self_name;  // the edge node's name
  /// Debates the journal holds as running (after a restart): they wait for their workers to
  /// claim them (NodeHello) for one heartbeat timeout, then move.
  std::vector<std::pair<std::string, uint64_t>> unfinished;  // id, epoch
};

/// Spawns the coordinator. `journal` answers appends and handovers; `sink` receives a failed
/// debate's end when a worker reports that a debate died; `hub` shows node_down notices.
[[nodiscard]] caf::actor spawn_coordinator(caf::actor_system& sys, coordinator_options opts,
                                           caf::actor journal, caf::actor sink,
                                           edge::stream_hub* hub);

}  // namespace aragora::node
