#pragma once
// The one table of the runtime's settings: for each, its YAML key, CLI flag, default, accepted
// range, unit, the stable code it is refused with, and a line of meaning. The numbers themselves
// are the named constants of runtime/base/defaults.hpp; limits only validation needs are written here
// once. The YAML loader (runtime/config), the CLI flags (runtime/cli) and the HTTP API check a
// value with check() / parse() below, so a limit is checked by one function and refused with the
// same code and message wherever the value came from. `aragora config defaults` prints the table
// as the example file cluster-config/single-node.yaml.
//
// A leaf: no dependency on the rest of the runtime.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace aragora::settings {

enum class value_kind : uint8_t {
  integer,
  real,
  share,  // a real in [0, 1]: a decimal or an exact fraction ("2/3")
  boolean,
  text,   // free text, or one of `choices`
};

enum class id : uint8_t {
  // debate.*
  rounds,
  consensus_threshold,
  supermajority_threshold,
  min_participation,
  participation_ratio,
  convergence_threshold,
  divergence_threshold,
  max_judges,
  agent_timeout_ms,
  phase_grace_ms,
  seed,
  budget_usd,
  compression,
  summariser,
  // receipt.*
  approve_confidence,
  review_confidence,
  // mock.* (the mock provider)
  mock_message_bytes,
  mock_latency_ms,
  mock_fail_rate,
  // timer.*
  timer_tick_ms,
  timer_wheel_slots,
  // runtime.*
  scheduler_threads,
  scheduler_policy,
  agent_workers,
  cli_max_running,
  memory_budget_mb,
  memory_budget_fraction,
  // alerts.*
  alert_debate_duration_warn_s,
  alert_debate_duration_crit_s,
  alert_queue_depth_warn,
  alert_queue_depth_crit,
  alert_memory_warn_pct,
  alert_memory_crit_pct,
  // benchmark.*
  benchmark_warmup_debates,
  // storage.*
  data_dir,
  sweep_interval_s,
  db_breaker_failures,
  db_breaker_recovery_s,
  min_free_mb,
  backup_dir,
  backup_keep,
  write_timeout_ms,
  hold_limit_s,
  retention_debates_days,
  retention_critiques_days,
  retention_evidence_days,
  retention_consensus_days,
  retention_audit_days,
  // memory.*
  memory_enabled,
  recall_k,
  memory_fast_retention_hours,
  memory_medium_retention_hours,
  memory_slow_retention_hours,
  memory_glacial_retention_hours,
  // ranking.*
  elo_initial,
  elo_k,
  calibration_min_predictions,
  // supervision.*
  restart_base_ms,
  restart_cap_ms,
  restart_stable_after_ms,
  restart_breaker_failures,
  restart_breaker_recovery_ms,
  probe_interval_ms,
  probe_timeout_ms,
  // cluster.* (aragora node; the nodes themselves are cluster.nodes, read by runtime/config)
  cluster_heartbeat_interval_ms,
  cluster_heartbeat_timeout_ms,
  cluster_replication_factor,
  // edge.* (aragora serve; a flag given on the command line wins)
  edge_host,
  edge_port,
  edge_ws_port,
  edge_io_threads,
  edge_token_file,
  edge_rate_limit_per_s,
  edge_rate_limit_burst,
  edge_cors_origin,
  // Limits of a request, not configurable in YAML.
  question_chars,
  benchmark_debates,
  benchmark_concurrent,
  benchmark_agents,
  benchmark_duration_s,
};

inline constexpr size_t count = static_cast<size_t>(id::benchmark_duration_s) + 1;

struct setting {
  id which;
  std::string_view name;     // in messages: "consensus threshold"
  std::string_view key;      // YAML key; empty = not configurable in YAML
  std::string_view flag;     // CLI flag; empty = none
  value_kind kind;
  bool has_default;          // false: unset means something else, said by `meaning`
  double def;                // numbers; booleans as 0 / 1
  std::string_view def_text;  // text settings
  double min;
  double max;
  bool min_open;             // the range excludes min: (min, ...
  bool max_open;             // ... max)
  std::string_view unit;     // "ms", "s", "MiB", ... or empty
  std::string_view code;     // stable code of a refused value
  std::string_view meaning;  // one line
  std::string_view choices;  // text: the accepted values, '|'-separated; empty = any text
};

/// Every setting, in the order of `id` (and of the example file).
[[nodiscard]] std::span<const setting> all();
[[nodiscard]] const setting& get(id x);
/// The setting of a YAML key, or nullptr.
[[nodiscard]] const setting* find_key(std::string_view key);

/// A refused value: the setting's stable code and a message naming the setting (its YAML key
/// and CLI flag), the accepted range and the value given.
struct refusal {
  std::string_view code;
  std::string message;
};

/// Range checks of a value already read as a number. Integer settings take whole numbers only.
[[nodiscard]] std::optional<refusal> check(id x, int64_t v);
[[nodiscard]] std::optional<refusal> check(id x, double v);

using value = std::variant<int64_t, double, bool, std::string>;

/// The refusal of a value that is not even of the setting's kind (a YAML list for a number).
[[nodiscard]] refusal refuse(id x, std::string_view got);

/// Reads a value from text (a YAML scalar, a CLI or HTTP argument) as the setting's kind and
/// checks its range. Integers: decimal digits. Reals: a decimal number; shares also "a/b" with
/// whole a and b, which gives exactly a/b as a double (2/3 == 2.0 / 3.0). Booleans:
/// true/false/yes/no/on/off. A value that does not read is refused like one out of range.
[[nodiscard]] std::variant<value, refusal> parse(id x, std::string_view text);

/// A number as text: the shortest decimal that reads back as the same double; a share that
/// needs more than 6 decimals and is an exact fraction of a small denominator as "n/d".
[[nodiscard]] std::string format_number(const setting& s, double v);
/// The default as text ("3", "0.6", "2/3", "true", "sharing"); empty without one.
[[nodiscard]] std::string format_default(const setting& s);
/// "1..12", "(0, 1]", "stealing|sharing", "true|false" (with the unit, if any).
[[nodiscard]] std::string format_range(const setting& s);

/// The example configuration: every YAML setting at its default, with its range and meaning.
/// cluster-config/single-node.yaml is this text (`aragora config defaults`).
[[nodiscard]] std::string example_yaml();

}  // namespace aragora::settings
