#pragma once
// The typed interfaces (CAF 0.17 typed_actor) of the storage actors (storage_actors.hpp): exactly
// the messages each one accepts. Anything else sent to them, through a dynamically typed handle
// too, is refused (a request gets caf::sec::unexpected_message) and the actor keeps serving.
// Light: the message structs are only declared here (defined in storage_actors.hpp).

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "runtime/base/fault/atoms.hpp"
#include "runtime/base/supervision/atoms.hpp"

namespace aragora::storage {

struct persist_request;
struct persist_ack;

/// The sweeper's own timer message: compact the families with a retention now.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

/// The writer (group commit). A persist_request is answered by a persist_ack message to its
/// sender (not a response: the writer batches requests and answers them after one write).
using writer_actor = caf::typed_actor<
    caf::reacts_to<persist_request>,                                 // debates, the registry
    caf::replies_to<supervision::ping_atom>::with<caf::ok_atom>,     // supervisor's probe
    caf::reacts_to<fault::stall_atom>>;                              // fault hook (tests)

/// The retention sweeper.
using sweeper_actor = caf::typed_actor<
    caf::reacts_to<sweep_atom>,                                      // its own timer
    caf::replies_to<supervision::ping_atom>::with<caf::ok_atom>>;    // supervisor's probe

}  // namespace aragora::storage
