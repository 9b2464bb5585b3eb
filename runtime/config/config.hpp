#pragma once
// Node configuration: the named defaults of runtime/base/defaults.hpp, overridable from a YAML file.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/agent/llm_options.hpp"
#include "actors/agent/mock_options.hpp"
#include "actors/debate/machine.hpp"
#include "actors/debate/types.hpp"
#include "runtime/base/error/error.hpp"
#include "runtime/base/settings/settings.hpp"
#include "storage/column_families.hpp"

namespace aragora::config {

/// The capacity guide's warning / critical thresholds.
struct alert_thresholds {
  double debate_duration_warn_s;
  double debate_duration_crit_s;
  double queue_depth_warn;
  double queue_depth_crit;
  double memory_warn_pct;
  double memory_crit_pct;
};

/// A bearer token of the configuration (edge.tokens): its SHA-256, never the token. The edge
/// checks the name, role and digest when it loads them (net/edge/auth/token_store).
struct token_entry {
  std::string name;
  std::string role;
  std::string sha256;
};

/// `aragora serve` (net/edge): the flags' values when the command line does not give them.
struct edge_config {
  std::string host;
  uint16_t port;
  uint16_t ws_port;
  uint32_t io_threads;
  std::string token_file;
  double rate_limit_per_s;
  uint32_t rate_limit_burst;
  std::string cors_origin;  // empty: CORS off
  std::vector<token_entry> tokens;
};

/// One node of a cluster file (cluster.nodes; cluster-config/local-3-node.yaml).
struct cluster_node {
  std::string name;
  std::string host = "127.0.0.1";
  uint16_t actor_port = 0;  // CAF's middleman (BASP)
  uint16_t http_port = 0;   // edges: the API, the page, /metrics
  uint16_t ws_port = 0;     // edges: the WebSocket stream
  std::vector<std::string> roles;  // edge, worker, journal, ranking
  std::string data_dir;     // empty: the CLI's default data dir + "/cluster/" + name
  int line = 0;             // where the file names it, for messages

  [[nodiscard]] bool has(std::string_view role) const;
};

/// The cluster a node belongs to; no nodes: a single node (`aragora serve`).
struct cluster_config {
  std::vector<cluster_node> nodes;
  std::chrono::milliseconds heartbeat_interval{defaults::heartbeat_interval};
  std::chrono::milliseconds heartbeat_timeout{defaults::heartbeat_timeout};
  uint32_t replication_factor = defaults::replication_factor;

  [[nodiscard]] const cluster_node* find(std::string_view name) const;
  /// The node holding the edge and the journal (a valid file has exactly one).
  [[nodiscard]] const cluster_node* edge() const;
};

/// Restarts, probes and write deadlines (runtime/supervision, the debate actor).
struct supervision_config {
  std::chrono::milliseconds restart_base{defaults::restart_base};
  std::chrono::milliseconds restart_cap{defaults::restart_cap};
  std::chrono::milliseconds stable_after{defaults::restart_stable_after};
  uint32_t breaker_failures = defaults::restart_breaker_failures;
  std::chrono::milliseconds breaker_recovery{defaults::restart_breaker_recovery};
  std::chrono::milliseconds probe_interval{defaults::probe_interval};
  std::chrono::milliseconds probe_timeout{defaults::probe_timeout};
  std::chrono::milliseconds write_timeout{defaults::write_timeout};
  std::chrono::milliseconds hold_limit{defaults::write_hold_limit};
};

struct node_config {
  // Defaults for new debates (each debate may override its own).
  uint32_t rounds;
  double consensus_threshold;
  double budget_usd;  // 0 = none
  double convergence_threshold;
  uint32_t max_judges;
  std::chrono::milliseconds agent_timeout;
  std::chrono::milliseconds phase_grace;
  uint32_t seed;
  agent::mock_options mock;  // the node's mock provider, not part of a debate
  agent::llm_options llm;    // the real providers (YAML providers.*, the CLI adds the environment)
  debate::machine_options machine;
  // Runtime.
  std::chrono::milliseconds timer_tick;
  uint32_t timer_slots;
  uint32_t scheduler_threads;  // 0 = one per core
  std::string scheduler_policy;  // CAF: "stealing" or "sharing"
  uint32_t agent_workers;      // 0 = one per scheduler thread
  uint64_t memory_budget_bytes;  // 0 = derived from the machine (runtime/capacity)
  double memory_budget_fraction;
  alert_thresholds alerts;
  uint32_t benchmark_warmup;   // debates run before `aragora benchmark` measures
  // Memory.
  bool memory_enabled;
  uint32_t recall_k;
  // Ranking.
  double elo_initial;
  double elo_k;
  uint32_t calibration_min;
  // Storage.
  std::string data_dir;  // empty: the CLI picks the platform default (runtime/cli)
  storage::retention_policy retention;
  std::chrono::milliseconds sweep_interval;
  uint32_t db_breaker_failures;
  std::chrono::milliseconds db_breaker_recovery;
  uint64_t storage_min_free_bytes;
  std::string backup_dir;  // empty: data_dir + "-backups"
  uint32_t backup_keep;
  // Supervision; the fault-injection hook is for tests (local_node::faults()).
  supervision_config supervision;
  bool fault_injection = false;
  bool stream_deltas = false;  // token deltas for subscribers (serve sets it; not in YAML)
  edge_config edge;
  cluster_config cluster;

  /// Everything at its default.
  node_config();
};

/// Stable codes of configuration errors.
enum class config_errc : uint8_t {
  unreadable = 1,
  malformed,
  unknown_key,
  bad_value,
  too_large,
  duplicate_key,
  invalid_utf8,
};

[[nodiscard]] std::string_view to_string(config_errc x);

/// error<config_errc> and, for a value the settings table refused, the stable code it has there
/// (rounds_out_of_range, bad_threshold, ... or config_bad_value), the same its CLI flag is refused
/// with.
struct config_error : error<config_errc> {
  config_error(config_errc c, std::string m, std::string_view setting = {})
      : error<config_errc>{c, std::move(m)}, setting_code(setting) {}
  std::string_view setting_code;
  /// The code to print: the setting's own for a refused value, else to_string(code).
  [[nodiscard]] std::string_view code_name() const {
    return setting_code.empty() ? error<config_errc>::code_name() : setting_code;
  }
};

/// A node_config or the config_error that refused it.
using config_result = expected<node_config, config_errc, config_error>;

/// The code to print: e.code_name().
[[nodiscard]] std::string_view code_of(const config_error& e);

/// Overrides the defaults with one YAML document. Unknown keys, keys given twice, extra documents
/// and text that is not UTF-8 are errors, so typos are caught; values are range-checked, alone and
/// against each other (the timer tick against the timeouts).
[[nodiscard]] config_result parse_config(std::string_view yaml);
/// The same from a regular file of at most defaults::max_config_bytes.
[[nodiscard]] config_result load_config(const std::string& path);

/// The value of a YAML setting as the table reads it (the unit of its key: ms, days, MiB...);
/// nullopt for a setting without a YAML key.
[[nodiscard]] std::optional<settings::value> setting_value(settings::id x, const node_config& c);

/// A debate spec pre-filled with the configured defaults.
[[nodiscard]] debate::debate_spec default_spec(const node_config& cfg);

}  // namespace aragora::config
