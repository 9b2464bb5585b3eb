#pragma once
// The debate actor: one per debate, a thin shell around debate_machine. It sends the machine's
// calls to an agent actor, arms one deadline per step, streams events to subscribers and reports
// the finished debate (with its sealed receipt) to its owner.

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/exit_reason.hpp>
#include <caf/fwd.hpp>
#include <mutex>
#include <unordered_set>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/debate/machine.hpp"
#include "actors/debate/messages.hpp"

namespace aragora::agent {
class agent_pool;
}
namespace aragora::timer {
class timer_service;
}
namespace aragora::storage {
class store;
}

namespace aragora::debate {

/// The debates of a node that are still running, so the node can stop them when it shuts down.
/// A hash set behind a mutex: CAF keeps an actor's links in a list, so linking thousands of
/// debates to one actor makes every link and unlink a scan.
class live_debates {
public:
  struct cancellation {
    std::string reason;
    std::string by;
  };

  /// Registers a debate; after cancel_all, returns the cancellation it must apply to itself (it
  /// was spawned before or after the cancel, but registers only when it first runs).
  [[nodiscard]] std::optional<cancellation> add(const caf::actor_addr& a);
  void remove(const caf::actor_addr& a);
  /// Sends every running debate an exit with `reason`.
  void stop_all(caf::exit_reason reason);
  /// Cancels every running debate, and every one that registers from now on (status cancelled,
  /// persisted, audited as cancelled by `by`); returns how many were running. Callable from any
  /// thread.
  size_t cancel_all(const std::string& reason, const std::string& by);

private:
  std::mutex mtx_;
  std::unordered_set<caf::actor_addr> running_;
  std::optional<cancellation> cancelled_;
};

/// What every debate actor of a node shares.
struct debate_services {
  timer::timer_service* timers = nullptr;
  // Shared: a debate that starts while its node is being destroyed still picks from a live pool.
  std::shared_ptr<const agent::agent_pool> agents;
  machine_options options;
  std::optional<std::string> signing_key;
  std::chrono::milliseconds phase_grace{defaults::phase_grace};
  time_point (*now)() = &std::chrono::system_clock::now;  // injectable for tests
  // Durable debates: set both, or neither for the in-memory mode.
  caf::actor writer;                     // storage::spawn_writer
  std::shared_ptr<storage::store> store;
  caf::actor durability_observer;        // optional: told what each write made durable
  caf::actor ranking;                    // optional: records every finished debate
  caf::actor memory;                     // optional: recalls context, remembers decisions
  caf::actor critiques;                  // optional: aggregates critique patterns
  uint32_t recall_k = defaults::memory_recall_k;
  live_debates* registry = nullptr;      // optional: lets the node stop running debates
};

/// Starts a debate. `owner` receives `debate_finished`; `subscribers` receive every event.
[[nodiscard]] caf::actor spawn_debate(caf::actor_system& sys,
                                      std::shared_ptr<const debate_services> services,
                                      std::shared_ptr<const debate_spec> spec, caf::actor owner,
                                      std::vector<caf::actor> subscribers = {},
                                      finish_report report = finish_report::full);

/// Continues a debate rebuilt from its event log: sends the pending calls of its current step.
[[nodiscard]] caf::actor resume_debate(caf::actor_system& sys,
                                       std::shared_ptr<const debate_services> services,
                                       std::shared_ptr<debate_machine> machine, caf::actor owner,
                                       std::vector<caf::actor> subscribers = {},
                                       finish_report report = finish_report::full);

/// The summary of a finished machine.
[[nodiscard]] debate_summary summarize(const debate_machine& m);

}  // namespace aragora::debate
