// `aragora node --config FILE --name NODE`: one node of a cluster file. The edge node serves the
// API and holds the journal (run_serve with the cluster wired in); a worker joins the edge,
// retrying with backoff while it cannot reach it, and runs the debates placed on it until
// SIGINT or SIGTERM (its debates then move to the other workers).

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>

#include "runtime/base/defaults.hpp"
#include "runtime/base/metrics/metrics.hpp"
#include "runtime/capacity/capacity.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/data_dir.hpp"
#include "runtime/cli/signals.hpp"
#include "runtime/cli/storage_options.hpp"
#include "runtime/node/cluster_messages.hpp"
#include "runtime/node/cluster_worker.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/node/node_gauges.hpp"

namespace aragora::cli {

namespace {

int run_worker(const node_options& o, const config::node_config& cfg, const config::cluster_node& me) {
  const auto* edge = cfg.cluster.edge();
  auto key = signing_key_from_env();
  if (!key) return print_error(exit_usage, key.error().code_name(), key.error().message);
  auto db = open_store(o.data_dir, cfg, storage::open_mode::create);
  if (!db) return exit_failed;

  auto link = std::make_shared<node::worker_link>();
  node::cluster_role role;
  role.network = true;
  role.heartbeat = cfg.cluster.heartbeat_interval;
  role.connection_timeout = cfg.cluster.heartbeat_timeout;
  role.ranking = false;  // the journal node rates every debate once
  role.wrap_writer = [link](caf::actor_system& sys, caf::actor local) {
    return node::spawn_replicating_writer(sys, std::move(local), link);
  };
  // Before the node: the agent's on_edge_lost uses them until the node's actors are gone.
  std::mutex mtx;
  std::condition_variable cv;
  bool lost = false;
  int stop_signal = 0;
  node::local_node node{cfg, *key, db, role};
  auto& sys = node.system();

  // The breakers and the metrics are read on this thread (reading the breakers waits on the
  // supervisors, the gauges read /proc and the store) and handed to the agent's heartbeats as a
  // snapshot.
  struct snapshot {
    std::mutex mtx;
    std::vector<v1::BreakerStatus> breakers;
    std::string metrics;
  };
  auto snap = std::make_shared<snapshot>();
  node::worker_options wo;
  wo.breakers = [snap] {
    std::lock_guard<std::mutex> lock{snap->mtx};
    return snap->breakers;
  };
  wo.metrics = [snap] {
    std::lock_guard<std::mutex> lock{snap->mtx};
    return snap->metrics;
  };
  const auto budget = capacity::memory_budget(cfg);
  wo.name = me.name;
  wo.heartbeat_interval = cfg.cluster.heartbeat_interval;
  wo.on_edge_lost = [&] {
    std::lock_guard<std::mutex> lock{mtx};
    lost = true;
    cv.notify_all();
  };
  auto agent = node::spawn_worker_agent(sys, node, db, link, wo);
  auto port = sys.middleman().publish(agent, me.actor_port, me.host.c_str(), true);
  if (!port) {
    caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
    return print_error(exit_failed, "cannot_listen",
                       "cannot listen on " + me.host + ":" + std::to_string(me.actor_port) + ": " +
                           sys.render(port.error()));
  }
  signal_action_scope on_signal{[&](int signo) {
    std::lock_guard<std::mutex> lock{mtx};
    stop_signal = signo;
    cv.notify_all();
  }};
  std::cout << "aragora node " << me.name << ": worker at " << me.host << ":" << *port
            << ", joining the edge at " << edge->host << ":" << edge->actor_port << ", data dir "
            << o.data_dir << std::endl;

  // Connects, and connects again whenever the edge is lost; the main thread may block here (it
  // is not a CAF scheduler thread).
  auto backoff = std::chrono::duration_cast<std::chrono::milliseconds>(defaults::join_retry_base);
  bool said = false;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock{mtx};
      if (stop_signal) break;
      lost = false;
    }
    auto h = sys.middleman().remote_actor(edge->host, edge->actor_port);
    if (!h) {
      if (!said || backoff >= defaults::join_retry_cap)
        std::cerr << "aragora node " << me.name << ": cannot reach the edge at " << edge->host << ":"
                  << edge->actor_port << " (" << sys.render(h.error()) << "); retrying every "
                  << std::min<std::chrono::milliseconds>(backoff * 2, defaults::join_retry_cap).count()
                  << " ms at most" << std::endl;
      said = true;
      std::unique_lock<std::mutex> lock{mtx};
      cv.wait_for(lock, backoff, [&] { return stop_signal != 0; });
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, defaults::join_retry_cap);
      continue;
    }
    if (said) std::cout << "aragora node " << me.name << ": reached the edge" << std::endl;
    said = false;
    backoff = std::chrono::duration_cast<std::chrono::milliseconds>(defaults::join_retry_base);
    caf::anon_send(agent, node::connect_atom::value, *h);
    for (;;) {
      auto now = node.breakers();
      (void)node::refresh_node_gauges(node, db.get(), o.data_dir, budget, node.running_debates());
      auto text = metrics::default_registry().render();
      {
        std::lock_guard<std::mutex> lock{snap->mtx};
        snap->breakers = std::move(now);
        snap->metrics = std::move(text);
      }
      std::unique_lock<std::mutex> lock{mtx};
      if (cv.wait_for(lock, defaults::breaker_refresh, [&] { return lost || stop_signal != 0; })) break;
    }
  }
  std::cout << "aragora node " << me.name << ": " << signal_name(stop_signal)
            << ": stopping; its debates move to the other workers" << std::endl;
  caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
  return exit_ok;
}

}  // namespace

int run_node(node_options o, const config::node_config& cfg) {
  if (cfg.cluster.nodes.empty())
    return print_error(exit_usage, "config_no_cluster",
                       (o.config_file.empty() ? std::string{"the configuration"} : o.config_file) +
                           " names no nodes (cluster.nodes); `aragora serve` runs a single node");
  if (o.list) {
    for (const auto& n : cfg.cluster.nodes) {
      std::string roles;
      for (const auto& r : n.roles) roles += (roles.empty() ? "" : ",") + r;
      std::cout << n.name << '\t' << roles << '\t' << n.host << '\t' << n.actor_port << '\t'
                << n.http_port << '\t' << n.ws_port << '\n';
    }
    return exit_ok;
  }
  if (o.name.empty()) return print_error(exit_usage, "bad_usage", "aragora node needs --name NODE (or --list)");
  const auto* me = cfg.cluster.find(o.name);
  if (!me) {
    std::string names;
    for (const auto& n : cfg.cluster.nodes) names += (names.empty() ? "" : ", ") + n.name;
    return print_error(exit_usage, "unknown_node",
                       o.config_file + " has no node '" + o.name + "' (it has " + names + ")");
  }
  if (o.data_dir.empty()) {
    if (!me->data_dir.empty()) {
      o.data_dir = me->data_dir;
    } else {
      auto choice = choose_data_dir(cfg.data_dir);
      if (choice.path.empty())
        return print_error(exit_usage, "no_data_dir",
                           "no data dir: give --data-dir, the node's data_dir or storage.data_dir, or set "
                           "XDG_DATA_HOME or HOME");
      o.data_dir = choice.path + "/cluster/" + me->name;
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path{o.data_dir}.parent_path(), ec);
  if (!me->has("edge")) return run_worker(o, cfg, *me);
  serve_options s;
  s.host = me->host;
  s.port = me->http_port;
  s.ws_port = me->ws_port;
  s.io_threads = cfg.edge.io_threads;
  s.token_file = cfg.edge.token_file;
  s.rate_limit = cfg.edge.rate_limit_per_s;
  s.data_dir = o.data_dir;
  s.config_file = o.config_file;
  s.cluster_node = me->name;
  return run_serve(s, cfg);
}

}  // namespace aragora::cli
