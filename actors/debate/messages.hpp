#pragma once
// The messages debate actors exchange with agents, owners and subscribers. All stay inside one
// process; what crosses a process is protobuf (net/proto).

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <memory>

#include "actors/debate/machine.hpp"

namespace aragora::v1 {
class Event;
class Receipt;
}  // namespace aragora::v1

namespace aragora::debate {

/// Outcomes of agent calls, delivered together.
struct call_outcomes {
  std::vector<call_outcome> items;
};

/// Timer message: the step `step` has reached its deadline.
struct phase_deadline {
  uint32_t step;
};

/// Sent to a debate's owner when it ends; the machine is final and shared read-only.
struct debate_finished {
  std::shared_ptr<const debate_machine> machine;
  sealed_receipt receipt;
};

/// One event for subscribers, built once and shared by all of them.
using event_ptr = std::shared_ptr<const v1::Event>;

using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;

}  // namespace aragora::debate

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::call_outcomes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::phase_deadline)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::debate_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::event_ptr)
