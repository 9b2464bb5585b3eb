#include "actors/debate/debate_actor.hpp"

#include <caf/all.hpp>

#include "actors/agent/agent_actor.hpp"
#include "actors/agent/mock_provider.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/receipt.hpp"
#include "runtime/timer/timer_service.hpp"

namespace aragora::debate {

namespace {

struct debate_state {
  static inline const char* name = "debate";
  std::shared_ptr<const debate_services> services;
  std::shared_ptr<debate_machine> machine;
  caf::actor owner;
  finish_report report = finish_report::full;
  std::vector<caf::actor> subscribers;
  caf::actor agent;
  // One pending deadline per debate, re-armed lazily when it fires for a step that has already
  // completed: a schedule and a cancel per step would put two timer-lock round trips on every
  // step of every debate.
  uint64_t deadline = 0;
  std::chrono::steady_clock::time_point step_started;
};

using debate_self = caf::stateful_actor<debate_state>;

void publish(debate_self* self, std::span<const event_ref> events) {
  auto& st = self->state;
  if (st.subscribers.empty()) return;
  for (const auto& e : events) {
    auto ev = std::make_shared<v1::Event>();
    fill_event(*st.machine, e, *ev);
    event_ptr shared = std::move(ev);
    for (const auto& s : st.subscribers) self->send(s, shared);
  }
}

void disarm(debate_self* self) {
  auto& st = self->state;
  if (st.deadline != 0) st.services->timers->cancel(st.deadline);
  st.deadline = 0;
}

std::chrono::steady_clock::duration step_limit(const debate_self* self) {
  return self->state.machine->spec().agent_timeout + self->state.services->phase_grace;
}

void arm(debate_self* self, std::chrono::steady_clock::duration delay) {
  auto& st = self->state;
  st.deadline = st.services->timers->schedule(delay, caf::actor_cast<caf::strong_actor_ptr>(self),
                                              caf::make_message(phase_deadline{st.machine->step()}));
}

void dispatch(debate_self* self) {
  auto& st = self->state;
  const auto& m = *st.machine;
  const auto& calls = m.calls();
  agent::agent_calls batch{m.spec_ptr(), {}};
  batch.requests.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i)
    if (m.pending(i)) batch.requests.push_back(calls[i]);
  self->send(st.agent, std::move(batch));
  st.step_started = std::chrono::steady_clock::now();
  if (st.deadline == 0) arm(self, step_limit(self));
}

void apply(debate_self* self, debate_machine::step_result r) {
  auto& st = self->state;
  publish(self, r.events);
  if (st.machine->finished()) {
    disarm(self);
    debate_finished done{st.machine->spec().id, summarize(*st.machine),
                         seal_receipt(*st.machine, st.services->signing_key), nullptr};
    if (st.report == finish_report::full) done.machine = st.machine;
    self->send(st.owner, std::move(done));
    self->quit();
    return;
  }
  if (r.new_step) dispatch(self);
}

caf::behavior debate_actor(debate_self* self, std::shared_ptr<const debate_services> services,
                           std::shared_ptr<const debate_spec> spec, caf::actor owner,
                           std::vector<caf::actor> subscribers, finish_report report) {
  auto& st = self->state;
  st.report = report;
  st.services = std::move(services);
  st.agent = st.services->agents->pick(agent::fnv1a(spec->id));
  st.machine = std::make_shared<debate_machine>(std::move(spec), st.services->options);
  st.owner = std::move(owner);
  st.subscribers = std::move(subscribers);
  apply(self, st.machine->start(st.services->now()));
  return {
      [=](call_outcomes& batch) {
        auto& s = self->state;
        for (auto& o : batch.items) {
          if (s.machine->finished()) break;
          apply(self, s.machine->record(std::move(o), s.services->now()));
        }
      },
      [=](phase_deadline d) {
        auto& s = self->state;
        s.deadline = 0;
        if (d.step != s.machine->step()) {
          // Armed for a step that completed meanwhile: wait out the current step's own limit.
          auto left = s.step_started + step_limit(self) - std::chrono::steady_clock::now();
          if (left > std::chrono::steady_clock::duration::zero()) {
            arm(self, left);
            return;
          }
        }
        apply(self, s.machine->expire(s.services->now()));
      },
      [=](cancel_atom, std::string& reason) {
        auto& s = self->state;
        apply(self, s.machine->cancel(s.services->now(), std::move(reason)));
      },
      [=](subscribe_atom, caf::actor& subscriber) {
        self->state.subscribers.push_back(std::move(subscriber));
      },
  };
}

}  // namespace

caf::actor spawn_debate(caf::actor_system& sys, std::shared_ptr<const debate_services> services,
                        std::shared_ptr<const debate_spec> spec, caf::actor owner,
                        std::vector<caf::actor> subscribers, finish_report report) {
  return sys.spawn(debate_actor, std::move(services), std::move(spec), std::move(owner),
                   std::move(subscribers), report);
}

debate_summary summarize(const debate_machine& m) {
  debate_summary s;
  const auto& f = m.outcome();
  s.status = f.status;
  s.reached = f.reached;
  s.agent_calls = m.agent_calls();
  s.failed_calls = m.failed_calls();
  s.started_at = m.started_at();
  s.finished_at = f.at;
  if (!m.transcript().empty()) s.first_message_at = m.transcript().front().at;
  return s;
}

}  // namespace aragora::debate
