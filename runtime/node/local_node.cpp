#include "runtime/node/local_node.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "actors/agent/agent_actor.hpp"
#include "actors/debate/debate_actor.hpp"
#include "runtime/timer/timer_service.hpp"

namespace aragora::node {

namespace {

caf::actor_system_config& configure(caf::actor_system_config& cfg, const config::node_config& c) {
  if (c.scheduler_threads > 0) cfg.set("scheduler.max-threads", size_t{c.scheduler_threads});
  cfg.set("scheduler.policy", caf::atom_from_string(c.scheduler_policy));
  return cfg;
}

size_t pool_size(const config::node_config& c, const caf::actor_system& sys) {
  if (c.agent_workers > 0) return c.agent_workers;
  auto threads = c.scheduler_threads > 0 ? c.scheduler_threads
                                         : std::max(1u, std::thread::hardware_concurrency());
  return threads;
}

}  // namespace

struct local_node::impl {
  config::node_config cfg;
  caf::actor_system_config caf_cfg;
  caf::actor_system sys;
  timer::timer_service timers;
  agent::agent_pool agents;
  std::shared_ptr<debate::debate_services> services;
  std::atomic<uint32_t> counter;

  impl(const config::node_config& c, std::optional<std::string> key)
      : cfg(c),
        sys(configure(caf_cfg, c)),
        timers(c.timer_tick, c.timer_slots),
        agents(sys, timers, pool_size(c, sys)),
        services(std::make_shared<debate::debate_services>()),
        counter(static_cast<uint32_t>(std::random_device{}())) {
    services->timers = &timers;
    services->agents = &agents;
    services->options = c.machine;
    services->signing_key = std::move(key);
    services->phase_grace = c.phase_grace;
  }

  ~impl() {
    agents.stop();
    timers.stop();
  }
};

local_node::local_node(const config::node_config& cfg, std::optional<std::string> signing_key)
    : impl_(std::make_unique<impl>(cfg, std::move(signing_key))) {
}

local_node::~local_node() = default;

caf::actor_system& local_node::system() {
  return impl_->sys;
}

const config::node_config& local_node::config() const {
  return impl_->cfg;
}

uint64_t local_node::peak_queue_depth() const {
  return impl_->agents.peak_queue_depth();
}

void local_node::reset_peak_queue_depth() {
  impl_->agents.reset_peak_queue_depth();
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
