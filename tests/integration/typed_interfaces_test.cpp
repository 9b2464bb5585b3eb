// The typed interfaces of the debate, registry (debate supervisor), store (writer, sweeper) and
// agent actors: a message outside an interface is refused even when it comes through a
// dynamically typed handle (caf::actor_cast<caf::actor>), the requester hears
// caf::sec::unexpected_message, and the actor stays alive and keeps serving.

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <type_traits>

#include "actors/agent/agent_actor.hpp"
#include "actors/agent/interface.hpp"
#include "actors/debate/actor/debate_actor.hpp"
#include "actors/debate/actor/interface.hpp"
#include "actors/debate/actor/messages.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/base/timer/timer_service.hpp"
#include "runtime/node/debate_supervisor.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/node/registry_interface.hpp"
#include "storage/interface.hpp"
#include "storage/storage_actors.hpp"
#include "tests/support/drive.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;

// -- at compile time: what each interface takes, and what it does not ---------------------------

/// Whether an actor of interface `Handle` accepts the message (Ts...).
template <class Handle, class... Ts>
constexpr bool accepts = caf::response_type<typename Handle::signatures, Ts...>::valid;

// The debate: its commands, its collaborators' replies, its timers; not another actor's messages.
static_assert(accepts<debate::debate_actor_type, debate::cancel_atom, std::string>);
static_assert(accepts<debate::debate_actor_type, debate::call_outcomes>);
static_assert(accepts<debate::debate_actor_type, storage::persist_ack>);
static_assert(accepts<debate::debate_actor_type, debate::phase_deadline>);
static_assert(!accepts<debate::debate_actor_type, storage::persist_request>);
static_assert(!accepts<debate::debate_actor_type, agent::agent_calls>);
static_assert(!accepts<debate::debate_actor_type, supervision::ping_atom>);  // not probed
static_assert(!accepts<debate::debate_actor_type, debate::debate_crashed>);

// The writer and the sweeper.
static_assert(accepts<storage::writer_actor, storage::persist_request>);
static_assert(accepts<storage::writer_actor, supervision::ping_atom>);
static_assert(std::is_same_v<caf::response_type_t<storage::writer_actor::signatures,
                                                  supervision::ping_atom>,
                             caf::detail::type_list<caf::ok_atom>>);
static_assert(!accepts<storage::writer_actor, storage::persist_ack>);
static_assert(!accepts<storage::writer_actor, debate::cancel_atom, std::string>);
static_assert(accepts<storage::sweeper_actor, storage::sweep_atom>);
static_assert(!accepts<storage::sweeper_actor, fault::stall_atom>);
static_assert(!accepts<storage::sweeper_actor, storage::persist_request>);

// The agent worker.
static_assert(accepts<agent::worker_actor, agent::agent_calls>);
static_assert(accepts<agent::worker_actor, agent::cancel_calls>);
static_assert(!accepts<agent::worker_actor, debate::call_outcomes>);
static_assert(!accepts<agent::worker_actor, debate::cancel_atom, std::string>);

// The registry: what live_debates holds of it is a part of its interface.
static_assert(accepts<node::debate_supervisor_actor, debate::debate_crashed>);
static_assert(accepts<node::debate_supervisor_actor, supervision::status_atom>);
static_assert(accepts<node::debate_supervisor_actor, supervision::ping_atom>);  // the root probes it
static_assert(!accepts<node::debate_supervisor_actor, storage::persist_request>);
static_assert(std::is_convertible_v<node::debate_supervisor_actor, debate::crash_handler_actor>);

// The spawn functions hand out typed handles.
static_assert(std::is_same_v<decltype(storage::spawn_writer(std::declval<caf::actor_system&>(),
                                                            nullptr)),
                             storage::writer_actor>);
static_assert(std::is_same_v<decltype(std::declval<agent::agent_pool&>().pick("")),
                             agent::worker_actor>);
static_assert(std::is_same_v<decltype(std::declval<node::local_node&>().start_debate(
                                 nullptr, caf::actor{})),
                             debate::debate_actor_type>);

// -- at run time: through a dynamically typed handle ---------------------------------------------

/// Asks `to` with (xs...) through a dynamically typed handle; the error it answers with (none if
/// it answered with a value).
template <class Handle, class... Ts>
caf::error ask_untyped(caf::scoped_actor& self, const Handle& to, Ts&&... xs) {
  caf::error got;
  bool answered = false;
  self->request(caf::actor_cast<caf::actor>(to), 5s, std::forward<Ts>(xs)...)
      .receive([&](caf::message&) { answered = true; },
               [&](caf::error& e) {
                 answered = true;
                 got = std::move(e);
               });
  EXPECT_TRUE(answered);
  return got;
}

/// Whether `to` answers the supervision probe (it is alive and serving).
template <class Handle>
bool answers_ping(caf::scoped_actor& self, const Handle& to) {
  bool ok = false;
  self->request(to, 5s, supervision::ping_atom::value)
      .receive([&](caf::ok_atom) { ok = true; }, [&](caf::error&) {});
  return ok;
}

TEST(TypedInterfaces, TheWriterRefusesMessagesOutsideItsInterfaceAndKeepsWriting) {
  test::temp_store store{"typed-writer"};
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto writer = storage::spawn_writer(sys, store.db);
  // What a debate accepts, and the agent's and the supervisor's messages, are not the writer's.
  EXPECT_EQ(ask_untyped(self, writer, storage::persist_ack{1, std::nullopt}),
            caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, writer, debate::cancel_atom::value, std::string{"x"}),
            caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, writer, agent::cancel_calls{"d"}), caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, writer, supervision::status_atom::value),
            caf::sec::unexpected_message);
  // Still alive, and still writing.
  EXPECT_TRUE(answers_ping(self, writer));
  self->send(writer, storage::persist_request{{}, true, 42});
  bool acked = false;
  self->receive([&](storage::persist_ack& a) { acked = a.token == 42 && !a.error; },
                caf::after(5s) >> [] {});
  EXPECT_TRUE(acked);
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
}

TEST(TypedInterfaces, TheSweeperRefusesMessagesOutsideItsInterface) {
  test::temp_store store{"typed-sweeper"};
  timer::timer_service timers;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto sweeper = storage::spawn_sweeper(sys, store.db, timers, 10min);
  // Not even the fault hook's stall: the sweeper never took it.
  EXPECT_EQ(ask_untyped(self, sweeper, fault::stall_atom::value), caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, sweeper, storage::persist_request{}), caf::sec::unexpected_message);
  EXPECT_TRUE(answers_ping(self, sweeper));
  caf::anon_send_exit(sweeper, caf::exit_reason::user_shutdown);
  timers.stop();
}

TEST(TypedInterfaces, AnAgentWorkerRefusesMessagesOutsideItsInterfaceAndKeepsAnswering) {
  timer::timer_service timers{1ms};
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto worker = agent::spawn_agent_worker(
      sys,
      {&timers, std::make_shared<const agent::provider_catalog>(agent::standard_providers({}))},
      std::make_shared<agent::worker_stats>());
  // A debate's messages (outcomes, a cancel), a writer's, the supervisor's status query.
  EXPECT_EQ(ask_untyped(self, worker, debate::call_outcomes{}), caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, worker, debate::cancel_atom::value, std::string{"x"}),
            caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, worker, storage::persist_request{}), caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, worker, supervision::status_atom::value),
            caf::sec::unexpected_message);
  EXPECT_TRUE(answers_ping(self, worker));
  // Still working: a call is answered.
  agent::agent_calls calls{test::make_spec(), {}};
  calls.requests.push_back({{debate::phase::propose, 1, 0, debate::no_agent}, {}, {}, {}, {}});
  self->send(worker, std::move(calls));
  size_t outcomes = 0;
  self->receive_while([&] { return outcomes == 0; })(
      [&](debate::call_outcomes& o) { outcomes += o.items.size(); },
      caf::after(5s) >> [&] { outcomes = SIZE_MAX; });
  EXPECT_EQ(outcomes, 1u);
  caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
  timers.stop();
}

TEST(TypedInterfaces, ADebateRefusesMessagesOutsideItsInterfaceAndFinishes) {
  config::node_config cfg;
  cfg.mock.latency_ms = 100;  // still in flight while it is poked
  node::local_node node{cfg};
  auto spec = test::make_spec([](debate::debate_spec& s) { s.rounds = 2; });
  caf::scoped_actor self{node.system()};
  auto d = node.start_debate(spec, self);
  // Another actor's messages: an agent's calls, a write, the supervisors' probe and status, a
  // crash report meant for the registry.
  EXPECT_EQ(ask_untyped(self, d, agent::agent_calls{}), caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, d, storage::persist_request{}), caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, d, supervision::ping_atom::value), caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, d, supervision::status_atom::value), caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, d, debate::debate_crashed{spec->id, "forged"}),
            caf::sec::unexpected_message);
  // A message of the right name with the wrong types is outside it too.
  EXPECT_EQ(ask_untyped(self, d, debate::cancel_atom::value, 42), caf::sec::unexpected_message);
  debate::debate_finished done;
  self->receive([&](debate::debate_finished& f) { done = std::move(f); },
                caf::after(30s) >> [] { FAIL() << "the debate did not finish"; });
  ASSERT_TRUE(done.machine) << done.error;
  EXPECT_EQ(done.id, spec->id);
  EXPECT_NE(done.summary.status, debate::debate_status::failed);
  EXPECT_NE(done.summary.status, debate::debate_status::cancelled);
  EXPECT_EQ(done.machine->failed_calls(), 0u);
}

TEST(TypedInterfaces, TheDebateSupervisorRefusesMessagesOutsideItsInterfaceAndKeepsAnswering) {
  timer::timer_service timers;
  debate::live_debates running;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto services = std::make_shared<debate::debate_services>();
  services->timers = &timers;
  services->registry = &running;
  auto sup = node::spawn_debate_supervisor(sys, services, {});
  running.set_supervisor(sup);  // as the crash handler live_debates knows
  caf::scoped_actor self{sys};
  EXPECT_EQ(ask_untyped(self, sup, debate::cancel_atom::value, std::string{"x"}),
            caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, sup, storage::persist_request{}), caf::sec::unexpected_message);
  EXPECT_EQ(ask_untyped(self, sup, agent::agent_calls{}), caf::sec::unexpected_message);
  // Still answering (typed: the reply type is checked at compile time).
  EXPECT_TRUE(answers_ping(self, sup));
  std::vector<supervision::child_status> status;
  self->request(sup, 5s, supervision::status_atom::value)
      .receive([&](std::vector<supervision::child_status>& v) { status = std::move(v); },
               [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].name, "debates");
  EXPECT_TRUE(status[0].up);
  running.stop_all(caf::exit_reason::user_shutdown);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  timers.stop();
}

}  // namespace
}  // namespace aragora
