// `aragora`: run debates on this machine (ask), check receipts (verify). The only place, with the
// rest of runtime/cli, that reads the environment.

#include <CLI/CLI.hpp>
#include <google/protobuf/stubs/common.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <variant>

#include "actors/agent/prompts.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/data_dir.hpp"
#include "runtime/cli/provider_env.hpp"
#include "runtime/cli/signals.hpp"
#include "runtime/config/config.hpp"
#include "runtime/base/settings/settings.hpp"

namespace {

// A flag's help from the settings table: meaning, range and default.
std::string flag_help(aragora::settings::id x) {
  const auto& s = aragora::settings::get(x);
  auto out = std::string{s.meaning} + "; " + aragora::settings::format_range(s);
  if (s.has_default) out += " (default " + aragora::settings::format_default(s) + ")";
  return out;
}

const std::string data_dir_help =
    "where debates are stored (default: storage.data_dir, else $XDG_DATA_HOME/aragora, else "
    "~/.local/share/aragora)";

}  // namespace

int main(int argc, char** argv) {
  using namespace aragora;
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  // Before any other thread starts: SIGINT and SIGTERM are taken by one waiting thread.
  (void)cli::process_signals();
  // A closed stdout (`| head`) makes writes fail with EPIPE, which is reported at exit
  // (stdout_unwritable), instead of killing the process in the middle of a debate.
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"aragora: multi-agent debates on an actor runtime"};
  app.set_version_flag("--version", "aragora " ARAGORA_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options (--config) also after the subcommand: `aragora serve --config F`
  std::string config_file;
  app.add_option("--config", config_file, "YAML file overriding the defaults")
      ->check(CLI::ExistingFile);

  cli::ask_options ask;
  auto* ask_cmd = app.add_subcommand("ask", "run one debate and print its verdict");
  ask_cmd->add_option("question", ask.question, "the question to debate")->required();
  ask_cmd->add_option("--agents,-a", ask.agents,
                      "comma-separated provider[:option[:name]] (mock styles: supportive, "
                      "critical, balanced, contrarian)");
  ask_cmd->add_option("--rounds,-r", ask.rounds, flag_help(settings::id::rounds));
  ask_cmd->add_option("--protocol", ask.protocol, "lite or full (default lite)");
  ask_cmd->add_option("--consensus,-c", ask.consensus,
                      "majority, supermajority, unanimous, judge, none (default: majority for "
                      "lite, judge for full)");
  ask_cmd->add_option("--early-stop", ask.early_stop, "stop on consensus (lite) or convergence "
                                                      "(full): on or off (default on)");
  ask_cmd->add_option("--similarity", ask.similarity, "convergence measure: tfidf or jaccard");
  ask_cmd->add_option("--threshold", ask.threshold,
                      flag_help(settings::id::consensus_threshold) + "; 2/3 is exact");
  ask_cmd->add_option("--seed", ask.seed, flag_help(settings::id::seed));
  ask_cmd->add_option("--budget-usd", ask.budget_usd, flag_help(settings::id::budget_usd));
  ask_cmd->add_option("--message-bytes", ask.message_bytes,
                      flag_help(settings::id::mock_message_bytes));
  ask_cmd->add_option("--latency-ms", ask.latency_ms, flag_help(settings::id::mock_latency_ms));
  ask_cmd->add_option("--fail-rate", ask.fail_rate, flag_help(settings::id::mock_fail_rate));
  ask_cmd->add_option("--agent-timeout-ms", ask.agent_timeout_ms,
                      flag_help(settings::id::agent_timeout_ms));
  ask_cmd->add_option("--timeout-ms", ask.timeout_ms,
                      "cancel the debate if it has not ended after this long (default: the "
                      "longest its rounds and timeouts allow)");
  ask_cmd->add_option("--context", ask.context, "prior knowledge given to every agent");
  ask_cmd->add_flag("--json", ask.json, "print the result as one JSON object");
  ask_cmd->add_option("--receipt", ask.receipt_file, "write the decision receipt to this file");
  ask_cmd->add_option("--storage", ask.storage, "rocksdb (default: persist to --data-dir) or memory");
  ask_cmd->add_option("--data-dir", ask.data_dir, data_dir_help);
  ask_cmd->add_option("--domain", ask.domain, "domain of the question, for per-domain ratings");

  cli::benchmark_options bench;
  auto* bench_cmd = app.add_subcommand("benchmark", "run many mock debates and measure them");
  bench_cmd->add_option("--debates,-n", bench.debates, flag_help(settings::id::benchmark_debates));
  bench_cmd->add_option("--concurrent,-c", bench.concurrent,
                        flag_help(settings::id::benchmark_concurrent));
  bench_cmd->add_option("--rounds,-r", bench.rounds, flag_help(settings::id::rounds));
  bench_cmd->add_option("--agents,-a", bench.agents, flag_help(settings::id::benchmark_agents));
  bench_cmd->add_option("--duration", bench.duration_s,
                        flag_help(settings::id::benchmark_duration_s));
  bench_cmd->add_option("--protocol", bench.protocol, "lite or full (default lite)");
  bench_cmd->add_option("--early-stop", bench.early_stop, "on or off (default off)");
  bench_cmd->add_option("--latency-ms", bench.latency_ms,
                        flag_help(settings::id::mock_latency_ms));
  bench_cmd->add_option("--message-bytes", bench.message_bytes,
                        flag_help(settings::id::mock_message_bytes));
  bench_cmd->add_option("--fail-rate", bench.fail_rate, flag_help(settings::id::mock_fail_rate));
  bench_cmd->add_option("--storage", bench.storage, "memory or rocksdb (default memory)");
  bench_cmd->add_option("--data-dir", bench.data_dir, data_dir_help);
  bench_cmd->add_option("--seed", bench.seed, "seed of the first debate; " +
                                                  flag_help(settings::id::seed));
  bench_cmd->add_flag("--json", bench.json, "print the report as one JSON object");
  bench_cmd->add_option("--endpoint", bench.endpoint,
                        "ws://HOST:PORT: run the debates on a running edge (a node or a cluster) "
                        "through the client library instead of in this process");
  bench_cmd->add_option("--token", bench.token, "the endpoint's token (default: ARAGORA_TOKEN)");

  cli::list_options list;
  auto* list_cmd =
      app.add_subcommand("list", "list the debates of a data dir, newest first, a page at a time");
  list_cmd->add_option("--limit,-n", list.limit, "debates per page, 1..1000 (default 50)");
  list_cmd->add_option("--offset", list.offset, "skip this many of the newest first (default 0)");
  list_cmd->add_option("--status", list.status,
                       "only debates that are running, completed, failed or cancelled");
  list_cmd->add_option("--data-dir", list.data_dir, data_dir_help);
  list_cmd->add_flag("--json", list.json, "print one JSON object");

  cli::history_options history;
  auto* show_cmd = app.add_subcommand("show", "print one stored debate: transcript and result");
  auto* resume_cmd =
      app.add_subcommand("resume", "continue every unfinished debate of a data dir and wait");
  auto* audit_cmd = app.add_subcommand("audit", "who started, cancelled and resumed which debate");
  show_cmd->add_option("id", history.id, "debate id (see 'aragora list')")->required();
  for (auto* cmd : {show_cmd, resume_cmd, audit_cmd}) {
    cmd->add_option("--data-dir", history.data_dir, data_dir_help);
    cmd->add_flag("--json", history.json, "print one JSON object");
  }

  cli::leaderboard_options leaders;
  auto* leaders_cmd = app.add_subcommand("leaderboard", "agent ratings (ELO) of a data dir");
  leaders_cmd->add_option("--data-dir", leaders.data_dir, data_dir_help);
  leaders_cmd->add_option("--domain", leaders.domain, "rank by this domain's ratings");
  leaders_cmd->add_flag("--json", leaders.json, "print one JSON object");

  cli::doctor_options doctor;
  auto* doctor_cmd = app.add_subcommand(
      "doctor", "check that every record of a data dir reads and every debate log replays");
  doctor_cmd->add_option("--data-dir", doctor.data_dir, data_dir_help);
  doctor_cmd->add_flag("--json", doctor.json, "print one JSON object");
  doctor_cmd->add_flag("--salvage", doctor.salvage,
                       "open a store whose WAL is damaged: keep what precedes the damage (the "
                       "WAL is copied aside first) and mark running debates failed");

  cli::backup_options backup;
  auto* backup_cmd = app.add_subcommand(
      "backup", "back a data dir up into a backup directory (incremental), or list its backups");
  backup_cmd->add_option("--data-dir", backup.data_dir, data_dir_help);
  backup_cmd->add_option("--out", backup.out, "the backup directory (created if missing)");
  backup_cmd->add_option("--keep", backup.keep, "keep the newest N backups there (default 0: all)");
  backup_cmd->add_flag("--list", backup.list, "list the backups of --out");
  backup_cmd->add_flag("--json", backup.json, "print one JSON object");

  cli::restore_options restore;
  auto* restore_cmd = app.add_subcommand(
      "restore", "restore a backup into an empty data dir (every file checked first)");
  restore_cmd->add_option("--from", restore.from, "the backup directory");
  restore_cmd->add_option("--id", restore.id, "the backup to restore (default: the newest)");
  restore_cmd->add_option("--data-dir", restore.data_dir, "an empty or new directory");
  restore_cmd->add_flag("--json", restore.json, "print one JSON object");

  cli::serve_options serve;
  auto* serve_cmd = app.add_subcommand(
      "serve", "serve the HTTP API, the WebSocket event stream and the web page");
  serve_cmd->add_option("--host", serve.host, "address to listen on (default 127.0.0.1; any "
                                              "other needs --token-file)");
  serve_cmd->add_option("--port", serve.port, "HTTP port, also serving /ws (default 8080)");
  serve_cmd->add_option("--ws-port", serve.ws_port, "a second port serving /ws (default 8765)");
  serve_cmd->add_option("--workers", serve.workers,
                        "worker processes (default 1): worker i listens on port + i and ws-port + "
                        "i, with data dir DIR/worker-i; a worker that dies is restarted");
  serve_cmd->add_option("--io-threads", serve.io_threads, "threads serving the sockets (default 4)");
  serve_cmd->add_option("--token-file", serve.token_file,
                        "bearer tokens, one per line: name role token (roles: read, write, admin)");
  serve_cmd->add_option("--data-dir", serve.data_dir, data_dir_help);
  // Hidden (no group): what `serve --workers N` tells its workers.
  serve_cmd->add_flag("--as-worker", serve.as_worker)->group("");
  serve_cmd->add_option("--worker-budget-bytes", serve.worker_budget_bytes)->group("");

  auto* hash_token_cmd = app.add_subcommand(
      "hash-token", "read a bearer token on stdin, print its SHA-256 for edge.tokens in YAML");
  serve_cmd->add_option("--rate-limit", serve.rate_limit,
                        "requests per second per client (token, else address), in bursts of up to " +
                            std::to_string(defaults::edge_rate_limit_burst) + "; 0 = no limit (default " +
                            std::to_string(static_cast<int>(defaults::edge_rate_limit_per_s)) + ")");

  cli::node_options node;
  auto* node_cmd = app.add_subcommand(
      "node", "run one node of a cluster file (--config FILE): the edge, or a worker that joins it");
  node_cmd->add_option("--name", node.name, "the node of cluster.nodes this process is");
  node_cmd->add_flag("--list", node.list,
                     "print the file's nodes, one per line: name, roles (a,b), host, actor port, HTTP "
                     "port, WebSocket port (0: none), tab-separated; for scripts/cluster-up");
  node_cmd->add_option("--data-dir", node.data_dir,
                       "its store (default: the node's data_dir, else the default data dir + /cluster/NAME)");

  cli::verify_options verify;
  auto* verify_cmd = app.add_subcommand("verify", "check a decision receipt (exit 0 valid, 1 not)");
  verify_cmd->add_option("receipt", verify.receipt_file, "receipt JSON file")->required();
  verify_cmd->add_option("--result", verify.result_file,
                         "also check every field of this result JSON against the receipt");

  auto* config_cmd = app.add_subcommand("config", "the settings: defaults and limits");
  config_cmd->require_subcommand(1);
  auto* defaults_cmd = config_cmd->add_subcommand(
      "defaults", "print every setting at its default as YAML, with its range and meaning (this "
                  "is cluster-config/single-node.yaml)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return cli::print_error(cli::exit_usage, "bad_usage",
                            std::string{e.what()} + "\nrun 'aragora --help' for usage");
  }

  serve.config_file = config_file;  // its workers read the same file
  config::node_config cfg;
  if (!config_file.empty()) {
    auto loaded = config::load_config(config_file);
    if (!loaded) {
      // A value the settings table refused reads as its flag's refusal does; anything else
      // (a cluster file's node, an unknown key, bad YAML) names the file.
      const auto& e = loaded.error();
      bool table = !e.setting_code.empty() && e.setting_code != "config_bad_cluster";
      return cli::print_error(cli::exit_usage, e.code_name(), table ? e.message : config_file + ": " + e.message);
    }
    cfg = std::move(loaded).value();
  }
  cli::apply_provider_env(cfg.llm, [](const char* name) { return std::getenv(name); });
  if (auto t = agent::templates_with(cfg.llm.prompts); !t)
    return cli::print_error(cli::exit_usage, t.error().code_name(), t.error().message);
  if (*serve_cmd) {
    // edge.* of the configuration, unless the command line says otherwise.
    auto given = [&](const char* flag) { return serve_cmd->count(flag) > 0; };
    if (!given("--host")) serve.host = cfg.edge.host;
    if (!given("--port")) serve.port = cfg.edge.port;
    if (!given("--ws-port")) serve.ws_port = cfg.edge.ws_port;
    if (!given("--io-threads")) serve.io_threads = cfg.edge.io_threads;
    if (!given("--token-file")) serve.token_file = cfg.edge.token_file;
    if (!given("--rate-limit")) serve.rate_limit = cfg.edge.rate_limit_per_s;
  }
  if (*defaults_cmd) {
    std::cout << settings::example_yaml();
    auto why = cli::stdout_error();
    return why ? cli::print_error(cli::exit_failed, "stdout_unwritable",
                                  "cannot write the output: " + *why)
               : cli::exit_ok;
  }
  // The command's data dir: --data-dir, else storage.data_dir, else $XDG_DATA_HOME/aragora or
  // ~/.local/share/aragora.
  std::string* dir = nullptr;
  bool creates = false;  // opens a store it may create
  if (*ask_cmd) {
    dir = &ask.data_dir;
    creates = ask.storage == "rocksdb";
  } else if (*bench_cmd) {
    dir = &bench.data_dir;
    creates = bench.storage == "rocksdb";
  } else if (*serve_cmd) {
    dir = &serve.data_dir;
    creates = true;
  } else if (*leaders_cmd) {
    dir = &leaders.data_dir;
  } else if (*doctor_cmd) {
    dir = &doctor.data_dir;
  } else if (*backup_cmd && !backup.list) {
    dir = &backup.data_dir;
  } else if (*list_cmd) {
    dir = &list.data_dir;
  } else if (*show_cmd || *resume_cmd || *audit_cmd) {
    dir = &history.data_dir;
  }
  bool opens_store = dir && ((!*ask_cmd && !*bench_cmd && !*serve_cmd) || creates);
  if (dir && dir->empty()) {
    auto choice = cli::choose_data_dir(cfg.data_dir);
    if (opens_store && choice.path.empty())
      return cli::print_error(cli::exit_usage, "no_data_dir",
                              "no data dir: give --data-dir or storage.data_dir, or set "
                              "XDG_DATA_HOME or HOME");
    // A store created in the default place: ~/.local/share may not exist yet.
    if (creates && choice.derived)
      if (auto why = cli::create_parents(choice.path))
        return cli::print_error(cli::exit_failed, "data_dir_unwritable", *why);
    *dir = choice.path;
  }

  int rc = cli::exit_usage;
  try {
    if (*ask_cmd)
      rc = cli::run_ask(ask, cfg);
    else if (*hash_token_cmd)
      rc = cli::run_hash_token();
    else if (*verify_cmd)
      rc = cli::run_verify(verify);
    else if (*serve_cmd)
      rc = cli::run_serve(serve, cfg);
    else if (*node_cmd) {
      if (config_file.empty())
        rc = cli::print_error(cli::exit_usage, "bad_usage", "aragora node needs --config FILE (a cluster file)");
      else {
        node.config_file = config_file;
        rc = cli::run_node(node, cfg);
      }
    }
    else if (*bench_cmd) {
      if (const char* t = std::getenv("ARAGORA_TOKEN"); t && bench.token.empty()) bench.token = t;
      rc = cli::run_benchmark(bench, cfg);
    }
    else if (*list_cmd)
      rc = cli::run_list(list, cfg);
    else if (*show_cmd)
      rc = cli::run_show(history, cfg);
    else if (*resume_cmd)
      rc = cli::run_resume(history, cfg);
    else if (*audit_cmd)
      rc = cli::run_audit(history, cfg);
    else if (*leaders_cmd)
      rc = cli::run_leaderboard(leaders, cfg);
    else if (*doctor_cmd)
      rc = cli::run_doctor(doctor, cfg);
    else if (*backup_cmd)
      rc = cli::run_backup(backup, cfg);
    else if (*restore_cmd)
      rc = cli::run_restore(restore);
  } catch (const std::bad_alloc&) {
    rc = cli::print_error(cli::exit_failed, "out_of_memory", "the command ran out of memory");
  } catch (const std::exception& e) {
    rc = cli::print_error(cli::exit_failed, "internal_error", e.what());
  }
  // A result that did not reach stdout (a full disk, a closed pipe) is a failure, not a success.
  if (auto why = cli::stdout_error(); why && rc == cli::exit_ok)
    rc = cli::print_error(cli::exit_failed, "stdout_unwritable", "cannot write the output: " + *why);
  google::protobuf::ShutdownProtobufLibrary();
  return rc;
}
