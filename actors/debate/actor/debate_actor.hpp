#pragma once
// The debate actor: one per debate, a thin shell around debate_machine. It sends the machine's
// calls to an agent actor, arms one deadline per step, streams events to subscribers and reports
// the finished debate (with its sealed receipt) to its owner.

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/exit_reason.hpp>
#include <caf/fwd.hpp>
#include <caf/atom.hpp>
#include <mutex>
#include <unordered_map>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/debate/machine.hpp"
#include "actors/debate/actor/interface.hpp"
#include "actors/debate/actor/messages.hpp"
#include "actors/debate/actor/write_tracker.hpp"
#include "runtime/base/supervision/actor_slot.hpp"
#include "storage/interface.hpp"

namespace aragora::agent {
class agent_pool;
}
namespace aragora::timer {
class timer_service;
}
namespace aragora::storage {
class store;
}
namespace aragora::fault {
class injector;
}

namespace aragora::debate {

/// The debates of a node that are still running, by id: the actor now running each one, and what
/// outlives that actor (its owner, subscribers, report mode), so a supervisor can restart it.
/// A hash map behind a mutex: CAF keeps an actor's links in a list, so linking thousands of
/// debates to one actor makes every link and unlink a scan.
class live_debates {
public:
  struct cancellation {
    std::string reason;
    std::string by;
  };
  struct entry {
    caf::actor_addr actor;
    caf::actor owner;
    std::vector<caf::actor> subscribers;
    finish_report report = finish_report::full;
    std::shared_ptr<const debate_spec> spec;  // to start again a debate that died before any write
  };

  /// Registers (or, after a restart, re-registers) the actor running debate `id`; after
  /// cancel_all, returns the cancellation it must apply to itself.
  [[nodiscard]] std::optional<cancellation> add(const std::string& id, const caf::actor_addr& a,
                                                const caf::actor& owner,
                                                const std::vector<caf::actor>& subscribers,
                                                finish_report report,
                                                std::shared_ptr<const debate_spec> spec);
  void subscribe(const std::string& id, const caf::actor& subscriber);
  /// The actor `a` of debate `id` ended. A normal end forgets the debate; an abnormal one (a
  /// crash, a kill) goes to the supervisor, or, without one, fails the debate to its owner.
  void ended(const std::string& id, const caf::actor_addr& a, const caf::error& reason);
  /// The entry of a debate (for a restart); nullopt once it has ended.
  [[nodiscard]] std::optional<entry> find(const std::string& id);
  /// Forgets a debate whose restart was given up (its owner has been told).
  void forget(const std::string& id);
  /// Where crashes go: the debate supervisor.
  void set_supervisor(crash_handler_actor sup);

  /// Sends every running debate an exit with `reason`.
  void stop_all(caf::exit_reason reason);
  /// Sends every running debate `msg`.
  void broadcast(const caf::message& msg);
  /// Cancels every running debate, and every one that registers from now on (status cancelled,
  /// persisted, audited as cancelled by `by`); returns how many were running. Callable from any
  /// thread.
  size_t cancel_all(const std::string& reason, const std::string& by);
  /// Cancels one running debate; false when it is not running here. Callable from any thread.
  bool cancel(const std::string& id, const std::string& reason, const std::string& by);
  [[nodiscard]] size_t size();

private:
  [[nodiscard]] std::vector<caf::actor_addr> actors_locked() const;  // holding mtx_

  std::mutex mtx_;
  std::unordered_map<std::string, entry> running_;
  std::optional<cancellation> cancelled_;
  crash_handler_actor supervisor_;
};

/// Sent by live_debates to the debate supervisor when a debate actor died abnormally.
struct debate_crashed {
  std::string id;
  std::string reason;
};

/// What every debate actor of a node shares.
struct debate_services {
  timer::timer_service* timers = nullptr;
  // Shared: a debate that starts while its node is being destroyed still picks from a live pool.
  std::shared_ptr<const agent::agent_pool> agents;
  machine_options options;
  std::optional<std::string> signing_key;
  std::chrono::milliseconds phase_grace{defaults::phase_grace};
  // Ask real providers for pieces of replies (token_delta events) when the debate has
  // subscribers: set by `aragora serve`, whose WebSocket clients show them.
  bool stream_deltas = false;
  time_point (*now)() = &std::chrono::system_clock::now;  // injectable for tests
  // Durable debates: set both, or neither for the in-memory mode. Services are slots: a supervisor
  // that restarts one puts the new actor there.
  std::shared_ptr<supervision::typed_slot<storage::writer_actor>> writer;  // storage::spawn_writer
  std::shared_ptr<storage::store> store;
  caf::actor durability_observer;        // optional: told what each write made durable
  std::shared_ptr<supervision::actor_slot> ranking;    // optional: records every finished debate
  std::shared_ptr<supervision::actor_slot> memory;     // optional: recalls, remembers decisions
  std::shared_ptr<supervision::actor_slot> critiques;  // optional: aggregates critique patterns
  uint32_t recall_k = defaults::memory_recall_k;
  live_debates* registry = nullptr;      // optional: lets the node stop and restart debates
  fault::injector* faults = nullptr;     // optional: the fault hook (tests)
  std::chrono::milliseconds write_timeout{defaults::write_timeout};
  write_tracker::options write_options{std::chrono::milliseconds{30'000},
                                       std::chrono::milliseconds{defaults::write_hold_limit}};
};

/// Starts a debate. `owner` receives `debate_finished`; `subscribers` receive every event.
[[nodiscard]] debate_actor_type spawn_debate(caf::actor_system& sys,
                                             std::shared_ptr<const debate_services> services,
                                             std::shared_ptr<const debate_spec> spec,
                                             caf::actor owner,
                                             std::vector<caf::actor> subscribers = {},
                                             finish_report report = finish_report::full);

/// Continues a debate rebuilt from its event log: sends the pending calls of its current step.
[[nodiscard]] debate_actor_type resume_debate(caf::actor_system& sys,
                                              std::shared_ptr<const debate_services> services,
                                              std::shared_ptr<debate_machine> machine,
                                              caf::actor owner,
                                              std::vector<caf::actor> subscribers = {},
                                              finish_report report = finish_report::full);

/// The summary of a finished machine.
[[nodiscard]] debate_summary summarize(const debate_machine& m);

}  // namespace aragora::debate

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::debate_crashed)
