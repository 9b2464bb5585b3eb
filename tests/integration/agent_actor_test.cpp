// The agent actors: the pool's lifetime against the actor system's, and the provider seam through
// real actors and the node's timer service.

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/agent/agent_actor.hpp"
#include "actors/debate/messages.hpp"
#include "runtime/node/local_node.hpp"
#include "tests/support/drive.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;

TEST(AgentPool, ANodeDestroyedWhileItsAgentsAreBusyDoesNotTouchFreedMemory) {
  // The agent workers are still working through a backlog of steps (and latency timers) while
  // the node is destroyed: nothing they touch may be freed before the actor system has stopped
  // them. Before the fix, a worker recorded its backlog into the pool's counters after the pool
  // was gone (AddressSanitizer: heap-use-after-free in the agent worker).
  for (int rep = 0; rep < 3; ++rep) {
    config::node_config cfg;
    cfg.agent_workers = 1;  // one long backlog
    cfg.scheduler_threads = 2;
    node::local_node node{cfg};
    caf::scoped_actor self{node.system()};
    for (int i = 0; i < 400; ++i) {
      auto s = std::make_shared<debate::debate_spec>(*test::make_spec([&](debate::debate_spec& x) {
        x.rounds = 12;
        x.seed = static_cast<uint32_t>(i);
        x.mock.latency_ms = i % 2;  // half of them wait on a timer, half keep the worker busy
      }));
      s->id = node.next_debate_id();
      (void)node.start_debate(s, self, {}, debate::finish_report::summary);
    }
    std::this_thread::sleep_for(20ms);  // let the backlog build; then the node goes away busy
  }
}

}  // namespace
}  // namespace aragora
