#pragma once
// What an actor that other nodes talk to does with a message it cannot read.
//
// CAF 0.17.6 does not drop a remote message whose content fails to deserialise: BASP reads it
// with `source(stages, msg)`, whose `message` goes through serialize(Processor&,
// type_erased_tuple&), which discards load's error, so the message is delivered EMPTY from the
// real sender with the real request id. A malformed, cut or oversized envelope (inspect refuses
// it with its wire code) therefore arrives as `()`. The default handler below answers it with
// unreadable_message, so a requester fails at once instead of timing out, and drops any other
// unexpected message with sec::unexpected_message, as CAF's print_and_drop does, but without
// printing on stdout (which carries the CLI's results).

#include <caf/scheduled_actor.hpp>
#include <functional>

namespace aragora::wire {

/// Called with the sender of each unreadable message (to count it, log it, or fence the node).
using unreadable_hook = std::function<void(const caf::strong_actor_ptr& sender)>;

/// For set_default_handler of every actor other nodes talk to.
[[nodiscard]] caf::scheduled_actor::default_handler refuse_unreadable(unreadable_hook hook = {});

}  // namespace aragora::wire
