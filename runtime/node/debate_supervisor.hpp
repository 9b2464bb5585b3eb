#pragma once
// The supervisor of a node's debates. A debate actor that dies abnormally (a crash, a kill, an
// exception) is restarted from its event log with backoff, under the same owner and subscribers
// (kept by live_debates), and continues from its last completed step. Restarts share one breaker
// on restart intensity: in a crash loop it opens and debates that die meanwhile fail cleanly (owner
// told, record marked failed) instead of being restarted; one trial after the recovery closes it.
// An in-memory debate has no log to restart from: it fails cleanly.

#include <caf/fwd.hpp>
#include <memory>

#include "actors/debate/actor/debate_actor.hpp"
#include "runtime/base/supervision/restart_policy.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/node/registry_interface.hpp"

namespace aragora::node {

/// Spawned detached: a restart reads the debate's log from the store.
[[nodiscard]] debate_supervisor_actor spawn_debate_supervisor(
    caf::actor_system& sys, std::shared_ptr<const debate::debate_services> services,
    supervision::restart_options opts);

}  // namespace aragora::node
