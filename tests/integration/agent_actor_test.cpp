// The agent actors: the pool's lifetime against the actor system's, and the provider seam through
// real actors and the node's timer service.

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "actors/agent/agent_actor.hpp"
#include "actors/debate/actor/debate_actor.hpp"
#include "actors/debate/actor/messages.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/base/timer/timer_service.hpp"
#include "tests/support/drive.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;

/// What a held provider was told, readable from the test's thread.
struct held_log {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<agent::provider_call> started;
  std::vector<agent::call_id> cancelled;
  std::shared_ptr<agent::call_sink> sink;

  /// Waits (bounded, so a broken build fails instead of hanging) until `done` holds.
  template <class Pred>
  bool wait(Pred done) {
    std::unique_lock<std::mutex> lock{mtx};
    return cv.wait_for(lock, 10s, [&] { return done(*this); });
  }
};

/// A provider that never answers on its own (a slow API), except calls of round 9, which it
/// answers at once on the worker's thread.
class held_provider final : public agent::provider {
public:
  explicit held_provider(std::shared_ptr<held_log> log) : log_(std::move(log)) {}

  void start(std::span<agent::provider_call> calls,
             const std::shared_ptr<agent::call_sink>& sink) override {
    for (auto& c : calls) {
      if (c.request.key.round == 9) {
        sink->done(c.id, agent::mock_reply(*c.spec, c.request));
        continue;
      }
      std::lock_guard<std::mutex> guard{log_->mtx};
      log_->sink = sink;
      log_->started.push_back(c);
    }
    log_->cv.notify_all();
  }

  void cancel(agent::call_id id, uint64_t) override {
    {
      std::lock_guard<std::mutex> guard{log_->mtx};
      log_->cancelled.push_back(id);
    }
    log_->cv.notify_all();
  }

  static agent::provider_catalog catalog(const std::shared_ptr<held_log>& log) {
    return {{"mock", [log](agent::scheduler&) -> std::unique_ptr<agent::provider> {
               return std::make_unique<held_provider>(log);
             }}};
  }

private:
  std::shared_ptr<held_log> log_;
};

std::vector<debate::call_request> proposals(size_t n, uint8_t round = 1) {
  std::vector<debate::call_request> out(n);
  for (size_t i = 0; i < n; ++i) out[i].key = {debate::phase::propose, round, static_cast<uint8_t>(i)};
  return out;
}

std::shared_ptr<const debate::debate_spec> spec_with(std::string id,
                                                     std::chrono::milliseconds timeout = 60s) {
  return test::make_spec([&](debate::debate_spec& s) {
    s.id = std::move(id);
    s.agent_timeout = timeout;
  });
}

/// One agent worker on a real timer service, running the held provider.
struct worker_fixture {
  timer::timer_service timers{1ms};  // before the system: outlives its actors
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<held_log> log = std::make_shared<held_log>();
  agent::worker_actor worker = agent::spawn_agent_worker(
      sys,
      {&timers, std::make_shared<const agent::provider_catalog>(held_provider::catalog(log))},
      std::make_shared<agent::worker_stats>());

  ~worker_fixture() {
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    timers.stop();
  }
};

TEST(AgentWorker, ACancelledDebatesCallsAreCancelledAndWhatTheirProviderSaysLaterIsDropped) {
  worker_fixture f;
  caf::scoped_actor self{f.sys};
  self->send(f.worker, agent::agent_calls{spec_with("debate-a"), proposals(3)});
  ASSERT_TRUE(f.log->wait([](held_log& l) { return l.started.size() == 3; }));
  self->send(f.worker, agent::cancel_calls{"debate-a"});
  ASSERT_TRUE(f.log->wait([](held_log& l) { return l.cancelled.size() == 3; }))
      << "the provider was not told to cancel";
  std::vector<agent::call_id> started, cancelled;
  std::shared_ptr<agent::call_sink> sink;
  {
    std::lock_guard<std::mutex> guard{f.log->mtx};
    for (const auto& c : f.log->started) started.push_back(c.id);
    cancelled = f.log->cancelled;
    sink = f.log->sink;
  }
  std::sort(cancelled.begin(), cancelled.end());
  EXPECT_EQ(cancelled, started);
  // The provider answers anyway, late, from a thread of its own (as an HTTP client would)...
  std::thread late([&] {
    for (const auto& c : f.log->started) sink->done(c.id, agent::mock_reply(*c.spec, c.request));
  });
  late.join();
  // ...and then another debate's call is answered. The worker handles its mailbox in order: an
  // outcome of the cancelled debate would reach us before this one.
  self->send(f.worker, agent::agent_calls{spec_with("debate-b"), proposals(1, 9)});
  debate::call_outcomes got;
  self->receive([&](debate::call_outcomes& o) { got = std::move(o); },
                caf::after(10s) >> [] { ADD_FAILURE() << "no reply to the second debate"; });
  ASSERT_EQ(got.items.size(), 1u);
  EXPECT_EQ(got.items[0].key.round, 9) << "an outcome of the cancelled debate was delivered";
}

TEST(AgentWorker, TheDeadlineOnTheNodesTimerFailsAndCancelsCallsTheProviderDoesNotAnswer) {
  worker_fixture f;
  caf::scoped_actor self{f.sys};
  self->send(f.worker, agent::agent_calls{spec_with("debate-a", 30ms), proposals(3)});
  debate::call_outcomes got;
  self->receive([&](debate::call_outcomes& o) { got = std::move(o); },
                caf::after(10s) >> [] { ADD_FAILURE() << "the deadline never fired"; });
  ASSERT_EQ(got.items.size(), 3u);  // together: they share the step's deadline
  for (const auto& o : got.items) EXPECT_EQ(o.error, debate::call_errc::timeout);
  EXPECT_TRUE(f.log->wait([](held_log& l) { return l.cancelled.size() == 3; }));
}

TEST(AgentWorker, CancellingADebateCancelsItsCallsInFlight) {
  // Through the debate actor: its cancel reaches the agent, which stops the provider's calls.
  worker_fixture f;
  auto services = std::make_shared<debate::debate_services>();
  services->timers = &f.timers;
  services->agents = std::make_shared<agent::agent_pool>(std::vector<agent::worker_actor>{f.worker});
  caf::scoped_actor self{f.sys};
  auto d = debate::spawn_debate(f.sys, services, spec_with("0000000000000042"), self);
  ASSERT_TRUE(f.log->wait([](held_log& l) { return l.started.size() == 3; }));
  self->send(d, debate::cancel_atom::value, std::string{"stopped by the test"});
  debate::debate_finished done;
  self->receive([&](debate::debate_finished& x) { done = std::move(x); },
                caf::after(10s) >> [] { ADD_FAILURE() << "no result"; });
  EXPECT_EQ(done.summary.status, debate::debate_status::cancelled);
  EXPECT_TRUE(f.log->wait([](held_log& l) { return l.cancelled.size() == 3; }))
      << "the debate's calls are still running at the provider";
}

TEST(AgentPool, ANodeDestroyedWhileItsAgentsAreBusyDoesNotTouchFreedMemory) {
  // The agent workers are still working through a backlog of steps (and latency timers), and
  // debates are still starting, while the node is destroyed: nothing they touch may be freed
  // before the actor system has stopped them. Before the fixes, a worker recorded its backlog
  // into the pool's counters after the pool was gone, and a debate that started late picked its
  // agent from the destroyed pool (AddressSanitizer: heap-use-after-free in agent_actor.cpp and
  // in debate_actor.cpp's init; without ASan, a segfault about one run in ten).
  // Without latency the worker is busy with replies; with it, with timers and deadlines.
  for (uint32_t latency_ms : {0u, 1u, 0u, 1u}) {
    config::node_config cfg;
    cfg.agent_workers = 1;  // one long backlog
    cfg.scheduler_threads = 2;
    cfg.mock.latency_ms = latency_ms;
    node::local_node node{cfg};
    caf::scoped_actor self{node.system()};
    for (int i = 0; i < 400; ++i) {
      auto s = std::make_shared<debate::debate_spec>(*test::make_spec([&](debate::debate_spec& x) {
        x.rounds = 12;
        x.seed = static_cast<uint32_t>(i);
      }));
      s->id = node.next_debate_id();
      (void)node.start_debate(s, self, {}, debate::finish_report::summary);
    }
    std::this_thread::sleep_for(20ms);  // let the backlog build; then the node goes away busy
  }
}

}  // namespace
}  // namespace aragora
