#include "runtime/node/local_node.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "actors/agent/agent_actor.hpp"
#include "actors/agent/cli_provider.hpp"
#include "actors/agent/llm_provider.hpp"
#include "actors/agent/prompts.hpp"
#include "actors/debate/actor/debate_actor.hpp"
#include "actors/critique/patterns.hpp"
#include "actors/debate/store/list_index.hpp"
#include "actors/debate/store/persistence.hpp"
#include "actors/memory/memory_tiers.hpp"
#include "actors/ranking/ranking.hpp"
#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/node/debate_supervisor.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/base/ids/ids.hpp"
#include "runtime/base/log/log.hpp"
#include "runtime/base/process/process_runner.hpp"
#include "runtime/base/timer/timer_service.hpp"
#include "net/llm/http_client.hpp"
#include "net/wire/envelope.hpp"
#include "storage/storage_actors.hpp"

namespace aragora::node {

namespace {

caf::actor_system_config& configure(caf::actor_system_config& cfg, const config::node_config& c,
                                    const cluster_role& role) {
  if (c.scheduler_threads > 0) cfg.set("scheduler.max-threads", size_t{c.scheduler_threads});
  cfg.set("scheduler.policy", caf::atom_from_string(c.scheduler_policy));
  if (role.network) {
    cfg.load<caf::io::middleman>();
    wire::add_wire_types(cfg);
    // Off by default in CAF 0.17: a frozen peer would hold its connection open for ever.
    cfg.set("middleman.heartbeat-interval", caf::timespan{role.heartbeat});
    cfg.set("middleman.connection-timeout", caf::timespan{role.connection_timeout});
    cfg.set("middleman.app-identifiers", std::vector<std::string>{"aragora/v1"});
  }
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

/// The mock, every configured real provider and the CLI agents.
agent::provider_catalog providers_of(const config::node_config& c, std::shared_ptr<llm::http_client> http,
                                     std::shared_ptr<process::process_runner> runner, agent::breaker_probe* probe,
                                     const std::optional<std::string>& signing_key) {
  auto catalog = agent::standard_providers(c.mock);
  if (http || runner) {
    // A template the CLI would have refused falls back to the built-in ones (tests build nodes
    // directly).
    auto templates = agent::templates_with(c.llm.prompts);
    if (!templates) log::warn("node", templates.error().message, "; the built-in prompts are used");
    auto shared = std::make_shared<const agent::prompt_templates>(templates ? *templates : agent::prompt_templates::defaults());
    if (http) {
      auto real = agent::llm_providers(c.llm, std::move(http), shared, probe);
      catalog.insert(catalog.end(), std::make_move_iterator(real.begin()), std::make_move_iterator(real.end()));
    }
    if (runner) {
      auto cli = agent::cli_providers(c.llm, std::move(runner), shared, signing_key);
      catalog.insert(catalog.end(), std::make_move_iterator(cli.begin()), std::make_move_iterator(cli.end()));
    }
  }
  return catalog;
}

static std::shared_ptr<process::process_runner> make_runner(const config::node_config& c) {
  process::process_runner::options o;
  o.max_running = c.llm.cli_max_running;
  o.max_waiting = defaults::cli_max_waiting;
  o.max_output = defaults::cli_max_output_bytes;
  return std::make_shared<process::process_runner>(o);
}

struct local_node::impl {
  caf::actor_system_config caf_cfg;
  // Declared before the actor system so they outlive it: actors still finishing while the
  // system shuts down may schedule timers and leave the registry.
  timer::timer_service timers;
  debate::live_debates running;
  std::unique_ptr<fault::injector> faults;
  caf::actor_system sys;
  // Real agents' HTTP client (none without configured providers). Stopped before the actor
  // system goes: its I/O threads report to the agent workers.
  struct stopping_http {
    std::shared_ptr<llm::http_client> client;
    ~stopping_http() {
      if (client) client->stop();
    }
  } http;
  // CLI agents' subprocesses (none without configured cli_agents): killed and reaped, and the
  // runner's thread stopped, before the actor system goes.
  struct stopping_runner {
    std::shared_ptr<process::process_runner> runner;
    ~stopping_runner() {
      if (runner) runner->stop();
    }
  } processes;
  agent::breaker_probe provider_breakers;  // set with the pool's providers
  std::shared_ptr<agent::agent_pool> agents;  // shared with the debates (debate_services)
  std::shared_ptr<debate::debate_services> services;
  std::shared_ptr<storage::store> db;
  // The node's root supervises three: the services' supervisor, the agents' and the debates'.
  // Each is found through its slot (a restarted one replaces it there).
  caf::actor root;
  std::shared_ptr<supervision::actor_slot> services_supervisor;
  std::shared_ptr<supervision::typed_slot<debate_supervisor_actor>> debates_supervisor =
      std::make_shared<supervision::typed_slot<debate_supervisor_actor>>();

  impl(const config::node_config& c, std::optional<std::string> key,
       std::shared_ptr<storage::store> store, cluster_role role)
      : timers(c.timer_tick, c.timer_slots),
        faults(c.fault_injection ? std::make_unique<fault::injector>() : nullptr),
        sys(configure(caf_cfg, c, role)),
        http{c.llm.providers.empty() ? nullptr : std::make_shared<llm::http_client>()},
        processes{c.llm.cli_agents.empty() ? nullptr : make_runner(c)},
        agents(std::make_shared<agent::agent_pool>(sys, timers, pool_size(c),
                                                   providers_of(c, http.client, processes.runner, &provider_breakers, key),
                                                   pool_supervision_of(c, running, faults.get()))),
        services(std::make_shared<debate::debate_services>()),
        db(std::move(store)) {
    services->timers = &timers;
    services->agents = agents;
    services->options = c.machine;
    services->signing_key = std::move(key);
    services->phase_grace = c.phase_grace;
    services->stream_deltas = c.stream_deltas;
    services->registry = &running;
    services->faults = faults.get();
    services->write_timeout = c.supervision.write_timeout;
    services->write_options.hold_limit = c.supervision.hold_limit;
    auto restart = restart_options_of(c.supervision);
    std::vector<supervision::child_spec> root_children;
    auto* reg = &running;
    if (db) {
      services->store = db;
      services->writer = std::make_shared<supervision::typed_slot<storage::writer_actor>>();
      if (role.ranking) services->ranking = std::make_shared<supervision::actor_slot>();
      services->critiques = std::make_shared<supervision::actor_slot>();
      // The writer is the database: its breaker follows the capacity guide's database row.
      auto db_restart = restart;
      db_restart.breaker_failures = c.db_breaker_failures;
      db_restart.breaker_recovery = c.db_breaker_recovery;
      // Writes in flight to a dead writer will never be answered: the debates send them again.
      auto writer_restarted = [reg](const caf::actor&) {
        reg->broadcast(caf::make_message(debate::writer_restarted_atom::value));
      };
      auto* t = &timers;
      ranking::elo_params elo{c.elo_initial, c.elo_k, c.calibration_min};
      auto sweep = c.sweep_interval;
      std::vector<supervision::child_spec> children;
      // Typed children are handed to the generic supervisor as caf::actor; their slots hold them
      // typed again.
      children.push_back({"writer",
                          [d = db, wrap = role.wrap_writer](caf::actor_system& s) {
                            auto local = caf::actor_cast<caf::actor>(storage::spawn_writer(s, d));
                            return wrap ? wrap(s, std::move(local)) : local;
                          },
                          services->writer, writer_restarted, db_restart, true});
      if (role.ranking)
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
      services_supervisor = std::make_shared<supervision::actor_slot>();
      supervision::supervisor_options opts{c.supervision.probe_interval,
                                           c.supervision.probe_timeout, faults.get()};
      root_children.push_back(
          {"supervisor/services",
           [children = std::move(children), opts](caf::actor_system& s) {
             return supervision::spawn_supervisor(s, "services", children, opts);
           },
           services_supervisor,
           // The old writer took its writes in flight down with it.
           writer_restarted, restart, true});
    }
    root_children.push_back(agents->supervisor_spec());
    root_children.push_back({"supervisor/debates",
                             [svc = services, restart](caf::actor_system& s) {
                               return caf::actor_cast<caf::actor>(
                                   spawn_debate_supervisor(s, svc, restart));
                             },
                             debates_supervisor,
                             // Crashes of debates go to the new one from now on.
                             [reg](const caf::actor& sup) {
                               reg->set_supervisor(caf::actor_cast<debate_supervisor_actor>(sup));
                             },
                             restart, true});
    root = supervision::spawn_supervisor(
        sys, "node", std::move(root_children),
        {c.supervision.probe_interval, c.supervision.probe_timeout, faults.get()});
    running.set_supervisor(debates_supervisor->get());
  }

  ~impl() {
    // Debates first (what they sent is still delivered), then memory's pending writes, then
    // everything else; the actor system's destructor waits for them all.
    running.stop_all(caf::exit_reason::user_shutdown);
    if (auto d = debates_supervisor->get()) caf::anon_send_exit(d, caf::exit_reason::user_shutdown);
    // Memory's pending writes are done before the services stop.
    if (services->memory)
      if (auto m = services->memory->get()) {
        caf::scoped_actor self{sys};
        self->request(m, std::chrono::seconds{5}, memory::flush_atom::value)
            .receive([](bool) {}, [](caf::error&) {});
      }
    // The root stops the agents' and the services' supervisors, which stop their children.
    caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    timers.stop();
  }
};

local_node::local_node(const config::node_config& cfg, std::optional<std::string> signing_key,
                       std::shared_ptr<storage::store> store, cluster_role role)
    : impl_(std::make_unique<impl>(cfg, std::move(signing_key), std::move(store), std::move(role))) {
}

std::optional<std::string> local_node::resume_from(const debate::stored_debate& log, caf::actor owner,
                                                   debate::finish_report report,
                                                   std::vector<caf::actor> subscribers) {
  auto rebuilt = debate::rebuild(log, impl_->services->options);
  auto* m = std::get_if<std::unique_ptr<debate::debate_machine>>(&rebuilt);
  if (!m) return std::get<std::string>(rebuilt);
  std::shared_ptr<debate::debate_machine> machine = std::move(*m);
  (void)debate::resume_debate(impl_->sys, impl_->services, std::move(machine), std::move(owner),
                              std::move(subscribers), report);
  return std::nullopt;
}

bool local_node::cancel(const std::string& id, const std::string& reason, const std::string& by) {
  return impl_->running.cancel(id, reason, by);
}

bool local_node::is_running(const std::string& id) { return impl_->running.find(id).has_value(); }

caf::actor local_node::ranking() {
  return impl_->services->ranking ? impl_->services->ranking->get() : caf::actor{};
}

size_t local_node::cancel_all(const std::string& reason, const std::string& by) {
  return impl_->running.cancel_all(reason, by);
}

void local_node::observe_durability(caf::actor observer) {
  impl_->services->durability_observer = std::move(observer);
}

local_node::resumed local_node::resume_unfinished(caf::actor owner,
                                                  debate::finish_report report,
                                                  const std::string& actor,
                                                  std::vector<caf::actor> subscribers) {
  resumed out;
  auto& db = impl_->db;
  if (!db) return out;
  // The readable debates are resumed even if others cannot be read; those are reported.
  std::vector<v1::DebateRecord> records = debate::running_records(*db, out.unreadable);
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
        (void)debate::resume_debate(impl_->sys, impl_->services, std::move(machine), owner,
                                    subscribers, report);
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

std::vector<agent::provider_breaker> local_node::provider_breakers() const {
  return impl_->provider_breakers ? impl_->provider_breakers() : std::vector<agent::provider_breaker>{};
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
  if (impl_->services_supervisor) ask(impl_->services_supervisor->get());
  ask(impl_->agents->supervisor_slot()->get());
  ask(impl_->debates_supervisor->get());
  ask(impl_->root);  // the root's own children ("supervisor/...") come last
  return out;
}

std::vector<v1::BreakerStatus> local_node::breakers() {
  std::vector<v1::BreakerStatus> out;
  for (const auto& c : supervision_status()) {
    auto& b = out.emplace_back();
    b.set_name(c.name);
    b.set_kind("supervisor");
    b.set_state(std::string{resilience::to_string(c.breaker)});
    b.set_up(c.up);
    b.set_restarts(c.restarts);
    b.set_times_opened(c.times_opened);
  }
  for (const auto& p : provider_breakers()) {
    auto& b = out.emplace_back();
    b.set_name(p.name);
    b.set_kind("provider");
    b.set_state(std::string{resilience::to_string(p.state)});
    b.set_up(true);
  }
  if (impl_->db) {
    auto& b = out.emplace_back();
    b.set_name("store");
    b.set_kind("store");
    b.set_state(std::string{resilience::to_string(impl_->db->breaker())});
    b.set_up(true);
  }
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

std::vector<uint64_t> local_node::queue_depths() const { return impl_->agents->queue_depths(); }

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
