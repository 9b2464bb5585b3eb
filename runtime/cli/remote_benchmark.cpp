// `aragora benchmark --endpoint ws://HOST:PORT`: the same workload and report as the in-process
// benchmark, driven through the client library against a running edge (one node or a cluster).

#include <algorithm>
#include <unistd.h>

#include <condition_variable>
#include <iostream>
#include <mutex>

#include "aragora/v1/debate.pb.h"
#include "bench/loadgen/load_driver.hpp"
#include "bench/loadgen/process_stats.hpp"
#include "bench/loadgen/report.hpp"
#include "actors/agent/mock_provider.hpp"
#include "actors/debate/codec.hpp"
#include "net/client/client.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/signals.hpp"
#include "runtime/cli/terminal.hpp"

namespace aragora::cli {

namespace {

using steady = std::chrono::steady_clock;

std::string agents_json(int64_t n) {
  // As the in-process benchmark names them: styles cycle supportive, critical, balanced, contrarian.
  std::string out = "[";
  for (int64_t i = 0; i < n; ++i) {
    std::string style{agent::to_string(static_cast<agent::mock_style>(i % 4))};
    auto name = i < 4 ? style : style + "-" + std::to_string(i / 4 + 1);
    out += (i ? ",\"mock:" : "\"mock:") + style + ":" + name + "\"";
  }
  return out + "]";
}

/// Keeps `concurrent` debates in flight through the client until `debates` have ended (or the
/// duration has passed), timing each from its create call to its debate_end.
class remote_driver {
public:
  remote_driver(std::vector<std::unique_ptr<client::client>>& clients, std::string request_prefix, uint32_t seed0, uint64_t debates,
                uint32_t concurrent, std::optional<steady::duration> duration,
                std::shared_ptr<loadgen::load_progress> progress)
      : clients_(clients), prefix_(std::move(request_prefix)), seed0_(seed0), debates_(debates),
        concurrent_(concurrent), duration_(duration), progress_(std::move(progress)) {}

  loadgen::load_result run(const std::function<void()>& on_tick) {
    started_ = steady::now();
    {
      std::lock_guard<std::mutex> lock{mtx_};
      for (uint32_t i = 0; i < concurrent_; ++i) launch_locked();
    }
    std::unique_lock<std::mutex> lock{mtx_};
    while (!(in_flight_ == 0 && !may_launch_locked())) {
      cv_.wait_for(lock, std::chrono::milliseconds{100});
      if (progress_->stop.load() && in_flight_ == 0) break;
      lock.unlock();
      if (on_tick) on_tick();
      lock.lock();
    }
    result_.wall = steady::now() - started_;
    return result_;
  }

private:
  [[nodiscard]] bool may_launch_locked() const {
    if (progress_->stop.load()) return false;
    if (duration_) return steady::now() - started_ < *duration_;
    return launched_ < debates_;
  }

  void launch_locked() {
    if (!may_launch_locked()) return;
    auto index = launched_++;
    ++in_flight_;
    result_.peak_in_flight = std::max(result_.peak_in_flight, in_flight_);
    progress_->in_flight.store(in_flight_);
    auto body = prefix_ + ",\"seed\":" + std::to_string(seed0_ + index) + "}";
    auto t0 = steady::now();
    auto& c = *clients_[index % clients_.size()];
    c.start_debate_async(std::move(body), [this, t0, &c](client::result<std::string> id) {
      if (!id) {
        // Creates that every later one would repeat (no token, a bad request, no such route):
        // the run stops rather than spin through them for its whole duration.
        auto code = id.error().code;
        if (code == client::client_errc::unauthorised || code == client::client_errc::bad_endpoint ||
            code == client::client_errc::protocol ||
            (code == client::client_errc::refused && id.error().status >= 400 &&
             id.error().status < 500 && id.error().status != 429))
          progress_->stop.store(true);
        return ended(t0, std::nullopt, std::nullopt, id.error().message);
      }
      auto first = std::make_shared<std::optional<steady::time_point>>();
      auto status = std::make_shared<std::optional<v1::Status::Value>>();
      client::stream_handlers h;
      h.on_event = [first, status](const v1::Event& e) {
        if (!*first && e.type() == v1::EventType::agent_message) *first = steady::now();
        if (e.has_end()) *status = e.end().status();
      };
      h.on_end = [this, t0, first, status](client::result<client::stream_summary> s) {
        if (!s) return ended(t0, *first, std::nullopt, s.error().message);
        // A stream that ended without a debate_end payload did not show how the debate went.
        ended(t0, *first, *status, *status ? std::string{} : "the stream ended without the debate's result");
      };
      c.follow(*id, 0, std::move(h));
    });
  }

  void ended(steady::time_point t0, std::optional<steady::time_point> first,
             std::optional<v1::Status::Value> status, const std::string& error) {
    auto now = steady::now();
    std::lock_guard<std::mutex> lock{mtx_};
    --in_flight_;
    progress_->in_flight.store(in_flight_);
    progress_->finished.fetch_add(1);
    bool ok = status && *status != v1::Status::failed && *status != v1::Status::cancelled;
    if (ok) {
      ++result_.completed;
      if (*status == v1::Status::consensus_reached) ++result_.consensus;
    } else {
      ++result_.failed;
      if (!status) {
        ++result_.aborted;  // never started, or its stream broke: the run did not go as asked
        if (result_.first_abort.empty()) result_.first_abort = error;
      }
    }
    result_.latency.record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - t0).count()));
    if (first)
      result_.first_event.record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(*first - t0).count()));
    launch_locked();
    cv_.notify_all();
  }

  std::vector<std::unique_ptr<client::client>>& clients_;
  std::string prefix_;
  uint32_t seed0_;
  uint64_t debates_;
  uint32_t concurrent_;
  std::optional<steady::duration> duration_;
  std::shared_ptr<loadgen::load_progress> progress_;
  std::mutex mtx_;
  std::condition_variable cv_;
  steady::time_point started_{};
  uint64_t launched_ = 0;
  uint32_t in_flight_ = 0;
  loadgen::load_result result_;
};

}  // namespace

int run_remote_benchmark(const benchmark_options& o, const config::node_config& cfg) {
  // The mock agents' options are the nodes' configuration (YAML mock.*), not a debate's: one
  // latency per provider is what lets the mock batch its timers. Refused rather than ignored.
  if (o.latency_ms || o.message_bytes || o.fail_rate)
    return print_error(exit_usage, "mock_option_remote",
                       "--latency-ms, --message-bytes and --fail-rate configure the mock agents of the "
                       "process that runs them; with --endpoint the workers run them: set mock.latency_ms, "
                       "mock.message_bytes and mock.fail_rate in the cluster file before scripts/cluster-up");
  if (o.storage != "memory")
    return print_error(exit_usage, "storage_remote",
                       "--storage belongs to the in-process benchmark; the cluster's nodes keep their own stores");
  auto flags = parse_run_flags(o.protocol, o.early_stop, o.storage);
  if (!flags) return exit_usage;
  auto base = config::default_spec(cfg);
  auto rounds = o.rounds ? static_cast<uint32_t>(*o.rounds) : base.rounds;
  uint32_t seed0 = o.seed ? static_cast<uint32_t>(*o.seed) : base.seed;
  std::string prefix = "{\"task\":\"Should we adopt Kubernetes for our internal services?\",\"agents\":" +
                       agents_json(o.agents) + ",\"rounds\":" + std::to_string(rounds) +
                       ",\"protocol\":\"" + std::string{debate::to_string(flags->protocol)} +
                       "\",\"early_stop\":" + (flags->early_stop ? "true" : "false");

  client::options co;
  co.endpoint = o.endpoint;
  co.token = o.token;
  co.max_pending_calls = 1u << 20;
  uint64_t debates = static_cast<uint64_t>(o.debates);
  uint64_t concurrent = o.concurrent ? static_cast<uint64_t>(*o.concurrent) : debates;
  if (!o.duration_s) concurrent = std::min(concurrent, debates);
  // A connection follows at most client::max_follows debates (the edge's limit), and the edge
  // answers one connection's calls one after the other (a cluster's create waits for its worker):
  // the creates spread over up to 8 connections, as a web front's would.
  uint64_t connections = std::max<uint64_t>({(concurrent + client::max_follows - 1) / client::max_follows,
                                             std::min<uint64_t>(concurrent, defaults::remote_benchmark_connections),
                                             1});
  std::vector<std::unique_ptr<client::client>> clients;
  for (uint64_t i = 0; i < connections; ++i) {
    clients.push_back(std::make_unique<client::client>(co));
    if (auto ok = clients.back()->connect(); !ok)
      return print_error(ok.code() == client::client_errc::bad_endpoint ? exit_usage : exit_failed,
                         std::string{"endpoint_"} + std::string{to_string(ok.code())}, ok.error().message);
  }

  v1::BenchmarkConfig config;
  config.set_debates(static_cast<uint32_t>(debates));
  config.set_concurrent(static_cast<uint32_t>(concurrent));
  config.set_rounds(rounds);
  config.set_agents(static_cast<uint32_t>(o.agents));
  config.set_duration_s(o.duration_s.value_or(0));
  config.set_protocol(std::string{debate::to_string(flags->protocol)});
  config.set_early_stop(flags->early_stop);
  config.set_storage("remote " + o.endpoint);

  auto progress = std::make_shared<loadgen::load_progress>();
  signal_action_scope on_signal{[progress](int) { progress->stop = true; }};
  std::optional<steady::duration> duration;
  if (o.duration_s)
    duration = std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(*o.duration_s));
  remote_driver driver{clients, prefix, seed0, debates, static_cast<uint32_t>(concurrent), duration, progress};
  loadgen::rss_sampler sampler{std::chrono::milliseconds{5}};
  auto baseline_rss = loadgen::current_rss_bytes();
  auto cpu_before = loadgen::process_cpu_time();
  auto result = driver.run({});
  auto peak_rss = sampler.stop();

  loadgen::report_inputs in;
  in.config = config;
  in.result = &result;
  in.baseline_rss = baseline_rss;
  in.peak_rss = peak_rss;
  in.total_memory = loadgen::total_memory_bytes();
  in.cpu = loadgen::process_cpu_time() - cpu_before;
  in.alerts = cfg.alerts;
  auto report = loadgen::make_report(in);
  if (o.json) {
    std::cout << debate::to_json(report) << "\n";
  } else {
    loadgen::print_report(std::cout, report, stdout_wants_color());
    std::cout << "(memory and CPU above are this client's; the nodes report theirs on /metrics)\n";
  }
  if (result.aborted > 0)
    return print_error(exit_failed, "debate_failed",
                       std::to_string(result.aborted) + " debates did not run to their end through the endpoint; " +
                           "the first: " + result.first_abort);
  return process_signals().exit_code(exit_ok);
}

}  // namespace aragora::cli
