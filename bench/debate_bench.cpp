// One whole debate: 3 mock agents, 3 rounds, lite protocol, early stop off, no latency.

#include <benchmark/benchmark.h>
#include <caf/all.hpp>

#include "actors/agent/mock_provider.hpp"
#include "actors/debate/actor/messages.hpp"
#include "actors/debate/receipt.hpp"
#include "runtime/node/local_node.hpp"

namespace {

using namespace aragora;

std::shared_ptr<const debate::debate_spec> spec() {
  debate::debate_spec s;
  s.id = "00000000000bench";
  s.question = "Should we adopt Kubernetes?";
  s.agents = {{"supportive", "mock", "supportive"},
              {"critical", "mock", "critical"},
              {"balanced", "mock", "balanced"}};
  s.rounds = 3;
  s.early_stop = false;
  return std::make_shared<const debate::debate_spec>(std::move(s));
}

// The protocol alone: machine + mock provider + message digests + receipt, no actors.
void BM_DebateMachine(benchmark::State& state) {
  auto s = spec();
  agent::mock_options mock;
  mock.message_bytes = static_cast<uint32_t>(state.range(0));
  auto now = std::chrono::system_clock::now();
  uint32_t calls = 0;
  for (auto _ : state) {
    debate::debate_machine m(s);
    agent::run_with_mock(m, now, mock);
    auto receipt = debate::make_receipt(m, std::nullopt);
    benchmark::DoNotOptimize(receipt);
    calls = m.agent_calls();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["agent_calls"] = calls;
}
BENCHMARK(BM_DebateMachine)->Arg(0)->Arg(2048)->Unit(benchmark::kMicrosecond);

using run_atom = caf::atom_constant<caf::atom("run")>;

// Runs `n` debates back to back from an event-based actor and answers when the last one ends.
caf::behavior sequential_driver(caf::event_based_actor* self, node::local_node* node,
                                std::shared_ptr<const debate::debate_spec> s) {
  auto remaining = std::make_shared<int>(0);
  auto promise = std::make_shared<caf::response_promise>();
  return {
      [=](run_atom, int n) {
        *remaining = n;
        *promise = self->make_response_promise();
        (void)node->start_debate(s, caf::actor_cast<caf::actor>(self));
        return caf::delegated<int>{};
      },
      [=](debate::debate_finished&) {
        if (--*remaining > 0)
          (void)node->start_debate(s, caf::actor_cast<caf::actor>(self));
        else
          promise->deliver(0);
      },
  };
}

void BM_DebateActor(benchmark::State& state) {
  // Not static: CAF 0.17's actor_system must be destroyed before exit() runs static destructors.
  config::node_config cfg;
  cfg.mock.message_bytes = static_cast<uint32_t>(state.range(0));
  node::local_node node{cfg};
  auto s = spec();
  auto driver = node.system().spawn(sequential_driver, &node, s);
  caf::scoped_actor self{node.system()};
  constexpr int batch = 100;
  for (auto _ : state) {
    self->request(driver, caf::infinite, run_atom::value, batch).receive([](int) {},
                                                                       [](caf::error&) {});
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["debate_us"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate |
                                                           benchmark::Counter::kInvert);
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  self->wait_for(driver);
}
BENCHMARK(BM_DebateActor)->Arg(0)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
