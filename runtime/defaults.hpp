#pragma once
// Every tunable number of the runtime, in one place. Each is overridable in the YAML config
// (runtime/config), under the key named in its comment. Sources: the capacity planning guide and
// the Python reference (shared/reference/aragora-semantics.md).

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace aragora::defaults {

using namespace std::chrono_literals;

// -- debate (YAML: debate.*) ------------------------------------------------------------------
inline constexpr uint32_t rounds = 3;                     // debate.rounds
inline constexpr uint32_t min_rounds = 1;                 // debate.min_rounds (accepted range)
inline constexpr uint32_t max_rounds = 12;                // debate.max_rounds
inline constexpr uint32_t min_agents = 2;                 // debate.min_agents
inline constexpr uint32_t max_agents = 16;                // debate.max_agents
inline constexpr uint32_t max_question_chars = 10'000;    // debate.max_question_chars
inline constexpr double consensus_threshold = 0.6;        // debate.consensus_threshold
inline constexpr double supermajority_threshold = 2.0 / 3.0;  // debate.supermajority_threshold
inline constexpr uint32_t min_participation = 2;          // debate.min_participation (quorum floor)
inline constexpr double participation_ratio = 0.5;        // debate.participation_ratio
inline constexpr double convergence_threshold = 0.85;     // debate.convergence_threshold
inline constexpr double divergence_threshold = 0.40;      // debate.divergence_threshold
inline constexpr uint32_t max_judges = 3;                 // debate.max_judges (judge fallback chain)
inline constexpr auto agent_timeout = 240s;               // debate.agent_timeout_ms
inline constexpr auto phase_grace = 5s;                   // debate.phase_grace_ms (after agent timeout)
inline constexpr uint32_t seed = 1;                       // debate.seed

// -- receipt verdict rules (aragora-semantics §1.10) --------------------------------------------
inline constexpr double approve_confidence = 0.8;         // receipt.approve_confidence
inline constexpr double review_confidence = 0.4;          // receipt.review_confidence

// -- memory (YAML: memory.*) -----------------------------------------------------------------------
inline constexpr uint32_t memory_recall_k = 3;             // memory.recall_k
// Bounds of the memory coordinator (actors/memory/directory.hpp); not in YAML. Outcomes wait
// there while their entry's previous batch is in flight, or while the tiers load at start.
inline constexpr size_t memory_max_waiting_outcomes = 10'000;
inline constexpr auto memory_tier_timeout = 30s;           // a tier's inventory or batch answer

// -- ranking (YAML: ranking.*) ---------------------------------------------------------------------
inline constexpr double elo_initial = 1500;                // ranking.initial
inline constexpr double elo_k = 32;                        // ranking.k_factor
inline constexpr uint32_t calibration_min_predictions = 10;  // ranking.calibration_min_predictions

// -- mock provider (YAML: mock.*) ----------------------------------------------------------------
inline constexpr uint32_t mock_message_bytes = 0;         // mock.message_bytes (0 = natural length)
inline constexpr uint32_t mock_latency_ms = 0;            // mock.latency_ms
inline constexpr double mock_fail_rate = 0.0;             // mock.fail_rate
inline constexpr double mock_usd_per_1k_tokens = 0.002;   // mock.usd_per_1k_tokens (simulated cost)
inline constexpr uint32_t max_mock_message_bytes = 1u << 24;  // accepted range of message_bytes
// Durations accepted from YAML and flags: longer ones overflow nothing but are surely typos.
inline constexpr auto max_duration = std::chrono::hours{24};

// -- alert thresholds of the capacity guide (YAML: alerts.*) -------------------------------------
inline constexpr double alert_debate_duration_warn_s = 5 * 60;    // alerts.debate_duration_warn_s
inline constexpr double alert_debate_duration_crit_s = 15 * 60;   // alerts.debate_duration_crit_s
inline constexpr double alert_queue_depth_warn = 50;              // alerts.queue_depth_warn
inline constexpr double alert_queue_depth_crit = 200;             // alerts.queue_depth_crit
inline constexpr double alert_memory_warn_pct = 80;               // alerts.memory_warn_pct
inline constexpr double alert_memory_crit_pct = 95;               // alerts.memory_crit_pct

// -- benchmark (aragora benchmark) ---------------------------------------------------------------
inline constexpr uint32_t benchmark_warmup_debates = 100;         // benchmark.warmup_debates

// -- storage (YAML: storage.*) ---------------------------------------------------------------------
inline constexpr const char* data_dir = "./data";                   // storage.data_dir
inline constexpr auto day = std::chrono::hours{24};
// Retention per column family (capacity guide); 0 = kept until deleted.
inline constexpr auto retain_debates = 365 * day;                   // storage.retention.debates_days
inline constexpr auto retain_critiques = 180 * day;                 // storage.retention.critiques_days
inline constexpr auto retain_evidence = 90 * day;                   // storage.retention.evidence_days
inline constexpr auto retain_consensus = 365 * day;                 // storage.retention.consensus_days
inline constexpr auto retain_audit = 730 * day;                     // storage.retention.audit_days
inline constexpr auto retain_memory_fast = std::chrono::hours{1};   // memory.fast_retention_hours
inline constexpr auto retain_memory_medium = std::chrono::hours{24};  // memory.medium_retention_hours
inline constexpr auto retain_memory_slow = 7 * day;                 // memory.slow_retention_hours
inline constexpr auto retain_memory_glacial = 30 * day;             // memory.glacial_retention_hours
inline constexpr auto retention_sweep_interval = std::chrono::hours{1};  // storage.sweep_interval_s
// Writes stop (storage_unavailable) while less than this is free on the data dir's disk.
inline constexpr uint64_t storage_min_free_bytes = 256ull << 20;  // storage.min_free_mb
// Database circuit breaker (capacity guide: 2 failures / 10 s).
inline constexpr uint32_t db_breaker_failures = 2;                  // storage.breaker_failures
inline constexpr auto db_breaker_recovery = std::chrono::seconds{10};  // storage.breaker_recovery_s

// -- runtime (YAML: runtime.*) --------------------------------------------------------------------
inline constexpr const char* scheduler_policy = "sharing";    // runtime.scheduler_policy
// Memory the node lets its debates use (runtime/capacity): `benchmark` caps its concurrency by it
// and a debate whose estimated footprint exceeds it is refused. 0 = derived at start: this
// fraction of what the machine has available (MemAvailable, and the cgroup and address-space
// limits when set).
inline constexpr uint64_t memory_budget_mb = 0;               // runtime.memory_budget_mb
inline constexpr double memory_budget_fraction = 0.5;         // runtime.memory_budget_fraction
inline constexpr uint64_t fallback_memory_budget_mb = 1024;   // when none of those can be read

// -- input files --------------------------------------------------------------------------------
// Read before (or without) the configuration, so not configurable in YAML.
inline constexpr size_t max_config_bytes = size_t{1} << 20;   // --config
inline constexpr size_t max_verify_file_bytes = size_t{64} << 20;  // verify: receipt, --result

// -- timers -------------------------------------------------------------------------------------
inline constexpr auto timer_tick = 1ms;                   // timer.tick_ms (wheel resolution)
// Accepted range of timer.tick_ms: every deadline and simulated latency waits up to one tick.
inline constexpr auto min_timer_tick = 1ms;
inline constexpr auto max_timer_tick = 50ms;
inline constexpr uint32_t timer_wheel_slots = 4096;       // timer.wheel_slots

}  // namespace aragora::defaults
