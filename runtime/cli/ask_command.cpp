#include <caf/all.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <variant>

#include "actors/agent/agent_spec.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/messages.hpp"
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
  if (auto* err = std::get_if<agent::agent_error>(&agents)) {
    usage_error(agent::to_string(err->code), err->message);
    return std::nullopt;
  }
  spec.agents = std::get<std::vector<debate::agent_spec>>(std::move(agents));
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
  // Every given number is range-checked before its cast; validate() checks the spec's limits.
  if (o.rounds) {
    if (*o.rounds < defaults::min_rounds || *o.rounds > defaults::max_rounds) {
      usage_error(debate::to_string(debate::spec_errc::rounds_out_of_range),
                  "rounds must be within " + std::to_string(defaults::min_rounds) + ".." +
                      std::to_string(defaults::max_rounds) + ", got " + std::to_string(*o.rounds));
      return std::nullopt;
    }
    spec.rounds = static_cast<uint32_t>(*o.rounds);
  }
  if (o.threshold) spec.consensus_threshold = *o.threshold;
  if (o.seed) {
    if (!check_seed(*o.seed)) return std::nullopt;
    spec.seed = static_cast<uint32_t>(*o.seed);
  }
  constexpr int64_t max_ms = std::chrono::milliseconds{defaults::max_duration}.count();
  if (o.message_bytes && (*o.message_bytes < 0 || *o.message_bytes > defaults::max_mock_message_bytes)) {
    usage_error("bad_count", "--message-bytes must be within 0.." +
                                 std::to_string(defaults::max_mock_message_bytes));
    return std::nullopt;
  }
  auto bad_ms = [&](const std::optional<int64_t>& v) { return v && (*v < 0 || *v > max_ms); };
  if (bad_ms(o.latency_ms) || bad_ms(o.agent_timeout_ms)) {
    usage_error("bad_duration",
                "--latency-ms and --agent-timeout-ms must be within 0.." + std::to_string(max_ms));
    return std::nullopt;
  }
  if (o.message_bytes) cfg.mock.message_bytes = static_cast<uint32_t>(*o.message_bytes);
  if (o.latency_ms) cfg.mock.latency_ms = static_cast<uint32_t>(*o.latency_ms);
  if (o.agent_timeout_ms) {
    spec.agent_timeout = std::chrono::milliseconds{*o.agent_timeout_ms};
    // Deadlines fire on timer ticks: a shorter timeout could not be kept.
    if (*o.agent_timeout_ms > 0 && spec.agent_timeout < cfg.timer_tick) {
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
  if (o.fail_rate) {
    if (!agent::valid_fail_rate(*o.fail_rate)) {
      usage_error(debate::to_string(debate::spec_errc::bad_fail_rate),
                  "the fail rate must be within 0..1");
      return std::nullopt;
    }
    cfg.mock.fail_rate = *o.fail_rate;
  }
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

int run_ask(const ask_options& o, const config::node_config& cfg) {
  auto flags = parse_run_flags(o.protocol, o.early_stop, o.storage);
  if (!flags) return exit_usage;
  auto node_cfg = cfg;  // with the mock flags
  auto spec = build_spec(o, *flags, node_cfg);
  if (!spec) return exit_usage;
  if (!o.receipt_file.empty() && !receipt_writable(o.receipt_file)) return exit_usage;
  auto key = debate::signing_key_from_env();
  if (!key.error.empty()) return print_error(exit_usage, "bad_signing_key", key.error);
  std::shared_ptr<storage::store> db;
  if (flags->durable) {
    db = open_store(o.data_dir, cfg, storage::open_mode::create);
    if (!db) return exit_failed;
  }

  node::local_node node{node_cfg, key.key, db};
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
    // A debate actor that dies without reporting (it failed, and so did its report) must not
    // leave this loop waiting.
    self->monitor(debate);
    bool finished = false;
    self->receive_while([&] { return !finished; })(
        [&](debate::event_ptr& e) { printer.print(*e); },
        [&](debate::debate_finished& f) {
          done = std::move(f);
          finished = true;
        },
        [&](caf::down_msg& d) {
          done.error = "the debate actor stopped without a result: " + caf::to_string(d.reason);
          finished = true;
        });
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
    out << debate::to_json(debate::make_receipt(*done.machine, key.key), true) << "\n";
    out.close();  // a write error (disk full) shows at the flush
    if (!out) return print_error(exit_failed, "receipt_unwritable", "cannot write " + o.receipt_file);
    if (!o.json) std::cout << "Receipt written to " << o.receipt_file << "\n";
  }
  return process_signals().exit_code(exit_ok);
}

}  // namespace aragora::cli
