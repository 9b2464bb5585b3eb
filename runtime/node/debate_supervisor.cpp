#include "runtime/node/debate_supervisor.hpp"

#include <caf/all.hpp>

#include <random>
#include <unordered_map>

#include "actors/debate/store/persistence.hpp"
#include "storage/storage_actors.hpp"
#include "runtime/base/log/log.hpp"

namespace aragora::node {

namespace {

struct state {
  static inline const char* name = "debate_supervisor";
  std::shared_ptr<const debate::debate_services> services;
  std::optional<supervision::restart_policy> policy;
  supervision::restart_options opts;
  std::minstd_rand rng{std::random_device{}()};
  uint64_t restarted = 0;
  uint64_t failed = 0;
  // Restarts waiting for the writer to answer an empty write, by its token.
  std::unordered_map<uint64_t, std::string> barriers;
  uint64_t next_token = 0;
};

using self_t = debate_supervisor_actor::stateful_base<state>;

/// The debate cannot be restarted: its owner hears so, and a stored record says so.
void fail(self_t* self, const std::string& id, const std::string& why) {
  auto& st = self->state;
  auto* reg = st.services->registry;
  auto entry = reg->find(id);
  reg->forget(id);
  ++st.failed;
  log::error("debate", id, ": ", why, "; the debate failed");
  if (st.services->store) {
    auto stored = debate::load_debate(*st.services->store, id);
    if (stored.ok() && stored.value()) {
      auto rec = stored.value()->record;
      if (rec.status() == v1::Status::running) {
        rec.set_status(v1::Status::failed);
        rec.set_error(why);
        storage::write_batch b;
        debate::add_record(b, rec, *st.services->store);
        (void)st.services->store->write(b, true);
      }
    }
  }
  // The owner is dynamically typed: CAF 0.17 lets a typed actor send() only to typed ones.
  if (entry && entry->owner)
    caf::unsafe_send_as(self, entry->owner, debate::failed_report(id, why));
}

void reload(self_t* self, const std::string& id);

void restart(self_t* self, const std::string& id) {
  auto& st = self->state;
  auto entry = st.services->registry->find(id);
  if (!entry) return;  // cancelled by a node shutdown meanwhile
  if (!st.policy->may_start(std::chrono::steady_clock::now())) {
    fail(self, id, "restart refused: the debate supervisor's breaker is open");
    return;
  }
  // What the dead actor sent the writer is in the writer's mailbox ahead of this empty write: once
  // it is answered, the log on disk is all there will be.
  auto writer = st.services->writer ? st.services->writer->get() : storage::writer_actor{};
  if (!writer) {
    reload(self, id);
    return;
  }
  // The writer answers with a plain message; if it is dead, its supervisor restarts it and the
  // barrier lapses.
  auto token = ++st.next_token;
  st.barriers.emplace(token, id);
  self->send(writer, storage::persist_request{{}, false, token});
  self->delayed_send(self, std::chrono::seconds{5}, barrier_atom::value, token);
}

void barrier_passed(self_t* self, uint64_t token) {
  auto& st = self->state;
  auto it = st.barriers.find(token);
  if (it == st.barriers.end()) return;
  auto id = std::move(it->second);
  st.barriers.erase(it);
  reload(self, id);
}

void reload(self_t* self, const std::string& id) {
  auto& s = self->state;
  auto stored = debate::load_debate(*s.services->store, id);
  if (!stored.ok()) {
    fail(self, id, "cannot restart: " + stored.error().message);
    return;
  }
  if (!stored.value()) {
    // It died before its first write: nothing was recorded, so it starts again from its spec.
    auto e = s.services->registry->find(id);
    if (!e) return;
    if (!e->spec) {
      fail(self, id, "cannot restart: nothing of it is on disk");
      return;
    }
    s.policy->started(std::chrono::steady_clock::now());
    ++s.restarted;
    log::info("debate", id, ": restarted from its start (nothing was on disk yet)");
    (void)debate::spawn_debate(self->system(), s.services, e->spec, e->owner, e->subscribers,
                               e->report);
    return;
  }
  auto rebuilt = debate::rebuild(*stored.value(), s.services->options);
  auto* m = std::get_if<std::unique_ptr<debate::debate_machine>>(&rebuilt);
  if (!m) {
    fail(self, id, "cannot restart: " + std::get<std::string>(rebuilt));
    return;
  }
  auto e = s.services->registry->find(id);
  if (!e) return;
  s.policy->started(std::chrono::steady_clock::now());
  ++s.restarted;
  log::info("debate", id, ": restarted from event ", (*m)->last_seq());
  std::shared_ptr<debate::debate_machine> machine = std::move(*m);
  (void)debate::resume_debate(self->system(), s.services, std::move(machine), e->owner,
                              e->subscribers, e->report);
}

debate_supervisor_actor::behavior_type debate_supervisor(
    self_t* self, std::shared_ptr<const debate::debate_services> services,
    supervision::restart_options opts) {
  auto& st = self->state;
  st.services = std::move(services);
  st.opts = opts;
  st.policy.emplace(opts);
  self->delayed_send(self, std::chrono::seconds{1}, tick_atom::value);
  return {
      [=](debate::debate_crashed& c) {
        auto& s = self->state;
        log::warn("debate", c.id, ": the debate actor died (", c.reason, ")");
        if (!s.services->store) {
          fail(self, c.id, "its actor died (" + c.reason + ") and an in-memory debate has no log to restart from");
          return;
        }
        std::uniform_real_distribution<double> unit{0.0, 1.0};
        auto d = s.policy->on_death(std::chrono::steady_clock::now(), unit(s.rng));
        if (!d.restart) {
          fail(self, c.id, "its actor died (" + c.reason + ") and the restart breaker is open");
          return;
        }
        self->delayed_send(self, std::chrono::duration_cast<std::chrono::microseconds>(d.delay),
                           restart_atom::value, c.id);
      },
      [=](restart_atom, const std::string& id) { restart(self, id); },
      [=](storage::persist_ack& ack) { barrier_passed(self, ack.token); },
      [=](barrier_atom, uint64_t token) { barrier_passed(self, token); },
      [=](tick_atom) {
        self->state.policy->tick(std::chrono::steady_clock::now());
        self->delayed_send(self, std::chrono::seconds{1}, tick_atom::value);
      },
      [=](supervision::ping_atom) { return caf::ok_atom::value; },
      [=](supervision::status_atom) {
        auto& s = self->state;
        auto now = std::chrono::steady_clock::now();
        s.policy->tick(now);
        std::vector<supervision::child_status> out;
        out.push_back({"debates", true, s.policy->breaker(now), s.restarted, s.policy->times_opened()});
        return out;
      },
  };
}

}  // namespace

debate_supervisor_actor spawn_debate_supervisor(
    caf::actor_system& sys, std::shared_ptr<const debate::debate_services> services,
    supervision::restart_options opts) {
  return sys.spawn<caf::detached>(debate_supervisor, std::move(services), opts);
}

}  // namespace aragora::node
