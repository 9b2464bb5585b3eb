#pragma once
// The messages of the cluster (docs/architecture.md, Cluster). Between nodes every payload is a
// wire::envelope behind a leading atom; the structs below stay inside the edge node's process.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aragora/v1/wire.pb.h"
#include "runtime/cluster/placement.hpp"

namespace aragora::node {

// Across nodes, each with a wire::envelope.
using hello_atom = caf::atom_constant<caf::atom("hello")>;          // NodeHello -> Welcome
using heartbeat_atom = caf::atom_constant<caf::atom("heartbeat")>;  // Heartbeat
using place_atom = caf::atom_constant<caf::atom("place")>;          // PlaceDebate -> Placement
using append_atom = caf::atom_constant<caf::atom("jappend")>;       // JournalAppend -> JournalAck
using release_atom = caf::atom_constant<caf::atom("release")>;      // ReleaseDebates
using cancel_atom = caf::atom_constant<caf::atom("ccancel")>;       // CancelDebate -> CancelReply
using report_atom = caf::atom_constant<caf::atom("creport")>;       // DebateReport (a debate died)

// Inside the edge node.
using handover_atom = caf::atom_constant<caf::atom("handover")>;  // (id, epoch) -> PlaceDebate
using ended_atom = caf::atom_constant<caf::atom("jended")>;       // (id): the journal saw its end
using drain_atom = caf::atom_constant<caf::atom("drain")>;        // (name, on) -> bool
using status_atom = caf::atom_constant<caf::atom("cstatus")>;     // -> cluster_status
using tick_atom = caf::atom_constant<caf::atom("ctick")>;         // the coordinator's timer
using connect_atom = caf::atom_constant<caf::atom("cconnect")>;   // (edge actor): a worker joined
using load_atom = caf::atom_constant<caf::atom("jload")>;         // (id) -> PlaceDebate (the log)

/// Why a cluster node could not start. Stable codes: the CLI prints them.
enum class cluster_errc : uint8_t {
  cannot_listen = 1,  // the actor port is taken or cannot be bound
};

[[nodiscard]] inline std::string_view to_string(cluster_errc e) {
  switch (e) {
    case cluster_errc::cannot_listen: return "cannot_listen";
  }
  return "unknown";
}

/// One node as the edge sees it (`aragora-admin nodes`, /api/v1/cluster/nodes).
struct node_status {
  std::string name;
  std::vector<std::string> roles;
  std::string address;  // host:actor_port
  std::string status;   // up | down | draining
  uint32_t debates_in_flight = 0;
  uint32_t calls_pending = 0;
  std::optional<std::chrono::milliseconds> since_heartbeat;  // none: never heard from
  std::vector<v1::BreakerStatus> breakers;  // as its last heartbeat with breakers said
  std::string metrics;  // its /metrics as its last heartbeat carried it (when asked for)
};

struct cluster_status {
  std::vector<node_status> nodes;
  size_t orphans = 0;  // debates waiting for a worker
};

}  // namespace aragora::node

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::node::cluster_status)
