#include "runtime/base/supervision/supervisor.hpp"

#include <caf/all.hpp>

#include <random>
#include <utility>

#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/base/log/log.hpp"

namespace aragora::supervision {

namespace {

using restart_atom = caf::atom_constant<caf::atom("sv_restart")>;
using probe_atom = caf::atom_constant<caf::atom("sv_probe")>;

struct child {
  child_spec spec;
  restart_policy policy;
  caf::actor current;
  bool probing = false;     // one probe at a time per child
  uint64_t generation = 0;  // a probe or restart timer for an older incarnation is stale
};

struct supervisor_state {
  static inline const char* name = "supervisor";
  std::string me;
  std::vector<child> children;
  supervisor_options opts;
  bool stopping = false;
  std::minstd_rand rng{std::random_device{}()};
  // The children alive now, shared with the functor that kills them if the supervisor dies.
  std::shared_ptr<std::vector<caf::actor>> living = std::make_shared<std::vector<caf::actor>>();
};

using sv_self = caf::stateful_actor<supervisor_state>;

void adopt(sv_self* self, size_t i, caf::actor a) {
  auto& c = self->state.children[i];
  c.current = std::move(a);
  (*self->state.living)[i] = c.current;
  ++c.generation;
  self->monitor(c.current);
  c.policy.started(std::chrono::steady_clock::now());
}

/// A restart: the new actor goes into the child's slot and the fault hook before anyone is told.
void restart_child(sv_self* self, size_t i) {
  auto& st = self->state;
  auto& c = st.children[i];
  adopt(self, i, c.spec.spawn(self->system()));
  if (c.spec.slot) c.spec.slot->put(c.current);
  if (st.opts.faults) st.opts.faults->enroll(c.spec.name, c.current.address());
  log::info("supervisor", st.me, ": restarted ", c.spec.name,
            " (restart ", c.policy.restarts() - 1, ")");
  if (c.spec.on_restart) c.spec.on_restart(c.current);
}

void schedule_restart(sv_self* self, size_t i, std::chrono::steady_clock::duration delay) {
  auto& c = self->state.children[i];
  self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(delay),
                     restart_atom::value, static_cast<uint64_t>(i), c.generation);
}

void on_down(sv_self* self, const caf::down_msg& dm) {
  auto& st = self->state;
  for (size_t i = 0; i < st.children.size(); ++i) {
    auto& c = st.children[i];
    if (!c.current || c.current.address() != dm.source) continue;
    if (st.opts.faults) st.opts.faults->leave(c.spec.name, dm.source);
    c.current = nullptr;
    (*st.living)[i] = nullptr;
    if (st.stopping) return;
    // Stopped on purpose (its owner shutting it down, as a node does child by child): not a
    // failure, so not restarted.
    if (dm.reason == caf::exit_reason::user_shutdown || dm.reason == caf::exit_reason::normal) {
      log::debug("supervisor", st.me, ": ", c.spec.name, " stopped (",
                self->system().render(dm.reason), "); not restarting it");
      return;
    }
    auto now = std::chrono::steady_clock::now();
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    auto d = c.policy.on_death(now, unit(st.rng));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d.delay).count();
    log::warn("supervisor", st.me, ": ", c.spec.name, " died (", self->system().render(dm.reason),
              d.restart ? "); restarting in " : "); restart breaker open, next trial in ", ms,
              " ms");
    schedule_restart(self, i, d.delay);
    return;
  }
}

void probe(sv_self* self) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < st.children.size(); ++i) {
    auto& c = st.children[i];
    c.policy.tick(now);
    if (!c.current || !c.spec.probe || c.probing) continue;
    auto target = c.current;
    auto gen = c.generation;
    c.probing = true;
    self->request(target, st.opts.probe_timeout, ping_atom::value)
        .then([=](caf::ok_atom) { self->state.children[i].probing = false; },
              [=](caf::error& err) {
                auto& s = self->state;
                auto& ch = s.children[i];
                ch.probing = false;
                // A dead child's down message does the rest.
                if (err == caf::sec::request_receiver_down) return;
                if (s.stopping || ch.generation != gen || !ch.current) return;
                log::warn("supervisor", s.me, ": ", ch.spec.name, " did not answer a probe (",
                          self->system().render(err), "); killing it");
                self->send_exit(ch.current, caf::exit_reason::kill);
              });
  }
  self->delayed_send(self, st.opts.probe_interval, probe_atom::value);
}

caf::behavior supervisor(sv_self* self, std::string name, std::vector<child_spec> specs,
                         std::vector<caf::actor> first, supervisor_options opts) {
  auto& st = self->state;
  st.me = std::move(name);
  st.opts = opts;
  for (auto& s : specs) {
    auto ro = s.restart;
    st.children.push_back(child{std::move(s), restart_policy{ro}, nullptr, false, 0});
  }
  st.living->resize(st.children.size());
  for (size_t i = 0; i < st.children.size(); ++i) adopt(self, i, std::move(first[i]));
  // A supervisor that dies (killed, or of a bug) takes its children with it, so its restart by a
  // parent starts one fresh generation and never leaves a second one running. Not by links: a
  // child killed with `kill` would take its supervisor down through one. A shutdown sent to the
  // supervisor was already passed on by the exit handler below.
  self->attach_functor([living = st.living](const caf::error& reason) {
    if (!reason || reason == caf::exit_reason::user_shutdown) return;
    for (auto& a : *living)
      if (a) caf::anon_send_exit(a, caf::exit_reason::kill);
  });
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  self->set_exit_handler([=](caf::exit_msg& em) {
    auto& s = self->state;
    s.stopping = true;
    for (auto& c : s.children)
      if (c.current) self->send_exit(c.current, em.reason);
    self->quit(em.reason);
  });
  self->delayed_send(self, st.opts.probe_interval, probe_atom::value);
  return {
      [=](restart_atom, uint64_t i, uint64_t gen) {
        auto& s = self->state;
        if (s.stopping || i >= s.children.size()) return;
        auto& c = s.children[i];
        if (c.generation != gen || c.current) return;
        auto now = std::chrono::steady_clock::now();
        if (!c.policy.may_start(now)) {
          auto wait = std::max<std::chrono::steady_clock::duration>(
              c.spec.restart.breaker_recovery / 10, std::chrono::milliseconds{10});
          schedule_restart(self, i, wait);
          return;
        }
        restart_child(self, i);
      },
      [=](probe_atom) { probe(self); },
      [=](ping_atom) { return caf::ok_atom::value; },
      [=](status_atom) {
        auto& s = self->state;
        auto now = std::chrono::steady_clock::now();
        std::vector<child_status> out;
        for (auto& c : s.children) {
          c.policy.tick(now);
          out.push_back({c.spec.name, static_cast<bool>(c.current), c.policy.breaker(now),
                         c.policy.restarts() > 0 ? c.policy.restarts() - 1 : 0,
                         c.policy.times_opened()});
        }
        return out;
      },
  };
}

}  // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, std::string name,
                            std::vector<child_spec> children, supervisor_options opts) {
  // The children's slots must be set when this returns, but an actor initialises on a scheduler
  // thread later: spawn the first generation here and hand it over (monitoring an actor that
  // died meanwhile still delivers its down message).
  std::vector<caf::actor> first;
  for (auto& c : children) {
    first.push_back(c.running ? std::exchange(c.running, nullptr) : c.spawn(sys));
    if (c.slot) c.slot->put(first.back());
    if (opts.faults) opts.faults->enroll(c.name, first.back().address());
  }
  return sys.spawn(supervisor, std::move(name), std::move(children), std::move(first), opts);
}

}  // namespace aragora::supervision
