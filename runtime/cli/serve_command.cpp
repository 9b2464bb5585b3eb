// `aragora serve`: the node behind the HTTP + WebSocket edge, until SIGINT or SIGTERM. In-flight
// debates are left as they are on disk (every completed step is), and the next start resumes
// them.

#include <caf/all.hpp>

#include <condition_variable>
#include <iostream>
#include <mutex>

#include "net/edge/auth/rate_limiter.hpp"
#include "net/edge/auth/token_store.hpp"
#include "net/edge/server.hpp"
#include "net/edge/stream_hub.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/signals.hpp"
#include "runtime/cli/storage_options.hpp"
#include "runtime/node/local_node.hpp"
#include "runtime/node/node_backend.hpp"

namespace aragora::cli {

namespace {

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" ||
         host.rfind("127.", 0) == 0;
}

}  // namespace

int run_serve(const serve_options& o, const config::node_config& cfg) {
  edge::token_store tokens;
  if (!o.token_file.empty())
    if (auto err = tokens.load_file(o.token_file))
      return print_error(exit_usage, err->code_name(), err->message);
  if (tokens.empty() && !loopback(o.host))
    return print_error(exit_usage, "tokens_required",
                       "refusing to listen on " + o.host +
                           " without tokens: anyone who reaches it could start and cancel "
                           "debates; give --token-file FILE, or listen on 127.0.0.1");
  if (!(o.rate_limit >= 0))
    return print_error(exit_usage, "bad_rate_limit", "--rate-limit is requests per second, 0 or more");
  if (o.port < 0 || o.port > 65535 || (o.ws_port && (*o.ws_port < 0 || *o.ws_port > 65535)))
    return print_error(exit_usage, "bad_port", "ports are 0..65535");
  auto key = signing_key_from_env();
  if (!key) return print_error(exit_usage, key.error().code_name(), key.error().message);
  auto db = open_store(o.data_dir, cfg, storage::open_mode::create);
  if (!db) return exit_failed;

  edge::server_options opts;
  opts.host = o.host;
  opts.port = static_cast<uint16_t>(o.port);
  if (o.ws_port && *o.ws_port != o.port) opts.ws_port = static_cast<uint16_t>(*o.ws_port);
  opts.io_threads = static_cast<uint32_t>(std::max<int64_t>(1, o.io_threads));
  edge::rate_limit_options limits;
  limits.per_second = o.rate_limit;
  edge::rate_limiter limiter{limits};

  node::local_node node{cfg, *key, db};
  edge::stream_hub hub;
  node::node_backend backend{node, db, hub, cfg};
  auto resumed = backend.resume();
  edge::server srv{opts, backend, hub, {&tokens, &limiter}};
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
            << ": stopping; running debates resume at the next start" << std::endl;
  srv.stop();
  return exit_ok;
}

}  // namespace aragora::cli
