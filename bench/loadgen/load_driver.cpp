#include "bench/loadgen/load_driver.hpp"

#include <caf/all.hpp>

#include "actors/debate/actor/messages.hpp"
#include "runtime/node/local_node.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::loadgen::load_result)

namespace aragora::loadgen {

namespace {

using run_atom = caf::atom_constant<caf::atom("run")>;
using launch_atom = caf::atom_constant<caf::atom("launch")>;

// Debates started per message: the driver yields between chunks so started debates run while
// the rest are being spawned.
constexpr uint32_t launch_chunk = 256;
using clock = std::chrono::steady_clock;

struct driver_state {
  static inline const char* name = "load_driver";
  node::local_node* node = nullptr;
  load_plan plan;
  std::shared_ptr<load_progress> progress;
  load_result result;
  uint64_t launched = 0;
  uint32_t in_flight = 0;
  clock::time_point start;
  caf::actor reply_to;
};

using driver_self = caf::stateful_actor<driver_state>;

uint64_t micros(debate::time_point::duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 0 ? 0 : static_cast<uint64_t>(us);
}

bool more_to_launch(const driver_state& st) {
  if (st.progress->stop.load(std::memory_order_relaxed)) return false;
  if (st.plan.duration) return clock::now() - st.start < *st.plan.duration;
  return st.launched < st.plan.debates;
}

void launch(driver_self* self) {
  auto& st = self->state;
  auto spec = std::make_shared<debate::debate_spec>(*st.plan.spec);
  spec->id = st.node->next_debate_id();
  spec->seed = st.plan.spec->seed + static_cast<uint32_t>(st.launched);
  (void)st.node->start_debate(std::move(spec), caf::actor_cast<caf::actor>(self), {},
                              debate::finish_report::summary);
  ++st.launched;
  ++st.in_flight;
  st.result.peak_in_flight = std::max(st.result.peak_in_flight, st.in_flight);
  st.progress->in_flight.store(st.in_flight, std::memory_order_relaxed);
}

void record(load_result& r, const debate::debate_summary& s) {
  if (debate::ended_badly(s.status))
    ++r.failed;
  else
    ++r.completed;
  if (s.reached) ++r.consensus;
  r.agent_calls += s.agent_calls;
  r.failed_calls += s.failed_calls;
  r.latency.record(micros(s.finished_at - s.started_at));
  if (s.first_message_at) r.first_event.record(micros(*s.first_message_at - s.started_at));
}

// Starts up to one chunk of the debates the plan still allows in flight.
void launch_some(driver_self* self) {
  auto& st = self->state;
  for (uint32_t i = 0; i < launch_chunk && st.in_flight < st.plan.concurrent && more_to_launch(st);
       ++i)
    launch(self);
  if (st.in_flight < st.plan.concurrent && more_to_launch(st))
    self->send(self, launch_atom::value);
}

caf::behavior load_driver(driver_self* self, node::local_node* node, load_plan plan,
                          std::shared_ptr<load_progress> progress) {
  self->state.node = node;
  self->state.plan = std::move(plan);
  self->state.progress = std::move(progress);
  // run_load sees the driver go down; the default handler would print on stdout.
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& x) -> caf::error {
    try {
      std::rethrow_exception(x);
    } catch (const std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, std::string{e.what()});
    } catch (...) {
      return caf::make_error(caf::sec::runtime_error);
    }
  });
  return {
      [=](run_atom, caf::actor& reply_to) {
        auto& st = self->state;
        st.reply_to = std::move(reply_to);
        st.start = clock::now();
        launch_some(self);
        if (st.in_flight == 0) {
          self->send(st.reply_to, std::move(st.result));
          self->quit();
        }
      },
      [=](launch_atom) { launch_some(self); },
      [=](debate::debate_finished& done) {
        auto& st = self->state;
        --st.in_flight;
        record(st.result, done.summary);
        if (!done.error.empty() && st.result.aborted++ == 0) st.result.first_abort = done.error;
        st.progress->finished.fetch_add(1, std::memory_order_relaxed);
        st.progress->in_flight.store(st.in_flight, std::memory_order_relaxed);
        if (st.in_flight < st.plan.concurrent && more_to_launch(st)) {
          launch(self);
        } else if (st.in_flight == 0 && !more_to_launch(st)) {
          st.result.wall = clock::now() - st.start;
          self->send(st.reply_to, std::move(st.result));
          self->quit();
        }
      },
  };
}

}  // namespace

load_result run_load(node::local_node& node, const load_plan& plan,
                     std::shared_ptr<load_progress> progress,
                     const std::function<void()>& on_tick, std::chrono::milliseconds tick) {
  auto driver = node.system().spawn(load_driver, &node, plan, std::move(progress));
  caf::scoped_actor self{node.system()};
  self->monitor(driver);
  load_result out;
  bool done = false;
  self->send(driver, run_atom::value, caf::actor{self});
  while (!done) {
    self->receive([&](load_result& r) { out = std::move(r); done = true; },
                  [&](caf::down_msg& d) {
                    // The driver failed: its debates are stopped with the node.
                    ++out.aborted;
                    out.first_abort = "the load driver failed: " + caf::to_string(d.reason);
                    done = true;
                  },
                  caf::after(tick) >> [&] {
                    if (on_tick) on_tick();
                  });
  }
  return out;
}

}  // namespace aragora::loadgen
