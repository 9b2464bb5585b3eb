#include "runtime/loadgen/load_driver.hpp"

#include <caf/all.hpp>

#include "actors/debate/messages.hpp"
#include "runtime/node/local_node.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::loadgen::load_result)

namespace aragora::loadgen {

namespace {

using run_atom = caf::atom_constant<caf::atom("run")>;
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
  if (st.plan.duration) return clock::now() - st.start < *st.plan.duration;
  return st.launched < st.plan.debates;
}

void launch(driver_self* self) {
  auto& st = self->state;
  auto spec = std::make_shared<debate::debate_spec>(*st.plan.spec);
  spec->id = st.node->next_debate_id();
  spec->seed = st.plan.spec->seed + static_cast<uint32_t>(st.launched);
  (void)st.node->start_debate(std::move(spec), caf::actor_cast<caf::actor>(self));
  ++st.launched;
  ++st.in_flight;
  st.result.peak_in_flight = std::max(st.result.peak_in_flight, st.in_flight);
  st.progress->launched.store(st.launched, std::memory_order_relaxed);
  st.progress->in_flight.store(st.in_flight, std::memory_order_relaxed);
}

void record(load_result& r, const debate::debate_machine& m) {
  const auto& f = m.outcome();
  if (f.status == debate::debate_status::failed || f.status == debate::debate_status::cancelled)
    ++r.failed;
  else
    ++r.completed;
  if (f.reached) ++r.consensus;
  r.agent_calls += m.agent_calls();
  r.failed_calls += m.failed_calls();
  r.latency.record(micros(f.at - m.started_at()));
  if (!m.transcript().empty()) r.first_event.record(micros(m.transcript().front().at - m.started_at()));
}

caf::behavior load_driver(driver_self* self, node::local_node* node, load_plan plan,
                          std::shared_ptr<load_progress> progress) {
  self->state.node = node;
  self->state.plan = std::move(plan);
  self->state.progress = std::move(progress);
  return {
      [=](run_atom, caf::actor& reply_to) {
        auto& st = self->state;
        st.reply_to = std::move(reply_to);
        st.start = clock::now();
        auto first = st.plan.duration ? uint64_t{st.plan.concurrent}
                                      : std::min<uint64_t>(st.plan.concurrent, st.plan.debates);
        for (uint64_t i = 0; i < first; ++i) launch(self);
        if (st.in_flight == 0) {
          self->send(st.reply_to, std::move(st.result));
          self->quit();
        }
      },
      [=](debate::debate_finished& done) {
        auto& st = self->state;
        --st.in_flight;
        record(st.result, *done.machine);
        st.progress->finished.fetch_add(1, std::memory_order_relaxed);
        st.progress->in_flight.store(st.in_flight, std::memory_order_relaxed);
        if (more_to_launch(st)) {
          launch(self);
        } else if (st.in_flight == 0) {
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
  load_result out;
  bool done = false;
  self->send(driver, run_atom::value, caf::actor{self});
  while (!done) {
    self->receive([&](load_result& r) { out = std::move(r); done = true; },
                  caf::after(tick) >> [&] {
                    if (on_tick) on_tick();
                  });
  }
  return out;
}

}  // namespace aragora::loadgen
