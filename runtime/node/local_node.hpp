#pragma once
// One node of the runtime in this process: the actor system, the timer service, the agent pool
// and the services every debate actor shares.

#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/agent/llm_provider.hpp"
#include "actors/debate/actor/interface.hpp"
#include "actors/debate/actor/messages.hpp"
#include "actors/debate/types.hpp"
#include "runtime/config/config.hpp"
#include "runtime/base/supervision/supervisor.hpp"

namespace aragora::v1 {
class BreakerStatus;
}
namespace aragora::fault {
class injector;
}
namespace aragora::storage {
class store;
}

namespace aragora::debate {
struct stored_debate;
}

namespace aragora::node {

/// How a node takes part in a cluster (`aragora node`); the defaults make a node alone.
struct cluster_role {
  /// Loads CAF's middleman (BASP) with the envelope type, and CAF's own heartbeats: the peers'
  /// connections are watched at `heartbeat` and dropped after `connection_timeout` of silence.
  bool network = false;
  std::chrono::milliseconds heartbeat{0};
  std::chrono::milliseconds connection_timeout{0};
  /// The node rates finished debates (a worker does not: the journal node's ranking does).
  bool ranking = true;
  /// The writer debates write through, given the local one (a worker's replicating writer, which
  /// it must link to). Empty: the local writer.
  std::function<caf::actor(caf::actor_system&, caf::actor local_writer)> wrap_writer;
};

class local_node {
public:
  /// With `store`, debates are durable: every step is persisted and finished debates are synced
  /// before they are reported. Without it they live in memory only.
  explicit local_node(const config::node_config& cfg,
                      std::optional<std::string> signing_key = std::nullopt,
                      std::shared_ptr<storage::store> store = nullptr, cluster_role role = {});
  /// Stops the agent pool and the timers, then waits for every actor to finish: debates must
  /// have ended (or been cancelled) before the node goes away.
  ~local_node();
  local_node(const local_node&) = delete;
  local_node& operator=(const local_node&) = delete;

  [[nodiscard]] caf::actor_system& system();

  /// A new debate id (runtime/ids): 26 characters of Crockford base32, unique across nodes and
  /// processes, sorting by creation time.
  [[nodiscard]] std::string next_debate_id();

  /// Spawns a debate actor; `owner` receives `debate::debate_finished`.
  [[nodiscard]] debate::debate_actor_type start_debate(
      std::shared_ptr<const debate::debate_spec> spec, caf::actor owner,
      std::vector<caf::actor> subscribers = {},
      debate::finish_report report = debate::finish_report::full);

  struct resumed {
    std::vector<std::string> ids;                               // debates continuing
    std::vector<std::pair<std::string, std::string>> unreadable;  // id, why (marked failed)
  };

  /// Rebuilds every unfinished debate of the store from its event log and continues it;
  /// `owner` receives their `debate_finished`. Reads the disk: call from a non-scheduler thread.
  [[nodiscard]] resumed resume_unfinished(
      caf::actor owner, debate::finish_report report = debate::finish_report::full,
      const std::string& actor = "", std::vector<caf::actor> subscribers = {});

  /// Continues one debate from its record and event log (a debate moved here from another
  /// node): rebuilt from the events, it goes on from the last step they hold. The log must be
  /// in the store too (the caller writes it); nothing is read here. Errors: the log does not
  /// replay (why).
  [[nodiscard]] std::optional<std::string> resume_from(const debate::stored_debate& log, caf::actor owner,
                                                       debate::finish_report report,
                                                       std::vector<caf::actor> subscribers = {});

  /// Cancels every running debate; each still ends normally (persisted, reported to its owner).
  /// Callable from any thread, e.g. a signal handler's.
  size_t cancel_all(const std::string& reason, const std::string& by);

  /// Cancels one running debate (it ends cancelled, persisted, audited as cancelled by `by`);
  /// false when it is not running on this node. Callable from any thread.
  bool cancel(const std::string& id, const std::string& reason, const std::string& by);

  /// Whether a debate actor for `id` is alive here (running, or cancelled and still stopping).
  /// Callable from any thread.
  [[nodiscard]] bool is_running(const std::string& id);

  /// The ranking actor as it runs now (it answers (ranking::leaderboard_atom, domain)); null
  /// without a store.
  [[nodiscard]] caf::actor ranking();

  /// Tells `observer` (debate_durable) what every persisted step made durable. Call it before
  /// debates run: running debates read the observer unsynchronised.
  void observe_durability(caf::actor observer);

  /// The fault-injection hook, when the config enabled it (tests); nullptr otherwise.
  [[nodiscard]] fault::injector* faults();

  /// Each supervisor's children: up, breaker state, restarts. Blocks: not from an actor.
  [[nodiscard]] std::vector<supervision::child_status> supervision_status();

  /// Every breaker of this node: each supervisor's children, the providers, the store. Blocks:
  /// not from an actor.
  [[nodiscard]] std::vector<v1::BreakerStatus> breakers();

  /// The real providers' breakers (none without configured providers). Any thread.
  [[nodiscard]] std::vector<agent::provider_breaker> provider_breakers() const;

  /// Debates registered as running (started or restarted, not yet ended).
  [[nodiscard]] size_t running_debates();

  /// The agent actors' longest call backlog since the last reset.
  [[nodiscard]] uint64_t peak_queue_depth() const;
  void reset_peak_queue_depth();
  /// Each agent worker's backlog of debate steps when it last took one.
  [[nodiscard]] std::vector<uint64_t> queue_depths() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace aragora::node
