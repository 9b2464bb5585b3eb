#pragma once
// The `aragora` subcommands. Each returns the process exit code.

#include <optional>
#include <string>
#include <string_view>

#include "actors/debate/receipt.hpp"
#include "actors/debate/types.hpp"
#include "runtime/config/config.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/base/settings/settings.hpp"

namespace aragora::cli {

/// Exit codes shared by every subcommand.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;  // the command ran and the answer is "no" (e.g. invalid)
inline constexpr int exit_usage = 2;   // bad flags or input: nothing was done

/// Prints `error: <code>: <message>` on stderr and returns `exit_code`.
int print_error(int exit_code, std::string_view code, std::string_view message);

/// The receipt signing key of ARAGORA_RECEIPT_SIGNING_KEY (debate::parse_signing_key).
[[nodiscard]] debate::signing_key_result signing_key_from_env();

/// The flags `ask` and `benchmark` share.
struct run_flags {
  debate::protocol_kind protocol;
  bool early_stop;
  bool durable;  // --storage rocksdb
};

/// Parses them; prints the first refused one (bad_protocol, bad_early_stop, bad_storage) and
/// returns nullopt.
[[nodiscard]] std::optional<run_flags> parse_run_flags(std::string_view protocol,
                                                       std::string_view early_stop,
                                                       std::string_view storage);

/// A value the settings table accepts; otherwise prints its refusal (the same code and message
/// as the YAML key's) and returns false.
[[nodiscard]] bool accepted(const std::optional<settings::refusal>& refused);
template <class T>
[[nodiscard]] bool accepted(settings::id x, const std::optional<T>& given) {
  return !given || accepted(settings::check(x, *given));
}

/// `needed` bytes (capacity::estimate_footprint) fit the memory budget; otherwise prints
/// memory_budget_exceeded and returns false.
[[nodiscard]] bool check_footprint(const debate::debate_spec& spec, uint32_t message_bytes,
                                   uint64_t needed, uint64_t budget);

// Unset numbers take the configured default; a given one is range-checked, never ignored.
struct ask_options {
  std::string question;
  std::string agents = defaults::debate_agents;
  std::optional<int64_t> rounds;
  std::string protocol = "lite";
  std::string consensus;  // empty = majority for lite, judge for full
  std::string early_stop = "on";
  std::string similarity = "tfidf";
  std::optional<std::string> threshold;  // a decimal or a fraction ("2/3")
  std::optional<double> budget_usd;
  std::optional<int64_t> seed;
  std::optional<int64_t> message_bytes;
  std::optional<int64_t> latency_ms;
  std::optional<double> fail_rate;
  std::optional<int64_t> agent_timeout_ms;
  std::optional<int64_t> timeout_ms;  // the whole debate; unset = the longest it can take
  std::string context;
  bool json = false;
  std::string receipt_file;
  std::string storage = "rocksdb";
  std::string data_dir;  // main fills in the configured or default one when not given
  std::string domain;    // empty = general
};

[[nodiscard]] int run_ask(const ask_options& o, const config::node_config& cfg);

struct serve_options {
  std::string host = defaults::edge_host;
  int64_t port = defaults::edge_port;
  std::optional<int64_t> ws_port = defaults::edge_ws_port;
  int64_t workers = 1;
  int64_t io_threads = defaults::edge_io_threads;
  std::string token_file;
  std::string data_dir;  // main fills in the configured or default one when not given
  std::string config_file;  // --config, passed on to workers
  // Set by `serve --workers N` on its workers (hidden flags): a worker ignores a repeated
  // SIGTERM, and its memory budget is its share of the node's.
  bool as_worker = false;
  int64_t worker_budget_bytes = 0;
  // Requests per second per client (per token, or per address without one); 0 = no limit.
  // Benchmarks from one address need it off: the default would answer 429 past 50/s.
  double rate_limit = defaults::edge_rate_limit_per_s;
  // Set by `aragora node` on a cluster's edge: the node of cluster.nodes this process is.
  std::string cluster_node;
};

[[nodiscard]] int run_serve(const serve_options& o, const config::node_config& cfg);

/// `aragora node --config FILE --name NODE`: one node of a cluster file.
struct node_options {
  std::string name;
  std::string data_dir;     // --data-dir; else the node's data_dir; else the default dir + /NAME
  std::string config_file;
  bool list = false;
};

[[nodiscard]] int run_node(node_options o, const config::node_config& cfg);

/// `aragora hash-token`: the token is read from stdin (an argument would show in `ps`).
[[nodiscard]] int run_hash_token();

struct verify_options {
  std::string receipt_file;
  std::string result_file;  // optional: check the transcript against the receipt
};

[[nodiscard]] int run_verify(const verify_options& o);

// Unset numbers take the configured default (a YAML file's mock.latency_ms, say).
struct benchmark_options {
  int64_t debates = defaults::benchmark_debates;
  std::optional<int64_t> concurrent;  // unset = all at once, as far as the memory budget allows
  std::optional<int64_t> rounds;
  int64_t agents = defaults::benchmark_agents;
  std::optional<double> duration_s;  // unset = off
  std::string protocol = "lite";
  std::string early_stop = "off";
  std::optional<int64_t> latency_ms;
  std::optional<int64_t> message_bytes;
  std::optional<double> fail_rate;
  std::string storage = "memory";
  std::string data_dir;  // main fills in the configured or default one when not given
  std::optional<int64_t> seed;
  bool json = false;
  std::string endpoint;  // ws://HOST:PORT: drive a running edge through the client library
  std::string token;     // for the endpoint (--token, else ARAGORA_TOKEN)
};

[[nodiscard]] int run_benchmark(const benchmark_options& o, const config::node_config& cfg);
/// run_benchmark with an endpoint (remote_benchmark.cpp).
[[nodiscard]] int run_remote_benchmark(const benchmark_options& o, const config::node_config& cfg);

struct history_options {
  std::string data_dir;  // main fills in the configured or default one when not given
  std::string id;
  bool json = false;
};

struct list_options {
  std::string data_dir;  // main fills in the configured one (./data) when not given
  std::optional<int64_t> limit;   // unset = defaults::list_limit
  std::optional<int64_t> offset;  // unset = 0
  std::string status;             // empty = every status
  bool json = false;
};

[[nodiscard]] int run_list(const list_options& o, const config::node_config& cfg);
[[nodiscard]] int run_show(const history_options& o, const config::node_config& cfg);
[[nodiscard]] int run_resume(const history_options& o, const config::node_config& cfg);

struct leaderboard_options {
  std::string data_dir;  // main fills in the configured or default one when not given
  std::string domain;
  bool json = false;
};

[[nodiscard]] int run_leaderboard(const leaderboard_options& o, const config::node_config& cfg);

[[nodiscard]] int run_audit(const history_options& o, const config::node_config& cfg);

struct doctor_options {
  std::string data_dir;  // main fills in the configured or default one when not given
  bool json = false;
  bool salvage = false;  // open a store with a damaged WAL by recovering up to the damage
};

struct backup_options {
  std::string data_dir;  // main fills in the configured or default one when not given
  std::string out;       // the backup directory
  int64_t keep = 0;      // keep the newest N backups there (0: all)
  bool list = false;     // list the backups of `out` instead
  bool json = false;
};

/// Backs a store no process holds up into `out` (incremental); or lists `out`'s backups.
[[nodiscard]] int run_backup(const backup_options& o, const config::node_config& cfg);

struct restore_options {
  std::string from;      // the backup directory
  std::optional<int64_t> id;
  std::string data_dir;  // an empty or new directory
  bool json = false;
};

/// Restores a backup (checked file by file first) into an empty directory.
[[nodiscard]] int run_restore(const restore_options& o);

/// Reads every record and replays every debate log; exit 0 healthy, 1 problems found.
[[nodiscard]] int run_doctor(const doctor_options& o, const config::node_config& cfg);

/// Who runs this command, for the audit log: "cli:<user>".
[[nodiscard]] std::string cli_actor();

/// Flushes stdout; why a write of the output failed, if one did.
[[nodiscard]] std::optional<std::string> stdout_error();

/// The content of a regular file of at most `max_bytes`; otherwise prints
/// `error: <code>: <message>` (file_not_found, not_a_regular_file, file_too_large, unreadable)
/// and returns nullopt.
[[nodiscard]] std::optional<std::string> read_input_file(const std::string& path,
                                                         size_t max_bytes);

}  // namespace aragora::cli
