#pragma once
// The typed interface (CAF 0.17 typed_actor) of a debate actor (debate_actor.hpp): exactly the
// messages it accepts: its commands, what its collaborators send back, what the node's
// supervisors tell it, its own timers and the fault hook. Anything else sent to it, through a
// dynamically typed handle too, is refused (a request gets caf::sec::unexpected_message) and the
// debate goes on. Light: the message structs are only declared here.

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

#include "actors/agent/interface.hpp"
#include "runtime/base/fault/atoms.hpp"
#include "storage/interface.hpp"

namespace aragora::debate {

struct call_outcomes;   // messages.hpp
struct phase_deadline;  // messages.hpp
struct write_deadline;  // debate_actor.cpp: a write has had no answer within the write timeout
struct debate_crashed;  // debate_actor.hpp

/// Cancels a debate: (cancel_atom, reason) or (cancel_atom, reason, by) for the audit log.
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
/// (subscribe_atom, caf::actor): the actor receives every event from now on.
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
/// Sent to every running debate when a supervisor restarted the writer: writes in flight to the
/// old one will never be answered.
using writer_restarted_atom = caf::atom_constant<caf::atom("w_restart")>;
/// The debate's own timer: retry a failed write now.
using retry_atom = caf::atom_constant<caf::atom("retry")>;

using debate_actor_type = caf::typed_actor<
    // commands: its owner, the node (cancel_all), subscribers
    caf::reacts_to<cancel_atom, std::string>,
    caf::reacts_to<cancel_atom, std::string, std::string>,
    caf::reacts_to<subscribe_atom, caf::actor>,
    // what its collaborators send back: the agent worker's outcomes, the writer's acks
    caf::reacts_to<call_outcomes>,
    caf::reacts_to<agent::token_delta>,
    caf::reacts_to<storage::persist_ack>,
    // the node's supervisors (through live_debates): an agent worker or the writer restarted
    caf::reacts_to<agent::agent_restarted_atom, uint64_t>,
    caf::reacts_to<writer_restarted_atom>,
    // its own timers
    caf::reacts_to<phase_deadline>,
    caf::reacts_to<write_deadline>,
    caf::reacts_to<retry_atom>,
    // the fault hook (tests)
    caf::reacts_to<fault::stall_atom>>;

/// Where live_debates reports a debate actor that died abnormally: the debate supervisor
/// (runtime/node/registry_interface.hpp) extends this interface.
using crash_handler_actor = caf::typed_actor<caf::reacts_to<debate_crashed>>;

}  // namespace aragora::debate
