// Debates through the real actor path: local_node, agent pool, timer service, debate actors.

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "actors/agent/agent_actor.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/actor/debate_actor.hpp"
#include "actors/debate/actor/messages.hpp"
#include "actors/debate/receipt.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/base/timer/timer_service.hpp"
#include "storage/storage_actors.hpp"
#include "tests/support/drive.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;

struct run_output {
  debate::debate_finished done;
  std::vector<debate::event_ptr> events;
  std::chrono::steady_clock::duration elapsed;
};

run_output run_one(node::local_node& node, std::shared_ptr<const debate::debate_spec> spec,
                   bool subscribe = true) {
  caf::scoped_actor self{node.system()};
  run_output out;
  auto start = std::chrono::steady_clock::now();
  std::vector<caf::actor> subs;
  if (subscribe) subs.push_back(self);
  auto d = node.start_debate(spec, self, subs);
  bool finished = false;
  self->receive_while([&] { return !finished; })(
      [&](debate::event_ptr& e) { out.events.push_back(std::move(e)); },
      [&](debate::debate_finished& f) {
        out.done = std::move(f);
        finished = true;
      },
      caf::after(30s) >> [&] {
        ADD_FAILURE() << "debate did not finish";
        finished = true;
      });
  out.elapsed = std::chrono::steady_clock::now() - start;
  return out;
}

std::vector<std::string> texts(const debate::debate_machine& m) {
  std::vector<std::string> out;
  for (auto i : m.canonical_order()) out.push_back(*m.transcript()[i].text);
  return out;
}

/// A node whose mock provider is configured by `edit`.
config::node_config with_mock(std::function<void(agent::mock_options&)> edit) {
  config::node_config cfg;
  edit(cfg.mock);
  return cfg;
}

TEST(DebateActor, MatchesThePureMachineForTheSameSeed) {
  node::local_node node{with_mock([](auto& m) { m.message_bytes = 300; })};
  auto spec = test::make_spec([](debate::debate_spec& s) {
    s.rounds = 3;
    s.seed = 11;
  });
  auto out = run_one(node, spec);
  ASSERT_TRUE(out.done.machine);
  debate::debate_machine reference(spec);
  test::drive(reference, test::mock_with(test::sized(300)));
  EXPECT_EQ(texts(*out.done.machine), texts(reference));
  EXPECT_EQ(out.done.machine->agent_calls(), 36u);
  EXPECT_EQ(out.done.machine->outcome().status, reference.outcome().status);
  auto receipt = debate::make_receipt(*out.done.machine, std::nullopt);
  EXPECT_EQ(receipt.sha256(), out.done.receipt.sha256);
  EXPECT_TRUE(debate::verify_receipt(receipt, std::nullopt).valid());
}

TEST(DebateActor, StreamsEveryEventInSequence) {
  node::local_node node{config::node_config{}};
  auto spec = test::make_spec([](debate::debate_spec& s) { s.rounds = 2; });
  auto out = run_one(node, spec);
  ASSERT_FALSE(out.events.empty());
  for (size_t i = 0; i < out.events.size(); ++i) {
    EXPECT_EQ(out.events[i]->seq(), i + 1);
    EXPECT_EQ(out.events[i]->debate_id(), spec->id);
  }
  EXPECT_EQ(out.events.front()->type(), v1::EventType::debate_start);
  EXPECT_EQ(out.events.back()->type(), v1::EventType::debate_end);
  EXPECT_EQ(out.events.size(), out.done.machine->last_seq());
}

TEST(DebateActor, LatencyIsSimulatedWithTimersNotSleeps) {
  auto cfg = with_mock([](auto& m) { m.latency_ms = 40; });
  cfg.scheduler_threads = 1;  // a sleeping agent would serialise everything on one thread
  node::local_node node{cfg};
  auto spec = test::make_spec([](debate::debate_spec& s) { s.rounds = 2; });
  // 2 rounds x 3 phases, each one latency long, for 20 debates at once.
  caf::scoped_actor self{node.system()};
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    auto s = std::make_shared<debate::debate_spec>(*spec);
    s->id = node.next_debate_id();
    (void)node.start_debate(s, self);
  }
  int finished = 0;
  self->receive_while([&] { return finished < 20; })(
      [&](debate::debate_finished& f) {
        ++finished;
        EXPECT_EQ(f.machine->agent_calls(), 24u);
        EXPECT_EQ(f.machine->failed_calls(), 0u);
      },
      caf::after(30s) >> [&] {
        ADD_FAILURE() << finished << " of 20 debates finished";
        finished = 20;
      });
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 6 * 40ms);
  // One after another would take 20 x 240 ms = 4.8 s; the bound leaves room for a loaded machine.
  EXPECT_LT(elapsed, 3s);
}

TEST(DebateActor, CallsSlowerThanTheAgentTimeoutFailAsTimeouts) {
  node::local_node node{with_mock([](auto& m) { m.latency_ms = 5000; })};
  auto spec = test::make_spec([](debate::debate_spec& s) { s.agent_timeout = 50ms; });
  auto out = run_one(node, spec);
  const auto& m = *out.done.machine;
  EXPECT_EQ(m.outcome().status, debate::debate_status::failed);
  EXPECT_EQ(m.outcome().confidence, 0.0);
  ASSERT_EQ(m.errors().size(), 3u);
  for (const auto& e : m.errors()) EXPECT_EQ(e.code, debate::call_errc::timeout);
  EXPECT_LT(out.elapsed, 2s);
}

TEST(DebateActor, ThePhaseDeadlineCatchesAgentsThatNeverAnswer) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  timer::timer_service timers;
  // An agent that takes calls and never replies.
  auto silent = sys.spawn([]() -> caf::behavior { return {[](agent::agent_calls&) {}}; });
  // A stand-in that takes only the calls: cast to the worker's interface.
  auto pool = std::make_shared<agent::agent_pool>(
      std::vector<agent::worker_actor>{caf::actor_cast<agent::worker_actor>(silent)});
  auto services = std::make_shared<debate::debate_services>();
  services->timers = &timers;
  services->agents = pool;
  services->phase_grace = 20ms;
  auto spec = test::make_spec([](debate::debate_spec& s) { s.agent_timeout = 30ms; });
  caf::scoped_actor self{sys};
  auto start = std::chrono::steady_clock::now();
  (void)debate::spawn_debate(sys, services, spec, self);
  debate::debate_finished done;
  self->receive([&](debate::debate_finished& f) { done = std::move(f); },
                caf::after(5s) >> [] { FAIL() << "the deadline never fired"; });
  ASSERT_TRUE(done.machine);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_EQ(done.machine->outcome().status, debate::debate_status::failed);
  ASSERT_EQ(done.machine->errors().size(), 3u);
  for (const auto& e : done.machine->errors()) EXPECT_EQ(e.code, debate::call_errc::timeout);
  pool->stop();
  timers.stop();
}

TEST(DebateActor, ADeadlineThatFiresWhileAStepIsBeingWrittenDoesNotCutTheNextStepShort) {
  // Before the actor system: the debate actor holds the store (services) until the system's
  // destructor has waited for it, and the directory may only be removed once it is closed
  // (found by scripts/sanitize: "cannot remove: Directory not empty", 1 run in 20).
  test::temp_store store{"slow-writer"};
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  timer::timer_service timers;
  agent::mock_options each_step_100ms;
  each_step_100ms.latency_ms = 100;
  auto pool = std::make_shared<agent::agent_pool>(sys, timers, 1,
                                                 agent::standard_providers(each_step_100ms));
  // A writer that takes 500 ms to acknowledge the second write (the end of step 1), longer than
  // a step's limit: step 1's deadline fires while it is on its way.
  auto writer = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    auto writes = std::make_shared<int>(0);
    return {[=](storage::persist_request& r) {
      auto to = caf::actor_cast<caf::actor>(self->current_sender());
      if (++*writes == 2) {
        self->delayed_send(to, 500ms, storage::persist_ack{r.token, std::nullopt});
      } else {
        self->send(to, storage::persist_ack{r.token, std::nullopt});
      }
    }};
  });
  auto services = std::make_shared<debate::debate_services>();
  services->timers = &timers;
  services->agents = pool;
  services->phase_grace = 20ms;
  // A stand-in that takes only the writes: cast to the writer's interface.
  services->writer = std::make_shared<supervision::typed_slot<storage::writer_actor>>(
      caf::actor_cast<storage::writer_actor>(writer));
  services->store = store.db;
  auto spec = test::make_spec([](debate::debate_spec& s) {
    s.agent_timeout = 300ms;  // a step may take 320 ms
    s.rounds = 1;
  });
  caf::scoped_actor self{sys};
  (void)debate::spawn_debate(sys, services, spec, self);
  debate::debate_finished done;
  self->receive([&](debate::debate_finished& f) { done = std::move(f); },
                caf::after(10s) >> [] { FAIL() << "no result"; });
  ASSERT_TRUE(done.machine);
  EXPECT_EQ(done.machine->failed_calls(), 0u) << "a call timed out";
  EXPECT_NE(done.machine->outcome().status, debate::debate_status::failed);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  pool->stop();
  timers.stop();
}

TEST(DebateActor, ANodeShutsDownWithDebatesStillRunning) {
  auto start = std::chrono::steady_clock::now();
  {
    node::local_node node{with_mock([](auto& m) { m.latency_ms = 60'000; })};
    caf::scoped_actor self{node.system()};
    for (int i = 0; i < 10; ++i) {
      auto s = std::make_shared<debate::debate_spec>(*test::make_spec());
      s->id = node.next_debate_id();
      (void)node.start_debate(s, self);
    }
    std::this_thread::sleep_for(50ms);
  }  // must not wait a minute for the calls, or forever
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(DebateActor, FailuresAreReportedAndTheDebateCompletes) {
  node::local_node node{with_mock([](auto& m) { m.fail_rate = 0.3; })};
  auto spec = test::make_spec([](debate::debate_spec& s) {
    s.rounds = 3;
    s.seed = 5;
  });
  auto out = run_one(node, spec);
  const auto& m = *out.done.machine;
  EXPECT_GT(m.failed_calls(), 0u);
  v1::DebateResult r;
  debate::fill_result(m, nullptr, r);
  EXPECT_EQ(r.agents_requested_size(), 3);
  EXPECT_GT(r.agents_failed_size(), 0);
  EXPECT_EQ(r.failed_calls(), m.failed_calls());
  size_t error_events = 0;
  for (const auto& e : out.events) error_events += e->type() == v1::EventType::agent_error;
  EXPECT_EQ(error_events, m.failed_calls());
}

TEST(DebateActor, CancelEndsADebateInFlight) {
  node::local_node node{with_mock([](auto& m) { m.latency_ms = 200; })};
  auto spec = test::make_spec([](debate::debate_spec& s) { s.rounds = 5; });
  caf::scoped_actor self{node.system()};
  auto d = node.start_debate(spec, self);
  self->send(d, debate::cancel_atom::value, std::string{"test cancel"});
  debate::debate_finished done;
  self->receive([&](debate::debate_finished& f) { done = std::move(f); },
                caf::after(5s) >> [] { FAIL() << "no result"; });
  ASSERT_TRUE(done.machine);
  EXPECT_EQ(done.machine->outcome().status, debate::debate_status::cancelled);
  EXPECT_EQ(debate::make_receipt(*done.machine, std::nullopt).status(), v1::Status::cancelled);
}

TEST(DebateActor, ANodeWideCancelAlsoStopsDebatesThatStartAfterIt) {
  // Ctrl-C cancels the node's debates; one spawned at the same moment registers only when it
  // first runs, and must cancel itself then instead of running to its end.
  node::local_node node{with_mock([](auto& m) { m.latency_ms = 200; })};
  EXPECT_EQ(node.cancel_all("interrupted by SIGINT", "signal"), 0u);
  auto spec = test::make_spec([](debate::debate_spec& s) { s.rounds = 5; });
  caf::scoped_actor self{node.system()};
  (void)node.start_debate(spec, self);
  debate::debate_finished done;
  self->receive([&](debate::debate_finished& f) { done = std::move(f); },
                caf::after(5s) >> [] { FAIL() << "no result"; });
  ASSERT_TRUE(done.machine);
  EXPECT_EQ(done.machine->outcome().status, debate::debate_status::cancelled);
  EXPECT_EQ(done.machine->outcome().error, "interrupted by SIGINT");
}

TEST(DebateActor, ManyConcurrentDebatesAllComplete) {
  node::local_node node{with_mock([](auto& m) { m.latency_ms = 1; })};
  caf::scoped_actor self{node.system()};
  constexpr int n = 500;
  for (int i = 0; i < n; ++i) {
    auto s = test::make_spec([&](debate::debate_spec& x) {
      x.rounds = 2;
      x.seed = static_cast<uint32_t>(i);
    });
    auto copy = std::make_shared<debate::debate_spec>(*s);
    copy->id = node.next_debate_id();
    (void)node.start_debate(copy, self);
  }
  int finished = 0;
  std::set<std::string> ids;
  self->receive_while([&] { return finished < n; })(
      [&](debate::debate_finished& f) {
        ++finished;
        ids.insert(f.machine->spec().id);
        EXPECT_EQ(f.machine->agent_calls(), 24u);
      },
      caf::after(60s) >> [&] {
        ADD_FAILURE() << finished << " of " << n << " debates finished";
        finished = n;
      });
  EXPECT_EQ(ids.size(), static_cast<size_t>(n));
}

}  // namespace
}  // namespace aragora
