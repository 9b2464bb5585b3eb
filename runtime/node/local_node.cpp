#include "runtime/node/local_node.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "actors/agent/agent_actor.hpp"
#include "actors/debate/actor/debate_actor.hpp"
#include "actors/critique/patterns.hpp"
#include "actors/debate/store/persistence.hpp"
#include "actors/memory/memory_tiers.hpp"
#include "actors/ranking/ranking.hpp"
#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/node/debate_supervisor.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/base/ids/ids.hpp"
#include "runtime/base/timer/timer_service.hpp"
#include "storage/storage_actors.hpp"

namespace aragora::node {

namespace {

caf::actor_system_config& configure(caf::actor_system_config& cfg, const config::node_config& c) {
  if (c.scheduler_threads > 0) cfg.set("scheduler.max-threads", size_t{c.scheduler_threads});
  cfg.set("scheduler.policy", caf::atom_from_string(c.scheduler_policy));
  return cfg;
}

size_t pool_size(const config::node_config& c) {
  if (c.agent_workers > 0) return c.agent_workers;
  auto threads = c.scheduler_threads > 0 ? c.scheduler_threads
                                         : std::max(1u, std::thread::hardware_concurrency());
  return threads;
}

supervision::restart_options restart_options_of(const config::supervision_config& s) {
  return {s.restart_base, s.restart_cap, s.stable_after, s.breaker_failures, s.breaker_recovery};
}

agent::pool_supervision pool_supervision_of(const config::node_config& c,
                                            debate::live_debates& running, fault::injector* faults) {
  agent::pool_supervision s;
  s.restart = restart_options_of(c.supervision);
  s.probe_interval = c.supervision.probe_interval;
  s.probe_timeout = c.supervision.probe_timeout;
  s.faults = faults;
  // The calls a dead member held died with it: their debates fail them now.
  s.on_restart = [&running](size_t i) {
    running.broadcast(caf::make_message(agent::agent_restarted_atom::value, uint64_t{i}));
  };
  return s;
}

}  // namespace

struct local_node::impl {
  caf::actor_system_config caf_cfg;
  // Declared before the actor system so they outlive it: actors still finishing while the
  // system shuts down may schedule timers and leave the registry.
  timer::timer_service timers;
  debate::live_debates running;
  std::unique_ptr<fault::injector> faults;
  caf::actor_system sys;
  std::shared_ptr<agent::agent_pool> agents;  // shared with the debates (debate_services)
  std::shared_ptr<debate::debate_services> services;
  std::shared_ptr<storage::store> db;
  // The node's services run under one supervisor; debates under their own.
  caf::actor services_supervisor;
  debate_supervisor_actor debates_supervisor;

  impl(const config::node_config& c, std::optional<std::string> key,
       std::shared_ptr<storage::store> store)
      : timers(c.timer_tick, c.timer_slots),
        faults(c.fault_injection ? std::make_unique<fault::injector>() : nullptr),
        sys(configure(caf_cfg, c)),
        agents(std::make_shared<agent::agent_pool>(sys, timers, pool_size(c),
                                                   agent::standard_providers(c.mock),
                                                   pool_supervision_of(c, running, faults.get()))),
        services(std::make_shared<debate::debate_services>()),
        db(std::move(store)) {
    services->timers = &timers;
    services->agents = agents;
    services->options = c.machine;
    services->signing_key = std::move(key);
    services->phase_grace = c.phase_grace;
    services->registry = &running;
    services->faults = faults.get();
    services->write_timeout = c.supervision.write_timeout;
    services->write_options.hold_limit = c.supervision.hold_limit;
    auto restart = restart_options_of(c.supervision);
    if (db) {
      services->store = db;
      services->writer = std::make_shared<supervision::typed_slot<storage::writer_actor>>();
      services->ranking = std::make_shared<supervision::actor_slot>();
      services->critiques = std::make_shared<supervision::actor_slot>();
      // The writer is the database: its breaker follows the capacity guide's database row.
      auto db_restart = restart;
      db_restart.breaker_failures = c.db_breaker_failures;
      db_restart.breaker_recovery = c.db_breaker_recovery;
      auto* reg = &running;
      auto* t = &timers;
      ranking::elo_params elo{c.elo_initial, c.elo_k, c.calibration_min};
      auto sweep = c.sweep_interval;
      std::vector<supervision::child_spec> children;
      // Typed children are handed to the generic supervisor as caf::actor; their slots hold them
      // typed again.
      children.push_back({"writer",
                          [d = db](caf::actor_system& s) {
                            return caf::actor_cast<caf::actor>(storage::spawn_writer(s, d));
                          },
                          services->writer,
                          // Writes in flight to the dead writer will never be answered.
                          [reg](const caf::actor&) {
                            reg->broadcast(caf::make_message(debate::writer_restarted_atom::value));
                          },
                          db_restart, true});
      children.push_back({"ranking",
                          [d = db, elo](caf::actor_system& s) { return ranking::spawn_ranking(s, d, elo); },
                          services->ranking, nullptr, restart, true});
      children.push_back({"critiques",
                          [d = db](caf::actor_system& s) { return critique::spawn_critique_store(s, d); },
                          services->critiques, nullptr, restart, true});
      children.push_back({"sweeper",
                          [d = db, t, sweep](caf::actor_system& s) {
                            return caf::actor_cast<caf::actor>(storage::spawn_sweeper(s, d, *t, sweep));
                          },
                          nullptr, nullptr, restart, false});
      if (c.memory_enabled) {
        services->memory = std::make_shared<supervision::actor_slot>();
        services->recall_k = c.recall_k;
        auto* f = faults.get();
        children.push_back({"memory/coordinator",
                            [d = db, f](caf::actor_system& s) {
                              return memory::spawn_memory_group(s, d, {}, f);
                            },
                            services->memory, nullptr, restart, true});
      }
      services_supervisor = supervision::spawn_supervisor(
          sys, "services", std::move(children),
          {c.supervision.probe_interval, c.supervision.probe_timeout, faults.get()});
    }
    debates_supervisor = spawn_debate_supervisor(sys, services, restart);
    running.set_supervisor(debates_supervisor);
  }

  ~impl() {
    // Debates first (what they sent is still delivered), then memory's pending writes, then
    // everything else; the actor system's destructor waits for them all.
    running.stop_all(caf::exit_reason::user_shutdown);
    caf::anon_send_exit(debates_supervisor, caf::exit_reason::user_shutdown);
    // Memory's pending writes are done before the services stop.
    if (services->memory)
      if (auto m = services->memory->get()) {
        caf::scoped_actor self{sys};
        self->request(m, std::chrono::seconds{5}, memory::flush_atom::value)
            .receive([](bool) {}, [](caf::error&) {});
      }
    agents->stop();
    if (services_supervisor) caf::anon_send_exit(services_supervisor, caf::exit_reason::user_shutdown);
    timers.stop();
  }
};

local_node::local_node(const config::node_config& cfg, std::optional<std::string> signing_key,
                       std::shared_ptr<storage::store> store)
    : impl_(std::make_unique<impl>(cfg, std::move(signing_key), std::move(store))) {
}

size_t local_node::cancel_all(const std::string& reason, const std::string& by) {
  return impl_->running.cancel_all(reason, by);
}

void local_node::observe_durability(caf::actor observer) {
  impl_->services->durability_observer = std::move(observer);
}

local_node::resumed local_node::resume_unfinished(caf::actor owner,
                                                  debate::finish_report report,
                                                  const std::string& actor) {
  resumed out;
  auto& db = impl_->db;
  if (!db) return out;
  // The readable debates are resumed even if others cannot be read; those are reported.
  std::vector<v1::DebateRecord> records;
  storage::scan_report damaged;
  if (auto err = debate::load_records(*db, records, damaged))
    out.unreadable.emplace_back("*", err->message);
  else if (damaged.unreadable > 0)
    out.unreadable.emplace_back(
        "*", storage::unreadable_error(storage::cf::debates, damaged).message);
  for (const auto& r : records) {
    if (r.status() != v1::Status::running) continue;
    const auto& id = r.spec().id();
    auto stored = debate::load_debate(*db, id);
    std::string why;
    if (!stored.ok()) {
      // The store is failing, not the log: leave the debate for the next resume.
      out.unreadable.emplace_back(id, "skipped: " + stored.error().message);
      continue;
    }
    if (stored.value()) {
      auto rebuilt = debate::rebuild(*stored.value(), impl_->services->options);
      if (auto* m = std::get_if<std::unique_ptr<debate::debate_machine>>(&rebuilt)) {
        std::shared_ptr<debate::debate_machine> machine = std::move(*m);
        storage::write_batch audit;
        debate::add_audit(audit, *db, std::chrono::system_clock::now(), actor, "debate.resume", id,
                          "from event " + std::to_string(machine->last_seq()));
        (void)db->write(audit, false);
        (void)debate::resume_debate(impl_->sys, impl_->services, std::move(machine), owner, {},
                                    report);
        out.ids.push_back(id);
        continue;
      }
      why = std::get<std::string>(rebuilt);
    }
    // A log that cannot be replayed is recorded as failed, so it does not block every resume.
    auto failed = r;
    failed.set_status(v1::Status::failed);
    failed.set_error("cannot resume: " + why);
    storage::write_batch b;
    debate::add_record(b, failed, *db);
    (void)db->write(b, true);
    out.unreadable.emplace_back(id, why);
  }
  return out;
}

local_node::~local_node() = default;

fault::injector* local_node::faults() {
  return impl_->faults.get();
}

std::vector<supervision::child_status> local_node::supervision_status() {
  std::vector<supervision::child_status> out;
  caf::scoped_actor self{impl_->sys};
  auto ask = [&](const auto& sup) {  // a generic supervisor or the (typed) debate supervisor
    if (!sup) return;
    self->request(sup, std::chrono::seconds{5}, supervision::status_atom::value)
        .receive([&](std::vector<supervision::child_status>& v) {
                   out.insert(out.end(), v.begin(), v.end());
                 },
                 [](caf::error&) {});
  };
  ask(impl_->services_supervisor);
  ask(impl_->agents->supervisor());
  ask(impl_->debates_supervisor);
  return out;
}

size_t local_node::running_debates() {
  return impl_->running.size();
}

caf::actor_system& local_node::system() {
  return impl_->sys;
}

uint64_t local_node::peak_queue_depth() const {
  return impl_->agents->peak_queue_depth();
}

void local_node::reset_peak_queue_depth() {
  impl_->agents->reset_peak_queue_depth();
}

std::string local_node::next_debate_id() {
  return ids::next_debate_id();
}

debate::debate_actor_type local_node::start_debate(
    std::shared_ptr<const debate::debate_spec> spec, caf::actor owner,
    std::vector<caf::actor> subscribers, debate::finish_report report) {
  return debate::spawn_debate(impl_->sys, impl_->services, std::move(spec), std::move(owner),
                              std::move(subscribers), report);
}

}  // namespace aragora::node
