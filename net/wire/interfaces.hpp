#pragma once
// Typed actor interfaces (CAF 0.17) for the actors that other nodes talk to, every message an
// envelope. A proposal the actors are not wired to yet: the wire tests' peer implements them, so
// they compile and pass CAF's remote interface check.
//
// CAF 0.17 dispatches typed handlers on the argument types, and every payload is the same
// `envelope`, so a leading atom says what the envelope is for: one handler per role, the
// envelope's kind (a switch on kind_case) picks the operation within it. A request that gets one
// answer is `replies_to<atom, envelope>::with<envelope>` (CAF pairs the reply with the request
// and times it out); a stream or a batch that comes back in pieces is a one-way `reacts_to` to
// the sender of the command (CAF carries the sender; actors are never inside the protobuf).

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "net/wire/envelope.hpp"

namespace aragora::wire {

using command_atom = caf::atom_constant<caf::atom("command")>;    // StartDebate, CancelDebate, SubscribeDebate
using query_atom = caf::atom_constant<caf::atom("query")>;        // GetDebate, ListDebates, GetEvents
using calls_atom = caf::atom_constant<caf::atom("calls")>;        // AgentCalls
using outcomes_atom = caf::atom_constant<caf::atom("outcomes")>;  // AgentOutcomes
using event_atom = caf::atom_constant<caf::atom("event")>;        // Event
using report_atom = caf::atom_constant<caf::atom("report")>;      // DebateReport

/// A node's debate registry: starts debates (the sender owns them), cancels, subscribes, answers
/// queries from the store and the running debates.
using registry_actor =
    caf::typed_actor<caf::replies_to<command_atom, envelope>::with<envelope>,
                     caf::replies_to<query_atom, envelope>::with<envelope>>;

/// One debate: commands addressed to it, and its agents' outcomes (in batches, as they come).
using debate_actor = caf::typed_actor<caf::replies_to<command_atom, envelope>::with<envelope>,
                                      caf::reacts_to<outcomes_atom, envelope>>;

/// An agent actor: takes a step's calls; the outcomes go back to the sender as `outcomes`.
using agent_actor = caf::typed_actor<caf::reacts_to<calls_atom, envelope>>;

/// A store or journal that other nodes read.
using store_actor = caf::typed_actor<caf::replies_to<query_atom, envelope>::with<envelope>>;

/// A subscriber, and a debate's owner: events as they happen, the report at the end.
using subscriber_actor =
    caf::typed_actor<caf::reacts_to<event_atom, envelope>, caf::reacts_to<report_atom, envelope>>;

}  // namespace aragora::wire
