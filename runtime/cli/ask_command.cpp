#include <caf/all.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <variant>

#include "actors/agent/agent_spec.hpp"
#include "actors/agent/llm_options.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/actor/messages.hpp"
#include "actors/debate/receipt.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/signals.hpp"
#include "runtime/cli/storage_options.hpp"
#include "runtime/capacity/capacity.hpp"
#include "runtime/cli/terminal.hpp"
#include "runtime/node/local_node.hpp"

namespace aragora::cli {

namespace {

void usage_error(std::string_view code, std::string_view message) {
  print_error(exit_usage, code, message);
}

/// Builds and validates the debate spec, and sets the mock flags in `cfg` (they configure the
/// node's provider, not the debate); prints the error and returns nullopt when refused.
std::optional<debate::debate_spec> build_spec(const ask_options& o, const run_flags& flags,
                                              config::node_config& cfg) {
  auto spec = config::default_spec(cfg);
  spec.question = o.question;
  auto agents = agent::parse_agents(o.agents);
  if (!agents) {
    usage_error(agents.error().code_name(), agents.error().message);
    return std::nullopt;
  }
  spec.agents = std::move(agents).value();
  if (auto missing = agent::check_keys(spec.agents, cfg.llm)) {
    usage_error(missing->code_name(), missing->message);
    return std::nullopt;
  }
  spec.protocol = flags.protocol;
  if (o.consensus.empty()) {
    spec.consensus = debate::default_consensus(spec.protocol);
  } else if (auto c = debate::parse_consensus(o.consensus)) {
    spec.consensus = *c;
  } else {
    usage_error("bad_consensus", "unknown consensus method '" + o.consensus +
                                     "'; use majority, supermajority, unanimous, judge or none");
    return std::nullopt;
  }
  spec.early_stop = flags.early_stop;
  auto similarity = debate::parse_similarity(o.similarity);
  if (!similarity) {
    usage_error("bad_similarity", "unknown similarity '" + o.similarity + "'; use tfidf or jaccard");
    return std::nullopt;
  }
  spec.similarity = *similarity;
  // Every given number is checked by the settings table before its cast (the same check, code
  // and message as its YAML key); validate() checks the spec as a whole.
  using settings::id;
  if (!accepted(id::rounds, o.rounds) || !accepted(id::seed, o.seed) ||
      !accepted(id::mock_message_bytes, o.message_bytes) ||
      !accepted(id::mock_latency_ms, o.latency_ms) || !accepted(id::mock_fail_rate, o.fail_rate) ||
      !accepted(id::agent_timeout_ms, o.agent_timeout_ms) || !accepted(id::budget_usd, o.budget_usd))
    return std::nullopt;
  if (o.budget_usd) spec.budget_usd = *o.budget_usd;
  if (o.threshold) {
    auto t = settings::parse(id::consensus_threshold, *o.threshold);
    if (auto* r = std::get_if<settings::refusal>(&t)) {
      (void)accepted(*r);
      return std::nullopt;
    }
    spec.consensus_threshold = std::get<double>(std::get<settings::value>(t));
  }
  if (o.rounds) spec.rounds = static_cast<uint32_t>(*o.rounds);
  if (o.seed) spec.seed = static_cast<uint32_t>(*o.seed);
  if (o.message_bytes) cfg.mock.message_bytes = static_cast<uint32_t>(*o.message_bytes);
  if (o.latency_ms) cfg.mock.latency_ms = static_cast<uint32_t>(*o.latency_ms);
  if (o.agent_timeout_ms) {
    spec.agent_timeout = std::chrono::milliseconds{*o.agent_timeout_ms};
    // Deadlines fire on timer ticks: a shorter timeout could not be kept.
    if (spec.agent_timeout < cfg.timer_tick) {
      usage_error("bad_duration", "--agent-timeout-ms must be at least timer.tick_ms (" +
                                      std::to_string(cfg.timer_tick.count()) + ")");
      return std::nullopt;
    }
  }
  spec.context = o.context;
  if (!o.domain.empty()) spec.domain = o.domain;
  spec.requested_by = cli_actor();
  if (auto err = debate::validate(spec)) {
    usage_error(debate::to_string(err->code), err->message);
    return std::nullopt;
  }
  if (o.fail_rate) cfg.mock.fail_rate = *o.fail_rate;
  // One debate, with its whole result printed at the end.
  auto fp = capacity::estimate_footprint(spec, cfg.mock.message_bytes);
  if (!check_footprint(spec, cfg.mock.message_bytes, fp.running + fp.result,
                       capacity::memory_budget(cfg)))
    return std::nullopt;
  return spec;
}

/// The receipt file can be written: checked before the debate runs, not after. A file created by
/// the check is removed again, so a refused or failed debate leaves nothing behind.
bool receipt_writable(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NONBLOCK, 0644);
  bool created = fd >= 0;
  if (!created && errno == EEXIST)
    fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    usage_error("receipt_unwritable", "cannot write the receipt to " + path + ": " +
                                          std::strerror(errno));
    return false;
  }
  ::close(fd);
  if (created) ::unlink(path.c_str());
  return true;
}

}  // namespace

/// How long `ask` waits for the debate: every step waits at most the agent timeout and the grace,
/// a round has at most four steps and a judge one more, and storage may hold it for the hold limit.
std::chrono::milliseconds longest_debate(const debate::debate_spec& s, const config::node_config& cfg) {
  auto steps = int64_t{s.rounds} * 4 + 2;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      steps * (s.agent_timeout + cfg.phase_grace) + cfg.supervision.hold_limit);
}

int run_ask(const ask_options& o, const config::node_config& cfg) {
  auto flags = parse_run_flags(o.protocol, o.early_stop, o.storage);
  if (!flags) return exit_usage;
  auto node_cfg = cfg;  // with the mock flags
  auto spec = build_spec(o, *flags, node_cfg);
  if (!spec) return exit_usage;
  if (!o.receipt_file.empty() && !receipt_writable(o.receipt_file)) return exit_usage;
  if (o.timeout_ms && (*o.timeout_ms < 1 || *o.timeout_ms > 7 * 24 * 3600 * 1000LL))
    return print_error(exit_usage, "bad_duration", "--timeout-ms must be within 1..604800000");
  auto limit = o.timeout_ms ? std::chrono::milliseconds{*o.timeout_ms} : longest_debate(*spec, cfg);
  auto key = signing_key_from_env();
  if (!key) return print_error(exit_usage, key.error().code_name(), key.error().message);
  std::shared_ptr<storage::store> db;
  if (flags->durable) {
    db = open_store(o.data_dir, cfg, storage::open_mode::create);
    if (!db) return exit_failed;
  }

  node::local_node node{node_cfg, *key, db};
  // Ctrl-C cancels the debate: it ends `cancelled`, persisted and audited, and is not resumed.
  signal_action_scope on_signal{[&node](int signo) {
                                  (void)node.cancel_all(
                                      std::string{"interrupted by "} + signal_name(signo), "signal");
                                }};
  spec->id = node.next_debate_id();
  terminal_printer printer{std::cout, !o.json && stdout_wants_color()};

  debate::debate_finished done;
  {
    caf::scoped_actor self{node.system()};
    std::vector<caf::actor> subscribers;
    if (!o.json) subscribers.push_back(self);
    auto debate = node.start_debate(std::make_shared<const debate::debate_spec>(*spec), self,
                                    std::move(subscribers));
    (void)debate;
    // A debate actor that dies is restarted by its supervisor, or its owner (this) is told it
    // failed. Past the time limit the debate is cancelled; if even that goes unanswered, give up.
    auto deadline = std::chrono::steady_clock::now() + limit;
    bool finished = false;
    bool cancelled = false;
    while (!finished) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        if (cancelled) {
          done.error = "no result " + std::to_string(limit.count()) +
                       " ms after the debate was cancelled for its time limit";
          break;
        }
        cancelled = true;
        (void)node.cancel_all("timed out after " + std::to_string(limit.count()) + " ms", "cli");
        deadline = std::chrono::steady_clock::now() + std::min(limit, std::chrono::milliseconds{10'000});
        continue;
      }
      self->receive([&](debate::event_ptr& e) { printer.print(*e); },
                    [&](debate::debate_finished& f) {
                      done = std::move(f);
                      finished = true;
                    },
                    caf::after(left) >> [] {});
    }
    if (cancelled && !finished) return print_error(exit_failed, "debate_timeout", done.error);
    if (cancelled && done.machine) {
      v1::DebateResult result;
      debate::fill_result(*done.machine, &done.receipt, result);
      if (o.json) std::cout << debate::to_json(result) << "\n";
      return print_error(exit_failed, "debate_timeout",
                         "the debate did not end within " + std::to_string(limit.count()) +
                             " ms and was cancelled");
    }
  }
  if (!done.machine)
    return print_error(exit_failed, "debate_failed",
                       done.error.empty() ? "the debate failed" : done.error);

  v1::DebateResult result;
  debate::fill_result(*done.machine, &done.receipt, result);
  if (o.json)
    std::cout << debate::to_json(result) << "\n";
  else
    printer.print_result(result);

  if (!o.receipt_file.empty()) {
    std::ofstream out(o.receipt_file, std::ios::binary | std::ios::trunc);
    out << debate::to_json(debate::make_receipt(*done.machine, *key), true) << "\n";
    out.close();  // a write error (disk full) shows at the flush
    if (!out) return print_error(exit_failed, "receipt_unwritable", "cannot write " + o.receipt_file);
    if (!o.json) std::cout << "Receipt written to " << o.receipt_file << "\n";
  }
  return process_signals().exit_code(exit_ok);
}

}  // namespace aragora::cli
