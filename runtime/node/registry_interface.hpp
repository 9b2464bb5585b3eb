#pragma once
// The typed interface (CAF 0.17 typed_actor) of the debate supervisor (debate_supervisor.hpp),
// the registry that restarts a node's debates: exactly the messages it accepts. Anything else
// sent to it, through a dynamically typed handle too, is refused (a request gets
// caf::sec::unexpected_message) and it keeps serving. Light: the message structs are only
// declared here.

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/debate/actor/interface.hpp"
#include "runtime/base/supervision/atoms.hpp"
#include "storage/interface.hpp"

namespace aragora::supervision {
struct child_status;  // supervisor.hpp
}

namespace aragora::node {

// Its own timers.
using restart_atom = caf::atom_constant<caf::atom("d_restart")>;  // (restart_atom, debate id)
using tick_atom = caf::atom_constant<caf::atom("d_tick")>;        // the breaker's clock
using barrier_atom = caf::atom_constant<caf::atom("d_barrier")>;  // (barrier_atom, token): lapsed

/// The debate supervisor: what live_debates tells it (debate::crash_handler_actor) and more.
using debate_supervisor_actor = debate::crash_handler_actor::extend<
    // the writer: a restart's barrier write (an empty persist_request) is done
    caf::reacts_to<storage::persist_ack>,
    // the node (local_node::supervision_status), and the root supervisor's probe
    caf::replies_to<supervision::status_atom>::with<std::vector<supervision::child_status>>,
    caf::replies_to<supervision::ping_atom>::with<caf::ok_atom>,
    // its own timers
    caf::reacts_to<restart_atom, std::string>,
    caf::reacts_to<barrier_atom, uint64_t>,
    caf::reacts_to<tick_atom>>;

}  // namespace aragora::node
