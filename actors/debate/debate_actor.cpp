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
  std::vector<caf::actor> subscribers;
  caf::actor agent;
  uint64_t deadline = 0;
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

void dispatch(debate_self* self) {
  auto& st = self->state;
  const auto& m = *st.machine;
  const auto& calls = m.calls();
  for (size_t i = 0; i < calls.size(); ++i)
    if (m.pending(i)) self->send(st.agent, agent::agent_call{m.spec_ptr(), calls[i]});
  disarm(self);
  auto limit = m.spec().agent_timeout + st.services->phase_grace;
  st.deadline = st.services->timers->schedule(limit, caf::actor_cast<caf::strong_actor_ptr>(self),
                                              caf::make_message(phase_deadline{m.step()}));
}

void apply(debate_self* self, debate_machine::step_result r) {
  auto& st = self->state;
  publish(self, r.events);
  if (st.machine->finished()) {
    disarm(self);
    auto receipt =
        std::make_shared<const v1::Receipt>(make_receipt(*st.machine, st.services->signing_key));
    self->send(st.owner, debate_finished{st.machine, std::move(receipt)});
    self->quit();
    return;
  }
  if (r.new_step) dispatch(self);
}

caf::behavior debate_actor(debate_self* self, std::shared_ptr<const debate_services> services,
                           std::shared_ptr<const debate_spec> spec, caf::actor owner,
                           std::vector<caf::actor> subscribers) {
  auto& st = self->state;
  st.services = std::move(services);
  st.agent = st.services->agents->pick(agent::fnv1a(spec->id));
  st.machine = std::make_shared<debate_machine>(std::move(spec), st.services->options);
  st.owner = std::move(owner);
  st.subscribers = std::move(subscribers);
  apply(self, st.machine->start(st.services->now()));
  return {
      [=](call_outcome& o) {
        auto& s = self->state;
        apply(self, s.machine->record(std::move(o), s.services->now()));
      },
      [=](phase_deadline d) {
        auto& s = self->state;
        if (d.step != s.machine->step()) return;  // a step that completed meanwhile
        s.deadline = 0;
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
                        std::vector<caf::actor> subscribers) {
  return sys.spawn(debate_actor, std::move(services), std::move(spec), std::move(owner),
                   std::move(subscribers));
}

}  // namespace aragora::debate
