#pragma once
// The typed interface (CAF 0.17 typed_actor) of an agent worker (agent_actor.hpp): exactly the
// messages it accepts. Anything else sent to it, through a dynamically typed handle too, is
// refused (a request gets caf::sec::unexpected_message) and the worker keeps serving.
// Light: the message structs are only declared here.

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "runtime/base/fault/atoms.hpp"
#include "runtime/base/supervision/atoms.hpp"

namespace aragora::agent {

struct agent_calls;      // agent_actor.hpp
struct cancel_calls;     // agent_actor.hpp
struct timer_due;        // agent_actor.cpp: a timer of the worker's own scheduler is due
struct provider_report;  // agent_actor.cpp: a provider reported from another thread
struct token_delta;      // provider.hpp: a piece of a reply, to the calls' debate

/// Sent to every running debate when the supervisor restarted pool member `index`: the calls it
/// held died with it.
using agent_restarted_atom = caf::atom_constant<caf::atom("a_restart")>;

/// An agent worker. A step's calls are answered by `debate::call_outcomes` (and, when streamed,
/// `token_delta`) messages to their sender, in batches as they complete: not a response.
using worker_actor = caf::typed_actor<
    caf::reacts_to<agent_calls>,                                  // debates
    caf::reacts_to<cancel_calls>,                                 // debates
    caf::reacts_to<timer_due>,                                    // its own timers
    caf::reacts_to<provider_report>,                              // its providers' threads
    caf::replies_to<supervision::ping_atom>::with<caf::ok_atom>,  // supervisor's probe
    caf::reacts_to<fault::stall_atom>>;                           // fault hook (tests)

}  // namespace aragora::agent
