#pragma once
// Node configuration: the named defaults of runtime/defaults.hpp, overridable from a YAML file.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "actors/agent/mock_options.hpp"
#include "actors/debate/machine.hpp"
#include "actors/debate/types.hpp"
#include "storage/store.hpp"

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

struct node_config {
  // Defaults for new debates (each debate may override its own).
  uint32_t rounds;
  double consensus_threshold;
  double convergence_threshold;
  uint32_t max_judges;
  std::chrono::milliseconds agent_timeout;
  std::chrono::milliseconds phase_grace;
  uint32_t seed;
  agent::mock_options mock;  // the node's mock provider, not part of a debate
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
  std::string data_dir;
  storage::retention_policy retention;
  std::chrono::milliseconds sweep_interval;
  uint32_t db_breaker_failures;
  std::chrono::milliseconds db_breaker_recovery;
  uint64_t storage_min_free_bytes;

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

struct config_error {
  config_errc code;
  std::string message;
};

/// Overrides the defaults with one YAML document. Unknown keys, keys given twice, extra documents
/// and text that is not UTF-8 are errors, so typos are caught; values are range-checked, alone and
/// against each other (the timer tick against the timeouts).
[[nodiscard]] std::variant<node_config, config_error> parse_config(std::string_view yaml);
/// The same from a regular file of at most defaults::max_config_bytes.
[[nodiscard]] std::variant<node_config, config_error> load_config(const std::string& path);

/// A debate spec pre-filled with the configured defaults.
[[nodiscard]] debate::debate_spec default_spec(const node_config& cfg);

}  // namespace aragora::config
