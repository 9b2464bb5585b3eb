// `aragora serve`: the node behind the HTTP + WebSocket edge, until SIGINT or SIGTERM. In-flight
// debates are left as they are on disk (every completed step is), and the next start resumes
// them.

#include <filesystem>
#include <caf/all.hpp>

#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <mutex>

#include "net/edge/auth/rate_limiter.hpp"
#include "net/edge/auth/role.hpp"
#include "net/edge/auth/token_store.hpp"
#include "net/edge/server.hpp"
#include "net/edge/stream_hub.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/base/metrics/exposition.hpp"
#include "runtime/base/metrics/metrics.hpp"
#include "runtime/capacity/capacity.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/serve_workers.hpp"
#include "runtime/cli/signals.hpp"
#include "runtime/cli/storage_options.hpp"
#include "runtime/node/cluster_edge.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/node/node_backend.hpp"
#include "runtime/node/node_gauges.hpp"

namespace aragora::cli {

namespace {

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" ||
         host.rfind("127.", 0) == 0;
}

}  // namespace

int run_hash_token() {
  std::string token;
  std::getline(std::cin, token);
  if (!token.empty() && token.back() == '\r') token.pop_back();
  if (token.size() < defaults::edge_min_token_chars)
    return print_error(exit_usage, "token_too_short",
                       "a token has at least " + std::to_string(defaults::edge_min_token_chars) +
                           " characters (e.g. openssl rand -hex 24)");
  for (unsigned char c : token)
    if (c <= 0x20 || c >= 0x7f)
      return print_error(exit_usage, "bad_token_chars", "a token is visible ASCII, without spaces");
  std::cout << edge::hash_token(token) << std::endl;
  std::fill(token.begin(), token.end(), '\0');
  return exit_ok;
}

int run_serve(const serve_options& o, const config::node_config& configured) {
  edge::token_store tokens;
  for (const auto& t : configured.edge.tokens) {
    auto r = edge::parse_role(t.role);
    if (!r)
      return print_error(exit_usage, "config_bad_tokens",
                         "edge.tokens entry '" + t.name + "': role is read, write or admin");
    if (auto err = tokens.add_hashed(t.name, *r, t.sha256))
      return print_error(exit_usage, err->code_name(), "edge.tokens: " + err->message);
  }
  if (!o.token_file.empty())
    if (auto err = tokens.load_file(o.token_file))
      return print_error(exit_usage, err->code_name(), err->message);
  if (tokens.empty() && !loopback(o.host))
    return print_error(exit_usage, "tokens_required",
                       "refusing to listen on " + o.host +
                           " without tokens: anyone who reaches it could start and cancel "
                           "debates; give --token-file FILE, or listen on 127.0.0.1");
  if (o.workers < 1 || o.workers > defaults::edge_max_workers)
    return print_error(exit_usage, "bad_workers",
                       "--workers is 1.." + std::to_string(defaults::edge_max_workers) + ", got " +
                           std::to_string(o.workers));
  // Worker i listens on port + i and ws-port + i: the last one must be a port too.
  auto last = o.workers - 1;
  if (o.port < 0 || o.port + (o.port ? last : 0) > 65535 ||
      (o.ws_port && (*o.ws_port < 0 || *o.ws_port + (*o.ws_port ? last : 0) > 65535)))
    return print_error(exit_usage, "bad_port",
                       "ports are 0..65535, and with --workers N so is port + N - 1");
  if (o.workers > 1 && o.port != 0 && o.ws_port && *o.ws_port != o.port &&
      *o.ws_port < o.port + o.workers && o.port < *o.ws_port + o.workers)
    return print_error(exit_usage, "bad_port",
                       "the workers' HTTP ports and WebSocket ports overlap: with --workers " +
                           std::to_string(o.workers) + " they take " + std::to_string(o.workers) +
                           " consecutive ports each");
  if (const auto& origin = configured.edge.cors_origin; !origin.empty()) {
    // An origin is scheme://host[:port], nothing after: a path or a list would never match.
    auto scheme = origin.find("://");
    bool well_formed = origin == "*" ||
                       ((origin.rfind("http://", 0) == 0 || origin.rfind("https://", 0) == 0) &&
                        origin.find_first_of("/ ,", scheme + 3) == std::string::npos &&
                        origin.size() > scheme + 3);
    if (!well_formed)
      return print_error(exit_usage, "config_bad_value",
                         "edge.cors_origin is * or one origin such as https://app.example (no "
                         "path, no list), got '" + origin + "'");
    if (origin == "*" && tokens.empty())
      return print_error(exit_usage, "cors_needs_tokens",
                         "edge.cors_origin: * without tokens would let any web page the user "
                         "visits start and cancel debates here; configure tokens or name the origin");
  }
  if (!(o.rate_limit >= 0))
    return print_error(exit_usage, "bad_rate_limit", "--rate-limit is requests per second, 0 or more");
  if (o.io_threads < 1 || o.io_threads > 64)
    return print_error(exit_usage, "config_bad_value",
                       "--io-threads is 1..64, got " + std::to_string(o.io_threads));
  if (o.workers > 1) return run_serve_workers(o, capacity::memory_budget(configured));
  auto cfg = configured;
  cfg.stream_deltas = true;  // the WebSocket clients and the page show replies as they come
  if (o.worker_budget_bytes > 0) cfg.memory_budget_bytes = static_cast<uint64_t>(o.worker_budget_bytes);
  if (o.as_worker) process_signals().ignore_repeated_sigterm(true);
  auto key = signing_key_from_env();
  if (!key) return print_error(exit_usage, key.error().code_name(), key.error().message);
  auto db = open_store(o.data_dir, cfg, storage::open_mode::create);
  if (!db) return exit_failed;

  edge::server_options opts;
  opts.host = o.host;
  opts.port = static_cast<uint16_t>(o.port);
  if (o.ws_port && *o.ws_port != o.port) opts.ws_port = static_cast<uint16_t>(*o.ws_port);
  opts.io_threads = static_cast<uint32_t>(std::max<int64_t>(1, o.io_threads));
  opts.cors_origin = cfg.edge.cors_origin;
  edge::rate_limiter limiter{{o.rate_limit, cfg.edge.rate_limit_burst}};

  const auto* me = o.cluster_node.empty() ? nullptr : cfg.cluster.find(o.cluster_node);
  node::cluster_role role;
  if (me) {
    role.network = true;
    role.heartbeat = cfg.cluster.heartbeat_interval;
    role.connection_timeout = cfg.cluster.heartbeat_timeout;
  }
  node::local_node node{cfg, *key, db, role};
  edge::stream_hub hub;
  auto backend_cfg = cfg;
  backend_cfg.data_dir = o.data_dir;  // the one this node opened (the configured one or the default)
  if (backend_cfg.backup_dir.empty()) {
    // Beside the data dir ("data/." and "data/" are "data"), never inside it.
    auto dir = std::filesystem::absolute(o.data_dir).lexically_normal();
    if (!dir.has_filename()) dir = dir.parent_path();
    backend_cfg.backup_dir = dir.string() + "-backups";
  }
  node::node_backend backend{node, db, hub, std::move(backend_cfg)};
  std::unique_ptr<node::cluster_edge> cluster;
  std::vector<std::string> resumed;
  if (me) {
    auto started = node::cluster_edge::start(node, db, backend, hub, cfg, *me);
    if (!started.ok()) return print_error(exit_failed, started.error().code_name(), started.error().message);
    cluster = std::move(started).value();
    resumed = cluster->unfinished();
  } else {
    resumed = backend.resume();
  }
  edge::server srv{opts, backend, hub, {&tokens, &limiter}, [&backend, &cluster, me, dir = o.data_dir] {
                     if (!cluster) {
                       backend.refresh_gauges(dir);
                       return metrics::default_registry().render();
                     }
                     // Workers serve no HTTP: their metrics, as their heartbeats carried them, from
                     // the same answer as the debates in flight.
                     auto status = cluster->status(true);
                     size_t running = 0;
                     std::vector<metrics::node_exposition> workers;
                     for (auto& n : status.nodes) {
                       running += n.debates_in_flight;
                       if (!n.metrics.empty()) workers.push_back({std::move(n.name), std::move(n.metrics)});
                     }
                     backend.refresh_gauges(dir, running);
                     auto own = metrics::default_registry().render();
                     return metrics::merge_by_node(
                         own, me->name, workers,
                         {std::begin(node::cluster_wide_families), std::end(node::cluster_wide_families)});
                   }};
  if (auto err = srv.start()) return print_error(exit_failed, "cannot_listen", *err);

  std::mutex mtx;
  std::condition_variable cv;
  int stop_signal = 0;
  signal_action_scope on_signal{[&](int signo) {
    std::lock_guard<std::mutex> lock{mtx};
    stop_signal = signo;
    cv.notify_all();
  }};
  auto base = "http://" + o.host + ":" + std::to_string(srv.port());
  if (me)
    std::cout << "aragora node " << me->name << ": edge of " << cfg.cluster.nodes.size()
              << " nodes, workers join at " << me->host << ":" << cluster->actor_port() << "; ";
  std::cout << "aragora serve: API " << base << "/api/v1, web page " << base << "/, WebSocket ws://"
            << o.host << ":" << srv.port() << "/ws";
  if (srv.ws_port() != 0) std::cout << " and ws://" << o.host << ":" << srv.ws_port() << "/ws";
  std::cout << ", data dir " << o.data_dir << (tokens.empty() ? ", no tokens (loopback only)" : "")
            << std::endl;
  if (!resumed.empty())
    std::cout << "resumed " << resumed.size() << " unfinished debate" << (resumed.size() == 1 ? "" : "s")
              << std::endl;
  {
    std::unique_lock<std::mutex> lock{mtx};
    cv.wait(lock, [&] { return stop_signal != 0; });
  }
  std::cout << "aragora serve: " << signal_name(stop_signal)
            << (o.cluster_node.empty() ? ": stopping; running debates resume at the next start"
                                       : ": stopping; the workers keep their debates and rejoin at the next start")
            << std::endl;
  srv.stop();
  cluster.reset();
  return exit_ok;
}

}  // namespace aragora::cli
