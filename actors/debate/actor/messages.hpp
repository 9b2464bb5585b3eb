#pragma once
// The messages debate actors exchange with agents, owners and subscribers. All stay inside one
// process; what crosses a process is protobuf (net/proto).

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <memory>
#include <optional>
#include <string>

#include "actors/debate/actor/interface.hpp"
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

/// How a finished debate ended, in a few numbers.
struct debate_summary {
  debate_status status = debate_status::running;
  bool reached = false;
  uint32_t agent_calls = 0;
  uint32_t failed_calls = 0;
  time_point started_at;
  time_point finished_at;
  std::optional<time_point> first_message_at;
  uint32_t calls_sent = 0;  // calls this run of the debate sent (less than agent_calls if resumed)
};

/// What a debate's owner wants back when it ends.
enum class finish_report : uint8_t {
  full,     // the final machine (transcript and all), shared read-only
  summary,  // only the summary: the debate's memory is freed where it ran
};

/// Sent to a debate's owner when it ends.
struct debate_finished {
  std::string id;
  debate_summary summary;
  sealed_receipt receipt;
  std::shared_ptr<const debate_machine> machine;  // set for finish_report::full
  // Set when the debate actor itself failed (an exception, e.g. out of memory): the summary says
  // failed, and there is no machine and no receipt.
  std::string error;
  // The cluster moved the debate to another node while it ran here: it stopped without ending.
  bool moved = false;
};

/// The report of a debate that could not go on (its actor died and was not restarted, its writes
/// failed past the hold limit): status failed, no machine, no receipt.
[[nodiscard]] inline debate_finished failed_report(std::string id, const std::string& why,
                                                   std::optional<time_point> started_at = {}) {
  debate_finished done;
  done.summary.status = debate_status::failed;
  done.summary.finished_at = std::chrono::system_clock::now();
  done.summary.started_at = started_at.value_or(done.summary.finished_at);
  done.error = "debate " + id + " failed: " + why;
  done.id = std::move(id);
  return done;
}

/// Sent to a durability observer when a debate's events up to `seq` are on disk.
struct debate_durable {
  std::string id;
  uint32_t seq;
};

/// One event for subscribers, built once and shared by all of them.
using event_ptr = std::shared_ptr<const v1::Event>;

// cancel_atom, subscribe_atom: interface.hpp.

}  // namespace aragora::debate

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::call_outcomes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::phase_deadline)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::debate_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::debate_durable)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::event_ptr)
