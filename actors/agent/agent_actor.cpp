#include "actors/agent/agent_actor.hpp"

#include <caf/all.hpp>

#include <optional>
#include <thread>
#include <unordered_map>

#include "actors/agent/call_runner.hpp"
#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/base/timer/timer_service.hpp"
#include "runtime/base/log/log.hpp"

namespace aragora::agent {

// The worker's own messages; named by its interface (interface.hpp).

/// A closure of the worker's scheduler is due.
struct timer_due {
  uint64_t id;
};

/// A provider reported from a thread other than the worker's.
struct provider_report {
  call_id id;
  std::optional<debate::call_outcome> outcome;  // unset: a token delta
  std::string delta;
};

}  // namespace aragora::agent

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::timer_due)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::agent::provider_report)

namespace aragora::agent {

namespace {

/// The worker's scheduler: the node's timer service delivers a message to the worker, which runs
/// the closure on its own thread. Cancelled closures are forgotten at once, so one already on its
/// way in the mailbox finds nothing to run.
class worker_scheduler final : public scheduler {
public:
  worker_scheduler(caf::local_actor* self, timer::timer_service& timers)
      : self_(self), timers_(timers) {}

  [[nodiscard]] steady_clock::time_point now() const override { return steady_clock::now(); }

  handle after(steady_clock::duration delay, std::function<void()> fn) override {
    auto id = ++next_;
    auto t = timers_.schedule(delay, caf::actor_cast<caf::strong_actor_ptr>(self_),
                              caf::make_message(timer_due{id}));
    if (t == 0) return 0;  // the node is shutting down: nothing fires any more
    pending_.emplace(id, entry{t, std::move(fn)});
    return id;
  }

  bool cancel(handle h) override {
    auto it = pending_.find(h);
    if (it == pending_.end()) return false;
    timers_.cancel(it->second.timer);
    pending_.erase(it);
    return true;
  }

  void fire(uint64_t id) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    auto fn = std::move(it->second.fn);
    pending_.erase(it);
    fn();
  }

private:
  struct entry {
    timer::timer_service::handle timer;
    std::function<void()> fn;
  };
  caf::local_actor* self_;  // the owner: this object lives in its state
  timer::timer_service& timers_;
  std::unordered_map<uint64_t, entry> pending_;
  uint64_t next_ = 0;
};

/// Where providers report: straight into the runner while the worker itself is running (the
/// mock, a provider answering at once), as a message to the worker from any other thread. It
/// holds the worker weakly: a provider that reports after the worker is gone reports to nobody.
class worker_sink final : public call_sink {
public:
  worker_sink(caf::actor_addr worker, call_runner& runner)
      : worker_(std::move(worker)), runner_(&runner) {}

  void enter() { owner_.store(std::this_thread::get_id(), std::memory_order_release); }
  void leave() { owner_.store(std::thread::id{}, std::memory_order_release); }

  void delta(call_id id, std::string_view text) override {
    if (on_worker())
      runner_->on_delta(id, text);
    else
      post(provider_report{id, std::nullopt, std::string{text}});
  }

  void done(call_id id, debate::call_outcome outcome) override {
    if (on_worker())
      runner_->on_done(id, std::move(outcome));
    else
      post(provider_report{id, std::move(outcome), {}});
  }

private:
  // Only the worker's own thread, inside one of its handlers, ever sees its own id here.
  [[nodiscard]] bool on_worker() const {
    return owner_.load(std::memory_order_acquire) == std::this_thread::get_id();
  }
  void post(provider_report&& r) {
    if (auto h = caf::actor_cast<caf::actor>(worker_)) caf::anon_send(h, std::move(r));
  }

  caf::actor_addr worker_;
  call_runner* runner_;  // used on the worker's thread only, while the worker runs
  std::atomic<std::thread::id> owner_{};
};

struct worker_state {
  static inline const char* name = "agent";
  std::shared_ptr<worker_stats> stats;
  // Declared in this order so each outlives what uses it.
  std::unique_ptr<worker_scheduler> sched;
  std::unique_ptr<call_runner> runner;
  std::shared_ptr<worker_sink> sink;
};

using worker_self = worker_actor::stateful_base<worker_state>;

/// One handler's run: reports made meanwhile go straight into the runner, and its outcomes
/// leave as one batch per step when it ends.
class worker_turn {
public:
  explicit worker_turn(worker_state& st) : st_(st), turn_(std::in_place, *st.runner) { st_.sink->enter(); }
  ~worker_turn() {
    turn_.reset();  // flushes
    st_.sink->leave();
  }
  worker_turn(const worker_turn&) = delete;
  worker_turn& operator=(const worker_turn&) = delete;

private:
  worker_state& st_;
  std::optional<call_runner::turn> turn_;
};

template <class T>
void send_to(const caf::strong_actor_ptr& to, T&& x) {
  if (to) caf::anon_send(caf::actor_cast<caf::actor>(to), std::forward<T>(x));
}

worker_actor::behavior_type agent_worker(worker_self* self, worker_config cfg,
                                         std::shared_ptr<worker_stats> stats) {
  // Provider failures are caught in the runner and the providers; anything else is a bug. Say so
  // on stderr: CAF's default handler prints on stdout, which carries the CLI's result.
  self->set_exception_handler([](caf::scheduled_actor* a, std::exception_ptr& x) -> caf::error {
    try {
      std::rethrow_exception(x);
    } catch (const std::exception& e) {
      log::error("agent", "worker ", a->id(), ": internal_error: ", e.what());
    } catch (...) {
      log::error("agent", "worker ", a->id(), ": internal_error: unknown exception");
    }
    return caf::make_error(caf::sec::runtime_error);
  });
  auto& st = self->state;
  st.stats = std::move(stats);
  st.sched = std::make_unique<worker_scheduler>(self, *cfg.timers);
  st.runner = std::make_unique<call_runner>(*st.sched, *cfg.providers);
  st.sink = std::make_shared<worker_sink>(self->address(), *st.runner);
  st.runner->set_sink(st.sink);
  return {
      [=](agent_calls& c) {
        auto& st = self->state;
        // Only the owner may look at its mailbox: record the backlog behind these calls.
        auto backlog = self->mailbox().size();
        st.stats->backlog.store(backlog, std::memory_order_relaxed);
        if (backlog > st.stats->peak_backlog.load(std::memory_order_relaxed))
          st.stats->peak_backlog.store(backlog, std::memory_order_relaxed);
        auto to = self->current_sender();
        call_runner::delta_fn deltas;
        if (c.stream)
          deltas = [to](token_delta&& d) { send_to(to, std::move(d)); };
        worker_turn turn{st};
        st.runner->start(
            std::move(c.spec), std::move(c.requests),
            [to](debate::call_outcomes&& o) { send_to(to, std::move(o)); },
            std::move(deltas));
      },
      [=](timer_due d) {
        worker_turn turn{self->state};
        self->state.sched->fire(d.id);
      },
      [=](provider_report& r) {
        worker_turn turn{self->state};
        if (r.outcome)
          self->state.runner->on_done(r.id, std::move(*r.outcome));
        else
          self->state.runner->on_delta(r.id, r.delta);
      },
      [=](cancel_calls& c) {
        worker_turn turn{self->state};
        (void)self->state.runner->cancel_debate(c.debate_id);
      },
      [=](supervision::ping_atom) { return caf::ok_atom::value; },
      [=](fault::stall_atom) { fault::stall_forever(self); },
  };
}

}  // namespace

worker_actor spawn_agent_worker(caf::actor_system& sys, const worker_config& cfg,
                                std::shared_ptr<worker_stats> stats) {
  return sys.spawn(agent_worker, cfg, std::move(stats));
}

agent_pool::agent_pool(caf::actor_system& sys, timer::timer_service& timers, size_t size,
                       provider_catalog providers, pool_supervision sup) {
  if (size == 0) size = 1;
  worker_config cfg{&timers, std::make_shared<const provider_catalog>(std::move(providers))};
  std::vector<supervision::child_spec> children;
  for (size_t i = 0; i < size; ++i) {
    stats_.push_back(std::make_shared<worker_stats>());
    slots_.push_back(std::make_shared<supervision::typed_slot<worker_actor>>());
    std::function<void(const caf::actor&)> restarted;
    if (sup.on_restart) restarted = [cb = sup.on_restart, i](const caf::actor&) { cb(i); };
    children.push_back({"agent/" + std::to_string(i),
                        [cfg, stats = stats_.back()](caf::actor_system& s) {
                          // The generic supervisor holds it as caf::actor; the slot, typed.
                          return caf::actor_cast<caf::actor>(spawn_agent_worker(s, cfg, stats));
                        },
                        slots_.back(), std::move(restarted), sup.restart, true});
  }
  // The spec the node's root supervises the members' supervisor by. Copies only: the root may
  // restart it while the pool object itself is gone. A restart tells the debates that every
  // member restarted (the old supervisor took them down with it).
  std::function<void(const caf::actor&)> restarted;
  if (sup.on_restart)
    restarted = [cb = sup.on_restart, n = size](const caf::actor&) {
      for (size_t i = 0; i < n; ++i) cb(i);
    };
  supervision::supervisor_options opts{sup.probe_interval, sup.probe_timeout, sup.faults};
  supervisor_spec_ = {"supervisor/agents",
                      [members = std::move(children), opts](caf::actor_system& s) {
                        return supervision::spawn_supervisor(s, "agents", members, opts);
                      },
                      supervisor_, std::move(restarted), sup.restart, true, nullptr};
  supervisor_->set(supervisor_spec_.spawn(sys));
}

supervision::child_spec agent_pool::supervisor_spec() const {
  auto spec = supervisor_spec_;
  spec.running = supervisor_->get();
  return spec;
}

agent_pool::agent_pool(std::vector<worker_actor> workers) {
  for (auto& w : workers) {
    stats_.push_back(std::make_shared<worker_stats>());
    slots_.push_back(std::make_shared<supervision::typed_slot<worker_actor>>(std::move(w)));
  }
}

uint64_t agent_pool::peak_queue_depth() const {
  uint64_t peak = 0;
  for (const auto& s : stats_) peak = std::max(peak, s->peak_backlog.load(std::memory_order_relaxed));
  return peak;
}

std::vector<uint64_t> agent_pool::queue_depths() const {
  std::vector<uint64_t> out;
  out.reserve(stats_.size());
  for (const auto& s : stats_) out.push_back(s->backlog.load(std::memory_order_relaxed));
  return out;
}

void agent_pool::reset_peak_queue_depth() {
  for (const auto& s : stats_) s->peak_backlog.store(0, std::memory_order_relaxed);
}

agent_pool::~agent_pool() {
  stop();
}

size_t agent_pool::index_of(std::string_view debate_id) const {
  return fnv1a(debate_id) % slots_.size();
}

worker_actor agent_pool::pick(std::string_view debate_id) const {
  return slots_[index_of(debate_id)]->get();
}

void agent_pool::stop() {
  // The supervisor stops its members first; a pool spawned elsewhere stops them itself.
  if (auto sup = supervisor_->get()) {
    caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
    return;
  }
  for (auto& s : slots_)
    if (auto w = s->get()) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

}  // namespace aragora::agent
