#include "actors/agent/agent_actor.hpp"

#include <caf/all.hpp>

#include <iostream>
#include <new>

#include "actors/agent/mock_provider.hpp"
#include "runtime/fault/fault_injector.hpp"
#include "runtime/supervision/supervisor.hpp"
#include "runtime/timer/timer_service.hpp"

namespace aragora::agent {

namespace {

/// Calls whose simulated latency has elapsed, or whose timeout has.
struct deferred_calls {
  caf::strong_actor_ptr reply_to;
  agent_calls calls;
  bool timed_out;
};

}  // namespace
}  // namespace aragora::agent

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::deferred_calls)

namespace aragora::agent {

namespace {

debate::call_outcomes failed_outcomes(const agent_calls& c, debate::call_errc code,
                                      const std::string& message) {
  debate::call_outcomes out;
  out.items.reserve(c.requests.size());
  for (const auto& r : c.requests) {
    debate::call_outcome o;
    o.key = r.key;
    o.error = code;
    o.error_message = message;
    out.items.push_back(std::move(o));
  }
  return out;
}

debate::call_outcomes run_provider(const agent_calls& c) {
  // Only the mock provider exists in this build; agent_spec.cpp refuses the others.
  debate::call_outcomes out;
  try {
    out.items.reserve(c.requests.size());
    for (const auto& r : c.requests) out.items.push_back(mock_reply(*c.spec, r));
  } catch (const std::exception& e) {
    // A provider that throws (out of memory for its reply) fails these calls, not the worker
    // every debate of this pool member depends on.
    out.items.clear();
    out.items.shrink_to_fit();
    return failed_outcomes(c, debate::call_errc::provider_error,
                           std::string{"the provider failed: "} +
                               (dynamic_cast<const std::bad_alloc*>(&e) ? "out of memory" : e.what()));
  }
  return out;
}

debate::call_outcomes timeout_outcomes(const agent_calls& c) {
  return failed_outcomes(c, debate::call_errc::timeout,
                         "no reply within the agent timeout of " +
                             std::to_string(c.spec->agent_timeout.count()) + " ms");
}

void reply(const caf::strong_actor_ptr& to, debate::call_outcomes&& o) {
  if (to) caf::anon_send(caf::actor_cast<caf::actor>(to), std::move(o));
}

caf::behavior agent_worker(caf::event_based_actor* self, timer::timer_service* timers,
                           std::shared_ptr<std::atomic<uint64_t>> peak_backlog) {
  // Provider failures are caught in run_provider; anything else is a bug. Say so on stderr: CAF's
  // default handler prints on stdout, which carries the CLI's result.
  self->set_exception_handler([](caf::scheduled_actor* a, std::exception_ptr& x) -> caf::error {
    try {
      std::rethrow_exception(x);
    } catch (const std::exception& e) {
      std::cerr << "agent worker " << a->id() << ": internal_error: " << e.what() << "\n";
    } catch (...) {
      std::cerr << "agent worker " << a->id() << ": internal_error: unknown exception\n";
    }
    return caf::make_error(caf::sec::runtime_error);
  });
  return {
      [=](agent_calls& c) {
        // Only the owner may look at its mailbox: record the backlog behind these calls.
        auto backlog = self->mailbox().size();
        if (backlog > peak_backlog->load(std::memory_order_relaxed))
          peak_backlog->store(backlog, std::memory_order_relaxed);
        auto latency = std::chrono::milliseconds{c.spec->mock.latency_ms};
        if (latency.count() == 0) {
          reply(self->current_sender(), run_provider(c));
          return;
        }
        // The provider "works" for the latency; past the timeout it is cut off. The mock's
        // latency is the same for every call of a step, so one timer serves them all.
        bool timed_out = latency >= c.spec->agent_timeout;
        auto delay = timed_out ? c.spec->agent_timeout : latency;
        timers->schedule(delay, caf::actor_cast<caf::strong_actor_ptr>(self),
                         caf::make_message(deferred_calls{self->current_sender(), std::move(c),
                                                          timed_out}));
      },
      [=](deferred_calls& d) {
        reply(d.reply_to, d.timed_out ? timeout_outcomes(d.calls) : run_provider(d.calls));
      },
      [=](supervision::ping_atom) { return caf::ok_atom::value; },
      [=](fault::stall_atom) { fault::stall_forever(self); },
  };
}

}  // namespace

agent_pool::agent_pool(caf::actor_system& sys, timer::timer_service& timers, size_t size,
                       pool_supervision sup) {
  if (size == 0) size = 1;
  std::vector<supervision::child_spec> children;
  for (size_t i = 0; i < size; ++i) {
    peaks_.push_back(std::make_shared<std::atomic<uint64_t>>(0));
    slots_.push_back(std::make_shared<supervision::actor_slot>());
    auto peak = peaks_.back();
    auto* t = &timers;
    std::function<void(const caf::actor&)> restarted;
    if (sup.on_restart) restarted = [cb = sup.on_restart, i](const caf::actor&) { cb(i); };
    children.push_back({"agent/" + std::to_string(i),
                        [t, peak](caf::actor_system& s) { return s.spawn(agent_worker, t, peak); },
                        slots_.back(), std::move(restarted), sup.restart, true});
  }
  supervisor_ = supervision::spawn_supervisor(sys, "agents", std::move(children),
                                              {sup.probe_interval, sup.probe_timeout, sup.faults});
}

agent_pool::agent_pool(std::vector<caf::actor> workers) {
  for (auto& w : workers) {
    peaks_.push_back(std::make_shared<std::atomic<uint64_t>>(0));
    slots_.push_back(std::make_shared<supervision::actor_slot>(std::move(w)));
  }
}

uint64_t agent_pool::peak_queue_depth() const {
  uint64_t peak = 0;
  for (const auto& p : peaks_) peak = std::max(peak, p->load(std::memory_order_relaxed));
  return peak;
}

void agent_pool::reset_peak_queue_depth() {
  for (const auto& p : peaks_) p->store(0, std::memory_order_relaxed);
}

agent_pool::~agent_pool() {
  stop();
}

size_t agent_pool::index_of(std::string_view debate_id) const {
  return fnv1a(debate_id) % slots_.size();
}

caf::actor agent_pool::pick(std::string_view debate_id) const {
  return slots_[index_of(debate_id)]->get();
}

void agent_pool::stop() {
  // The supervisor stops its members first; a pool spawned elsewhere stops them itself.
  if (supervisor_) {
    caf::anon_send_exit(supervisor_, caf::exit_reason::user_shutdown);
    return;
  }
  for (auto& s : slots_)
    if (auto w = s->get()) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

}  // namespace aragora::agent
