// `aragora benchmark`: N mock debates, C at a time, measured against the capacity guide.

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "actors/agent/mock_provider.hpp"
#include "actors/debate/codec.hpp"
#include "runtime/capacity/capacity.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/signals.hpp"
#include "runtime/cli/storage_options.hpp"
#include "runtime/cli/terminal.hpp"
#include "bench/loadgen/load_driver.hpp"
#include "bench/loadgen/process_stats.hpp"
#include "bench/loadgen/report.hpp"
#include "runtime/node/local_node.hpp"

namespace aragora::cli {

namespace {

int usage(std::string_view code, const std::string& message) {
  return print_error(exit_usage, code, message);
}

std::vector<debate::agent_spec> mock_agents(size_t n) {
  // Styles cycle as in the Python reference's benchmark (supportive, critical, balanced,
  // contrarian).
  std::vector<debate::agent_spec> out;
  for (size_t i = 0; i < n; ++i) {
    std::string style{agent::to_string(static_cast<agent::mock_style>(i % 4))};
    auto name = i < 4 ? style : style + "-" + std::to_string(i / 4 + 1);
    out.push_back({std::move(name), "mock", std::move(style)});
  }
  return out;
}

/// Draws "[####....] 523/1000  2,103 debates/s  ETA 0.2 s" on stderr, in place.
class progress_bar {
public:
  progress_bar(const loadgen::load_progress& p, uint64_t total, double duration_s)
      : p_(p), total_(total), duration_s_(duration_s),
        start_(std::chrono::steady_clock::now()) {}

  void draw() {
    auto done = p_.finished.load(std::memory_order_relaxed);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double rate = elapsed > 0 ? done / elapsed : 0;
    double fraction = duration_s_ > 0 ? std::min(1.0, elapsed / duration_s_)
                                      : (total_ ? static_cast<double>(done) / total_ : 1.0);
    double eta = duration_s_ > 0 ? std::max(0.0, duration_s_ - elapsed)
                                 : (rate > 0 ? (total_ - done) / rate : 0);
    constexpr int width = 30;
    int filled = static_cast<int>(fraction * width);
    std::string bar(filled, '#');
    bar.append(width - filled, '.');
    std::fprintf(stderr, "\r[%s] %llu%s  %.0f debates/s  %u in flight  ETA %.1f s   ",
                 bar.c_str(), static_cast<unsigned long long>(done),
                 duration_s_ > 0 ? "" : ("/" + std::to_string(total_)).c_str(), rate,
                 p_.in_flight.load(std::memory_order_relaxed), eta);
    std::fflush(stderr);
    drawn_ = true;
  }

  void clear() {
    if (drawn_) std::fprintf(stderr, "\r%*s\r", 100, "");
  }

private:
  const loadgen::load_progress& p_;
  uint64_t total_;
  double duration_s_;
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
};

}  // namespace

int run_benchmark(const benchmark_options& o, const config::node_config& cfg) {
  // The settings table checks every given number before the casts below (the same check, code
  // and message as ask's flags and the YAML keys); validate() checks the spec as a whole.
  using settings::id;
  if (!accepted(settings::check(id::benchmark_debates, o.debates)) ||
      !accepted(id::benchmark_concurrent, o.concurrent) ||
      !accepted(settings::check(id::benchmark_agents, o.agents)) ||
      !accepted(id::rounds, o.rounds) || !accepted(id::benchmark_duration_s, o.duration_s) ||
      !accepted(id::seed, o.seed) || !accepted(id::mock_latency_ms, o.latency_ms) ||
      !accepted(id::mock_message_bytes, o.message_bytes) ||
      !accepted(id::mock_fail_rate, o.fail_rate))
    return exit_usage;
  if (!o.endpoint.empty()) return run_remote_benchmark(o, cfg);
  auto flags = parse_run_flags(o.protocol, o.early_stop, o.storage);
  if (!flags) return exit_usage;

  auto spec = config::default_spec(cfg);
  spec.id = "benchmark";
  spec.question = "Should we adopt Kubernetes for our internal services?";
  spec.agents = mock_agents(static_cast<size_t>(o.agents));
  spec.protocol = flags->protocol;
  spec.consensus = debate::default_consensus(flags->protocol);
  spec.early_stop = flags->early_stop;
  // Unset: the configured defaults default_spec() filled in.
  if (o.rounds) spec.rounds = static_cast<uint32_t>(*o.rounds);
  if (o.seed) spec.seed = static_cast<uint32_t>(*o.seed);
  spec.requested_by = "benchmark";
  if (auto err = debate::validate(spec)) return usage(debate::to_string(err->code), err->message);
  auto templ = std::make_shared<const debate::debate_spec>(std::move(spec));
  // The mock flags configure the node's provider.
  auto bench_cfg = cfg;
  // Unset: the configured mock.* settings.
  if (o.latency_ms) bench_cfg.mock.latency_ms = static_cast<uint32_t>(*o.latency_ms);
  if (o.message_bytes) bench_cfg.mock.message_bytes = static_cast<uint32_t>(*o.message_bytes);
  if (o.fail_rate) bench_cfg.mock.fail_rate = *o.fail_rate;
  // The benchmark measures the debate engine and its store: no memory recall per debate.
  bench_cfg.memory_enabled = false;

  uint64_t debates = static_cast<uint64_t>(o.debates);
  uint64_t concurrent = o.concurrent ? static_cast<uint64_t>(*o.concurrent) : debates;
  if (!o.duration_s) concurrent = std::min(concurrent, debates);
  // Memory admission: a given --concurrent that does not fit is refused (the run would not be
  // the one asked for); the default "all at once" runs as many at once as fit, the rest queued.
  // The benchmark's debates report a summary: they let go of their texts step by step.
  auto per_debate =
      capacity::estimate_footprint(*templ, bench_cfg.mock.message_bytes, capacity::text_hold::step_by_step).running;
  auto budget = capacity::memory_budget(cfg);
  if (!check_footprint(*templ, bench_cfg.mock.message_bytes, per_debate, budget)) return exit_usage;
  auto fit = capacity::debates_that_fit(budget, per_debate);
  if (concurrent > fit) {
    auto why = std::to_string(fit) + " debates of about " + capacity::mib_text(per_debate) +
               " fit the memory budget of " + capacity::mib_text(budget) +
               " (runtime.memory_budget_mb)";
    if (o.concurrent)
      return usage("memory_budget_exceeded",
                   "--concurrent " + std::to_string(concurrent) + " is too many: " + why);
    std::cerr << "note: running " << fit << " debates at a time instead of " << concurrent
              << ": " << why << "\n";
    concurrent = fit;
  }

  v1::BenchmarkConfig config;
  config.set_debates(static_cast<uint32_t>(debates));
  config.set_concurrent(static_cast<uint32_t>(concurrent));
  config.set_rounds(templ->rounds);
  config.set_agents(static_cast<uint32_t>(templ->agents.size()));
  config.set_duration_s(o.duration_s.value_or(0));
  config.set_protocol(std::string{debate::to_string(templ->protocol)});
  config.set_early_stop(templ->early_stop);
  config.set_latency_ms(bench_cfg.mock.latency_ms);
  config.set_message_bytes(bench_cfg.mock.message_bytes);
  config.set_fail_rate(bench_cfg.mock.fail_rate);
  config.set_storage(o.storage);
  config.set_warmup_debates(cfg.benchmark_warmup);

  std::shared_ptr<storage::store> db;
  if (flags->durable) {
    db = open_store(o.data_dir, cfg, storage::open_mode::create);
    if (!db) return exit_failed;
  }
  auto warm_progress = std::make_shared<loadgen::load_progress>();
  auto progress = std::make_shared<loadgen::load_progress>();
  node::local_node node{bench_cfg, std::nullopt, db};
  // Ctrl-C stops launching and cancels the debates in flight (persisted as cancelled, so a
  // later resume does not run them); the report covers what ran.
  signal_action_scope on_signal{[&node, warm_progress, progress](int signo) {
                                  warm_progress->stop = true;
                                  progress->stop = true;
                                  (void)node.cancel_all(
                                      std::string{"interrupted by "} + signal_name(signo), "signal");
                                }};
  bool show_progress = isatty(STDERR_FILENO) == 1;

  // Warm-up: threads, pools and allocator arenas exist before anything is measured. Its debates
  // are never stored or rated: with a data dir they run on a node of their own, in memory.
  if (cfg.benchmark_warmup > 0) {
    loadgen::load_plan warm{templ, cfg.benchmark_warmup,
                            static_cast<uint32_t>(std::min<uint64_t>(concurrent, cfg.benchmark_warmup)),
                            std::nullopt};
    if (db) {
      node::local_node scratch{bench_cfg};
      (void)loadgen::run_load(scratch, warm, warm_progress);
    } else {
      (void)loadgen::run_load(node, warm, warm_progress);
    }
  }
  node.reset_peak_queue_depth();
  auto baseline_rss = loadgen::current_rss_bytes();
  uint64_t puts_before = db ? db->stats().puts : 0;
  uint64_t bytes_before = db ? db->stats().bytes : 0;
  auto cpu_before = loadgen::process_cpu_time();

  loadgen::load_plan plan{templ, debates, static_cast<uint32_t>(concurrent), std::nullopt};
  if (o.duration_s)
    plan.duration = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(*o.duration_s));
  progress_bar bar{*progress, debates, o.duration_s.value_or(0)};
  loadgen::rss_sampler sampler{std::chrono::milliseconds{5}};
  auto result = loadgen::run_load(node, plan, progress, [&] {
    if (show_progress) bar.draw();
  });
  auto peak_rss = sampler.stop();
  auto cpu = loadgen::process_cpu_time() - cpu_before;
  if (show_progress) bar.clear();

  loadgen::report_inputs in;
  in.config = config;
  in.result = &result;
  in.baseline_rss = baseline_rss;
  in.peak_rss = peak_rss;
  in.total_memory = loadgen::total_memory_bytes();
  in.cpu = cpu;
  in.peak_queue_depth = node.peak_queue_depth();
  if (db) {
    in.storage_ops = db->stats().puts - puts_before;
    in.storage_bytes = db->stats().bytes - bytes_before;
  }
  in.alerts = cfg.alerts;
  auto report = loadgen::make_report(in);
  if (o.json)
    std::cout << debate::to_json(report) << "\n";
  else
    loadgen::print_report(std::cout, report, stdout_wants_color());
  // The report counts them as failed; the run itself did not go as asked.
  if (result.aborted > 0)
    return print_error(exit_failed, "debate_failed",
                       std::to_string(result.aborted) + " debates failed with an internal error; " +
                           "the first: " + result.first_abort);
  return process_signals().exit_code(exit_ok);
}

}  // namespace aragora::cli
