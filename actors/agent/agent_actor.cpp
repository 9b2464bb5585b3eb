#include "actors/agent/agent_actor.hpp"

#include <caf/all.hpp>

#include "actors/agent/mock_provider.hpp"
#include "runtime/timer/timer_service.hpp"

namespace aragora::agent {

namespace {

/// A call whose simulated latency has elapsed, or whose timeout has.
struct deferred_call {
  caf::strong_actor_ptr reply_to;
  agent_call call;
  bool timed_out;
};

}  // namespace
}  // namespace aragora::agent

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::deferred_call)

namespace aragora::agent {

namespace {

debate::call_outcome run_provider(const agent_call& c) {
  // Only the mock provider exists in this build; agent_spec.cpp refuses the others.
  return mock_reply(*c.spec, c.request);
}

debate::call_outcome timeout_outcome(const agent_call& c) {
  debate::call_outcome o;
  o.key = c.request.key;
  o.error = debate::call_errc::timeout;
  o.error_message =
      "no reply within the agent timeout of " + std::to_string(c.spec->agent_timeout.count()) + " ms";
  return o;
}

void reply(const caf::strong_actor_ptr& to, debate::call_outcome&& o) {
  if (to) caf::anon_send(caf::actor_cast<caf::actor>(to), std::move(o));
}

caf::behavior agent_worker(caf::event_based_actor* self, timer::timer_service* timers) {
  return {
      [=](agent_call& c) {
        auto latency = std::chrono::milliseconds{c.spec->mock.latency_ms};
        if (latency.count() == 0) {
          reply(self->current_sender(), run_provider(c));
          return;
        }
        // The provider "works" for the latency; past the timeout it is cut off.
        bool timed_out = latency >= c.spec->agent_timeout;
        auto delay = timed_out ? c.spec->agent_timeout : latency;
        timers->schedule(delay, caf::actor_cast<caf::strong_actor_ptr>(self),
                         caf::make_message(deferred_call{self->current_sender(), std::move(c),
                                                         timed_out}));
      },
      [=](deferred_call& d) {
        reply(d.reply_to, d.timed_out ? timeout_outcome(d.call) : run_provider(d.call));
      },
  };
}

}  // namespace

agent_pool::agent_pool(caf::actor_system& sys, timer::timer_service& timers, size_t size) {
  if (size == 0) size = 1;
  workers_.reserve(size);
  for (size_t i = 0; i < size; ++i) workers_.push_back(sys.spawn(agent_worker, &timers));
}

agent_pool::agent_pool(std::vector<caf::actor> workers) : workers_(std::move(workers)) {
}

agent_pool::~agent_pool() {
  stop();
}

const caf::actor& agent_pool::pick(uint64_t key) const {
  return workers_[key % workers_.size()];
}

void agent_pool::stop() {
  for (auto& w : workers_) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

}  // namespace aragora::agent
