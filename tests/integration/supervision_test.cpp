// Supervision (label integration): a writer that never answers, a writer that stalls or crashes,
// a debate actor that dies mid-run, a crash loop that opens a supervisor's breaker. Real actors,
// real RocksDB, the fault hook.

#include <gtest/gtest.h>

#include <caf/all.hpp>

#include <set>
#include <thread>

#include "actors/agent/agent_actor.hpp"
#include "actors/debate/actor/debate_actor.hpp"
#include "actors/debate/store/persistence.hpp"
#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/base/timer/timer_service.hpp"
#include "storage/storage_actors.hpp"
#include "tests/support/drive.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;
using resilience::breaker_state;

std::optional<debate::debate_finished> wait_finished(caf::scoped_actor& self,
                                                     std::chrono::milliseconds limit) {
  std::optional<debate::debate_finished> out;
  self->receive([&](debate::debate_finished& f) { out = std::move(f); },
                caf::after(limit) >> [] {});
  return out;
}

/// Short supervision settings, so a test sees restarts and breakers in a second or two.
config::node_config quick_config() {
  config::node_config c;
  c.fault_injection = true;
  c.supervision.restart_base = 20ms;
  c.supervision.restart_cap = 200ms;
  c.supervision.stable_after = 300ms;
  c.supervision.breaker_failures = 3;
  c.supervision.breaker_recovery = 500ms;
  c.supervision.probe_interval = 100ms;
  c.supervision.probe_timeout = 300ms;
  c.supervision.write_timeout = 500ms;
  c.db_breaker_failures = 2;
  c.db_breaker_recovery = 500ms;
  c.memory_enabled = false;
  return c;
}

/// Checks a stored debate's log: seqs 1..n with no gap, and no message recorded twice.
void expect_clean_log(storage::store& db, const std::string& id) {
  auto stored = debate::load_debate(db, id);
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(stored.value()) << id;
  const auto& events = stored.value()->events;
  std::set<std::tuple<int, uint32_t, std::string, std::string>> messages;
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].seq(), i + 1) << id;
    if (events[i].has_message()) {
      const auto& m = events[i].message();
      EXPECT_TRUE(messages.insert({static_cast<int>(m.phase()), m.round(), m.agent(), m.target()}).second)
          << id << ": a message recorded twice (seq " << events[i].seq() << ")";
    }
  }
}

/// quick_config() with every mock call taking `latency_ms`.
config::node_config quick_config(uint32_t latency_ms) {
  auto c = quick_config();
  c.mock.latency_ms = latency_ms;
  return c;
}

std::shared_ptr<debate::debate_spec> spec_for(node::local_node& node, uint32_t rounds,
                                              uint32_t seed = 1) {
  auto s = std::make_shared<debate::debate_spec>(*test::make_spec([&](debate::debate_spec& x) {
    x.rounds = rounds;
    x.seed = seed;
  }));
  s->id = node.next_debate_id();
  return s;
}

TEST(Supervision, ADebateWhoseWriterNeverAnswersFailsCleanlyInsteadOfHanging) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  timer::timer_service timers;
  test::temp_store store{"blackhole-writer"};
  agent::agent_pool pool{sys, timers, 1};
  // Takes every write and never answers.
  auto writer = sys.spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](storage::persist_request&) {}};
  });
  auto services = std::make_shared<debate::debate_services>();
  services->timers = &timers;
  services->agents = std::shared_ptr<const agent::agent_pool>(&pool, [](const agent::agent_pool*) {});
  services->phase_grace = 20ms;
  // A stand-in that takes only the writes: cast to the writer's interface.
  services->writer = std::make_shared<supervision::typed_slot<storage::writer_actor>>(
      caf::actor_cast<storage::writer_actor>(writer));
  services->store = store.db;
  services->write_timeout = 100ms;
  services->write_options = {.max_backoff = 100ms, .hold_limit = 1s};
  auto spec = test::make_spec([](debate::debate_spec& s) {
    s.agent_timeout = 50ms;
    s.rounds = 1;
  });
  caf::scoped_actor self{sys};
  (void)debate::spawn_debate(sys, services, spec, self);
  auto done = wait_finished(self, 10s);
  ASSERT_TRUE(done) << "the debate hung on a writer that never answers";
  EXPECT_EQ(done->summary.status, debate::debate_status::failed);
  EXPECT_NE(done->error.find("storage_unavailable"), std::string::npos) << done->error;
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  pool.stop();
  timers.stop();
}

TEST(Supervision, AStalledWriterIsRestartedAndTheDebateCompletes) {
  test::temp_store store{"stalled-writer"};
  node::local_node node{quick_config(100), std::nullopt, store.db};
  caf::scoped_actor self{node.system()};
  auto spec = spec_for(node, 3);
  (void)node.start_debate(spec, self);
  std::this_thread::sleep_for(150ms);
  ASSERT_TRUE(node.faults()->stall("writer"));
  auto done = wait_finished(self, 20s);
  ASSERT_TRUE(done) << "the debate hung on a stalled writer";
  EXPECT_NE(done->summary.status, debate::debate_status::failed) << done->error;
  expect_clean_log(*store.db, spec->id);
  auto status = node.supervision_status();
  auto w = std::find_if(status.begin(), status.end(), [](auto& c) { return c.name == "writer"; });
  ASSERT_NE(w, status.end());
  EXPECT_GE(w->restarts, 1u);
}

TEST(Supervision, ADebateActorKilledMidRunIsRestartedFromItsLogAndCompletes) {
  test::temp_store store{"killed-debate"};
  node::local_node node{quick_config(60), std::nullopt, store.db};
  caf::scoped_actor self{node.system()};
  std::vector<debate::event_ptr> seen;
  auto spec = spec_for(node, 3);
  (void)node.start_debate(spec, self, {self});
  // Let a step or two reach the disk, then kill it.
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(node.faults()->crash("debate/" + spec->id));
  std::optional<debate::debate_finished> done;
  self->receive_while([&] { return !done; })(
      [&](debate::event_ptr& e) { seen.push_back(e); },
      [&](debate::debate_finished& f) { done = std::move(f); },
      caf::after(20s) >> [&] { done = debate::debate_finished{}; done->error = "timeout"; });
  ASSERT_NE(done->error, "timeout") << "the killed debate never finished";
  EXPECT_TRUE(done->error.empty()) << done->error;
  EXPECT_NE(done->summary.status, debate::debate_status::failed);
  expect_clean_log(*store.db, spec->id);
  // The restarted actor told the same subscriber, up to the end.
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back()->type(), v1::EventType::debate_end);
  auto status = node.supervision_status();
  auto d = std::find_if(status.begin(), status.end(), [](auto& c) { return c.name == "debates"; });
  ASSERT_NE(d, status.end());
  EXPECT_EQ(d->restarts, 1u);
}

TEST(Supervision, AnInMemoryDebateWhoseActorDiesFailsCleanly) {
  node::local_node node{quick_config(100)};
  caf::scoped_actor self{node.system()};
  auto spec = spec_for(node, 3);
  (void)node.start_debate(spec, self);
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(node.faults()->crash("debate/" + spec->id));
  auto done = wait_finished(self, 10s);
  ASSERT_TRUE(done) << "the owner was left waiting";
  EXPECT_EQ(done->summary.status, debate::debate_status::failed);
  EXPECT_NE(done->error.find("in-memory"), std::string::npos) << done->error;
  EXPECT_EQ(node.running_debates(), 0u);
}

TEST(Supervision, AWriterCrashLoopOpensItsBreakerAndASteadyWriterClosesIt) {
  test::temp_store store{"writer-loop"};
  node::local_node node{quick_config(), std::nullopt, store.db};
  auto writer_status = [&] {
    for (auto& c : node.supervision_status())
      if (c.name == "writer") return c;
    return supervision::child_status{};
  };
  // Kill it each time it comes back, until the breaker stops the restarts.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (writer_status().times_opened == 0 && std::chrono::steady_clock::now() < deadline) {
    (void)node.faults()->crash("writer");
    std::this_thread::sleep_for(20ms);
  }
  auto s = writer_status();
  EXPECT_EQ(s.times_opened, 1u);
  EXPECT_EQ(s.breaker, breaker_state::open);
  EXPECT_FALSE(s.up);
  // After the recovery one trial starts; once it has stayed up, the breaker closes.
  deadline = std::chrono::steady_clock::now() + 5s;
  while (writer_status().breaker != breaker_state::closed && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  s = writer_status();
  EXPECT_EQ(s.breaker, breaker_state::closed);
  EXPECT_TRUE(s.up);
  // And debates write through the new writer.
  caf::scoped_actor self{node.system()};
  auto spec = spec_for(node, 1);
  (void)node.start_debate(spec, self);
  auto done = wait_finished(self, 10s);
  ASSERT_TRUE(done);
  EXPECT_NE(done->summary.status, debate::debate_status::failed) << done->error;
  expect_clean_log(*store.db, spec->id);
}

}  // namespace
}  // namespace aragora

namespace aragora {
namespace {

TEST(Supervision, ACrashedAgentWorkerFailsItsCallsAtOnceAndIsRestarted) {
  // Calls that take 1.5 s with a 30 s timeout: only the crash can fail them early.
  node::local_node node{quick_config(1500)};
  caf::scoped_actor self{node.system()};
  auto spec = std::make_shared<debate::debate_spec>(*test::make_spec([](debate::debate_spec& x) {
    x.rounds = 1;
    x.agent_timeout = std::chrono::seconds{30};
  }));
  spec->id = node.next_debate_id();
  (void)node.start_debate(spec, self, {self});
  std::this_thread::sleep_for(100ms);
  auto crashed_at = std::chrono::steady_clock::now();
  // Counted now: a worker between its death and its restart is enrolled under no name.
  const auto workers = node.faults()->names("agent/");
  for (const auto& name : workers) ASSERT_TRUE(node.faults()->crash(name));
  std::optional<std::chrono::steady_clock::duration> first_error;
  std::string message;
  bool done = false;
  self->receive_while([&] { return !done && !first_error; })(
      [&](debate::event_ptr& e) {
        if (e->type() == v1::EventType::agent_error) {
          first_error = std::chrono::steady_clock::now() - crashed_at;
          message = e->error().message();
        }
      },
      [&](debate::debate_finished&) { done = true; }, caf::after(10s) >> [&] { done = true; });
  ASSERT_TRUE(first_error) << "no call failed after the crash";
  EXPECT_LT(*first_error, 1s) << "the crash was noticed only at the deadline";
  EXPECT_NE(message.find("crashed"), std::string::npos) << message;
  // The supervisor restarts the workers, which serve the rest of the debate.
  auto restarted = [&] {
    size_t n = 0;
    for (const auto& c : node.supervision_status())
      if (c.name.rfind("agent/", 0) == 0) n += c.restarts > 0 && c.up;
    return n;
  };
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (restarted() < workers.size() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(restarted(), workers.size());
  (void)node.cancel_all("test over", "test");
  self->receive_while([&] { return !done; })([&](debate::event_ptr&) {},
                                             [&](debate::debate_finished&) { done = true; },
                                             caf::after(10s) >> [&] { done = true; });
}

TEST(Supervision, AKilledMemoryTierTakesItsGroupDownAndTheGroupComesBack) {
  auto cfg = quick_config();
  cfg.memory_enabled = true;
  test::temp_store store{"memory-group"};
  node::local_node node{cfg, std::nullopt, store.db};
  caf::scoped_actor self{node.system()};
  auto run = [&] {
    auto spec = std::make_shared<debate::debate_spec>(*test::make_spec([](debate::debate_spec& x) {
      x.rounds = 1;
    }));
    spec->id = node.next_debate_id();
    (void)node.start_debate(spec, self);
    return wait_finished(self, 10s);
  };
  ASSERT_TRUE(run());
  ASSERT_TRUE(node.faults()->crash("memory/slow"));
  // The supervisor restarts the group; debates recall and remember through the new coordinator.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  auto memory_restarts = [&] {
    for (const auto& c : node.supervision_status())
      if (c.name == "memory/coordinator") return c.up ? c.restarts : 0;
    return uint64_t{0};
  };
  while (memory_restarts() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(memory_restarts(), 1u);
  auto done = run();
  ASSERT_TRUE(done);
  EXPECT_NE(done->summary.status, debate::debate_status::failed) << done->error;
}

}  // namespace
}  // namespace aragora

namespace aragora {
namespace {

TEST(Supervision, AStalledAgentWorkerIsKilledByItsProbeAndItsCallsFailLongBeforeTheirDeadline) {
  // The worker stops answering (stuck in a call); only the supervisor's probe can notice.
  node::local_node node{quick_config(1500)};
  caf::scoped_actor self{node.system()};
  auto spec = std::make_shared<debate::debate_spec>(*test::make_spec([](debate::debate_spec& x) {
    x.rounds = 1;
    x.agent_timeout = std::chrono::seconds{30};
  }));
  spec->id = node.next_debate_id();
  (void)node.start_debate(spec, self, {self});
  std::this_thread::sleep_for(100ms);
  auto stalled_at = std::chrono::steady_clock::now();
  for (const auto& name : node.faults()->names("agent/")) ASSERT_TRUE(node.faults()->stall(name));
  std::optional<std::chrono::steady_clock::duration> first_error;
  bool done = false;
  self->receive_while([&] { return !done && !first_error; })(
      [&](debate::event_ptr& e) {
        if (e->type() == v1::EventType::agent_error)
          first_error = std::chrono::steady_clock::now() - stalled_at;
      },
      [&](debate::debate_finished&) { done = true; }, caf::after(10s) >> [&] { done = true; });
  ASSERT_TRUE(first_error) << "no call failed after the stall";
  // Probe every 100 ms, answer due within 300 ms, restart within 200 ms: far below 30 s.
  EXPECT_LT(*first_error, 3s);
  (void)node.cancel_all("test over", "test");
  self->receive_while([&] { return !done; })([&](debate::event_ptr&) {},
                                             [&](debate::debate_finished&) { done = true; },
                                             caf::after(10s) >> [&] { done = true; });
}

/// The status row `name` (fails the test if there is none).
supervision::child_status status_of(node::local_node& node, const std::string& name) {
  auto all = node.supervision_status();
  auto it = std::find_if(all.begin(), all.end(), [&](auto& c) { return c.name == name; });
  EXPECT_NE(it, all.end()) << "no status row " << name;
  return it == all.end() ? supervision::child_status{} : *it;
}

/// Waits until the actor enrolled as `name` is alive and is not `old`.
bool replaced(node::local_node& node, const std::string& name, const caf::actor& old) {
  for (int i = 0; i < 250; ++i) {
    auto now = node.faults()->actor_named(name);
    if (now && now != old) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

/// Kills `supervisor` (a child of the node's root) and checks that `child`, one of its children,
/// died with it and that a fresh one took its name.
void kill_supervisor_and_expect_fresh_child(node::local_node& node, caf::scoped_actor& self,
                                            const std::string& supervisor,
                                            const std::string& child) {
  auto old = node.faults()->actor_named(child);
  ASSERT_TRUE(old) << child;
  self->monitor(old);
  ASSERT_TRUE(node.faults()->crash(supervisor));
  bool down = false;
  self->receive_while([&] { return !down; })(
      [&](caf::down_msg& dm) { down = dm.source == old.address(); },
      caf::after(5s) >> [&] { down = true; old = nullptr; });
  ASSERT_TRUE(old) << child << " outlived its killed supervisor: a restart would run two";
  ASSERT_TRUE(replaced(node, child, old)) << "no fresh " << child << " after the restart";
  EXPECT_GE(status_of(node, supervisor).restarts, 1u);
}

TEST(Supervision, AChildStoppedOnPurposeIsNotRestarted) {
  // A node shuts its supervisors' children down one by one (debates first): each such stop must
  // not be taken for a crash and restarted behind the node's back.
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto slot = std::make_shared<supervision::actor_slot>();
  supervision::child_spec child;
  child.name = "child";
  child.spawn = [](caf::actor_system& s) {
    return s.spawn([]() -> caf::behavior {
      return {[](supervision::ping_atom) { return caf::ok_atom::value; }};
    });
  };
  child.slot = slot;
  child.restart.base = 10ms;
  auto sup = supervision::spawn_supervisor(sys, "test", {child}, {100ms, 300ms, nullptr});
  auto first = slot->get();
  ASSERT_TRUE(first);
  caf::scoped_actor self{sys};
  self->monitor(first);
  caf::anon_send_exit(first, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {}, caf::after(5s) >> [] { FAIL() << "the child did not stop"; });
  std::this_thread::sleep_for(200ms);  // 20 restart delays
  std::vector<supervision::child_status> status;
  self->request(sup, 5s, supervision::status_atom::value)
      .receive([&](std::vector<supervision::child_status>& s) { status = std::move(s); },
               [](caf::error& e) { FAIL() << caf::to_string(e); });
  ASSERT_EQ(status.size(), 1u);
  EXPECT_FALSE(status[0].up);
  EXPECT_EQ(status[0].restarts, 0u);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST(Supervision, TheRootRestartsAKilledServicesSupervisorAndItsChildrenComeBackFresh) {
  test::temp_store store{"root-services"};
  node::local_node node{quick_config(60), std::nullopt, store.db};
  caf::scoped_actor self{node.system()};
  auto spec = spec_for(node, 3);
  (void)node.start_debate(spec, self);
  std::this_thread::sleep_for(150ms);
  kill_supervisor_and_expect_fresh_child(node, self, "supervisor/services", "writer");
  auto done = wait_finished(self, 20s);
  ASSERT_TRUE(done) << "the debate hung after its writer's supervisor died";
  EXPECT_NE(done->summary.status, debate::debate_status::failed) << done->error;
  expect_clean_log(*store.db, spec->id);
}

TEST(Supervision, TheRootRestartsAKilledAgentsSupervisorAndDebatesCarryOn) {
  test::temp_store store{"root-agents"};
  node::local_node node{quick_config(60), std::nullopt, store.db};
  caf::scoped_actor self{node.system()};
  auto spec = spec_for(node, 3);
  (void)node.start_debate(spec, self);
  std::this_thread::sleep_for(150ms);
  kill_supervisor_and_expect_fresh_child(node, self, "supervisor/agents", "agent/0");
  auto done = wait_finished(self, 20s);
  ASSERT_TRUE(done) << "the debate hung after the agents' supervisor died";
  // Calls held by the dead workers failed at once; the debate still ends, with a receipt.
  EXPECT_TRUE(done->error.empty()) << done->error;
  expect_clean_log(*store.db, spec->id);
  auto next = spec_for(node, 2, 7);
  (void)node.start_debate(next, self);
  auto again = wait_finished(self, 20s);
  ASSERT_TRUE(again);
  EXPECT_NE(again->summary.status, debate::debate_status::failed) << again->error;
  EXPECT_TRUE(again->error.empty()) << again->error;
}

TEST(Supervision, ADebateCrashedAfterItsSupervisorWasRestartedIsStillRestarted) {
  test::temp_store store{"root-debates"};
  node::local_node node{quick_config(60), std::nullopt, store.db};
  caf::scoped_actor self{node.system()};
  ASSERT_TRUE(node.faults()->crash("supervisor/debates"));
  for (int i = 0; i < 250 && status_of(node, "supervisor/debates").restarts == 0; ++i)
    std::this_thread::sleep_for(20ms);
  ASSERT_GE(status_of(node, "supervisor/debates").restarts, 1u);
  auto spec = spec_for(node, 3);
  (void)node.start_debate(spec, self);
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(node.faults()->crash("debate/" + spec->id));
  auto done = wait_finished(self, 20s);
  ASSERT_TRUE(done) << "a debate crashed after the restart was never restarted";
  EXPECT_TRUE(done->error.empty()) << done->error;
  EXPECT_NE(done->summary.status, debate::debate_status::failed);
  expect_clean_log(*store.db, spec->id);
  EXPECT_EQ(status_of(node, "debates").restarts, 1u);
}

}  // namespace
}  // namespace aragora
