#include "runtime/node/local_node.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "actors/agent/agent_actor.hpp"
#include "actors/debate/debate_actor.hpp"
#include "actors/critique/patterns.hpp"
#include "actors/debate/persistence.hpp"
#include "actors/memory/memory_tiers.hpp"
#include "actors/ranking/ranking.hpp"
#include "runtime/timer/timer_service.hpp"
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

}  // namespace

struct local_node::impl {
  caf::actor_system_config caf_cfg;
  // Declared before the actor system so they outlive it: actors still finishing while the
  // system shuts down may schedule timers and leave the registry.
  timer::timer_service timers;
  debate::live_debates running;
  caf::actor_system sys;
  std::shared_ptr<agent::agent_pool> agents;  // shared with the debates (debate_services)
  std::shared_ptr<debate::debate_services> services;
  std::shared_ptr<storage::store> db;
  caf::actor writer;
  caf::actor sweeper;
  caf::actor ranking;
  caf::actor critiques;
  std::unique_ptr<memory::memory_system> memory;
  std::atomic<uint32_t> counter;

  impl(const config::node_config& c, std::optional<std::string> key,
       std::shared_ptr<storage::store> store)
      : timers(c.timer_tick, c.timer_slots),
        sys(configure(caf_cfg, c)),
        agents(std::make_shared<agent::agent_pool>(sys, timers, pool_size(c),
                                                   agent::standard_providers(c.mock))),
        services(std::make_shared<debate::debate_services>()),
        db(std::move(store)),
        counter(static_cast<uint32_t>(std::random_device{}())) {
    services->timers = &timers;
    services->agents = agents;
    services->options = c.machine;
    services->signing_key = std::move(key);
    services->phase_grace = c.phase_grace;
    services->registry = &running;
    if (db) {
      writer = storage::spawn_writer(sys, db);
      sweeper = storage::spawn_sweeper(sys, db, timers, c.sweep_interval);
      ranking = ranking::spawn_ranking(sys, db, {c.elo_initial, c.elo_k, c.calibration_min});
      services->writer = writer;
      services->store = db;
      services->ranking = ranking;
      critiques = critique::spawn_critique_store(sys, db);
      services->critiques = critiques;
      if (c.memory_enabled) {
        memory = std::make_unique<memory::memory_system>(sys, db);
        services->memory = memory->coordinator();
        services->recall_k = c.recall_k;
      }
    }
  }

  ~impl() {
    // Debates first (what they sent is still delivered), then memory's pending writes, then
    // everything else; the actor system's destructor waits for them all.
    running.stop_all(caf::exit_reason::user_shutdown);
    if (memory) memory->stop();
    agents->stop();
    if (writer) caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    if (sweeper) caf::anon_send_exit(sweeper, caf::exit_reason::user_shutdown);
    if (ranking) caf::anon_send_exit(ranking, caf::exit_reason::user_shutdown);
    if (critiques) caf::anon_send_exit(critiques, caf::exit_reason::user_shutdown);
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
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  auto n = impl_->counter.fetch_add(1, std::memory_order_relaxed) & 0xFFFFFu;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%011llx%05x",
                static_cast<unsigned long long>(ms) & 0xFFFFFFFFFFFull, n);
  return buf;
}

caf::actor local_node::start_debate(std::shared_ptr<const debate::debate_spec> spec,
                                    caf::actor owner, std::vector<caf::actor> subscribers,
                                    debate::finish_report report) {
  return debate::spawn_debate(impl_->sys, impl_->services, std::move(spec), std::move(owner),
                              std::move(subscribers), report);
}

}  // namespace aragora::node
