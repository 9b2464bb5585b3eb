#pragma once
// Every tunable number of the runtime, named once. The table of runtime/settings gives each one's
// YAML key, CLI flag, accepted range, unit and meaning, and checks values against it
// (`aragora config defaults` prints it as YAML). Sources: the capacity planning guide and the
// Python reference (shared/reference/aragora-semantics.md).

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace aragora::defaults {

using namespace std::chrono_literals;

// -- debate (YAML: debate.*) ------------------------------------------------------------------
inline constexpr uint32_t rounds = 3;
inline constexpr uint32_t min_rounds = 1;  // accepted range of rounds
inline constexpr uint32_t max_rounds = 12;
inline constexpr uint32_t min_agents = 2;  // agents of one debate
inline constexpr uint32_t max_agents = 16;
// The agents of a debate that names none (`ask --agents`, the HTTP API's `agents`).
inline constexpr const char* debate_agents = "mock:supportive,mock:critical,mock:balanced";
inline constexpr uint32_t max_question_chars = 10'000;
inline constexpr double consensus_threshold = 0.6;
inline constexpr double supermajority_threshold = 2.0 / 3.0;
inline constexpr uint32_t min_participation = 2;  // quorum floor
inline constexpr double participation_ratio = 0.5;
inline constexpr double convergence_threshold = 0.85;
inline constexpr double divergence_threshold = 0.40;
inline constexpr uint32_t max_judges = 3;  // judge fallback chain
inline constexpr auto agent_timeout = 240s;
inline constexpr auto phase_grace = 5s;  // a step's deadline: agent timeout + this
inline constexpr uint32_t seed = 1;
inline constexpr double budget_usd = 0;  // per debate; 0 = none
inline constexpr double max_budget_usd = 1'000'000;

// -- receipt verdict rules (aragora-semantics §1.10) --------------------------------------------
inline constexpr double approve_confidence = 0.8;
inline constexpr double review_confidence = 0.4;

// -- memory (YAML: memory.*) -----------------------------------------------------------------------
inline constexpr bool memory_enabled = true;
inline constexpr uint32_t memory_recall_k = 3;
// Bounds of the memory coordinator (actors/memory/directory.hpp); not in YAML. Outcomes wait
// there while their entry's previous batch is in flight, or while the tiers load at start.
inline constexpr size_t memory_max_waiting_outcomes = 10'000;
inline constexpr auto memory_tier_timeout = 30s;           // a tier's inventory or batch answer

// -- ranking (YAML: ranking.*) ---------------------------------------------------------------------
inline constexpr double elo_initial = 1500;
inline constexpr double elo_k = 32;
inline constexpr uint32_t calibration_min_predictions = 10;

// -- real agents (issue 10) -------------------------------------------------------------------------
// A reply longer than this is cut (at a character boundary) before it enters the debate: one
// runaway model must not grow every later prompt and record without bound.
inline constexpr size_t agent_reply_max_bytes = 64 * 1024;
inline constexpr uint32_t agent_max_tokens = 1024;         // asked of a model per call
inline constexpr uint32_t agent_max_attempts = 3;          // per call: 429, 5xx, timeouts, resets
inline constexpr uint32_t provider_max_concurrency = 16;   // calls in flight per provider and node
inline constexpr size_t provider_max_waiting = 10'000;     // calls queued behind them; more fail
// The capacity guide's breaker for API agents: 5 failures in a row open it for 30 s.
inline constexpr uint32_t provider_breaker_failures = 5;
inline constexpr auto provider_breaker_recovery = 30s;
// Context compression (the capacity guide): from round 3, a prompt's history of >= 10 messages and
// > 3,000 characters keeps its last 5 messages and a summary of the rest.
inline constexpr uint32_t compress_from_round = 3;
inline constexpr size_t compress_min_messages = 10;
inline constexpr size_t compress_min_chars = 3'000;
inline constexpr size_t compress_keep_last = 5;
inline constexpr size_t compress_max_summaries = 4'096;  // cached per node, oldest dropped first
inline constexpr bool compression = true;
inline constexpr const char* summariser = "";  // empty: each agent summarises with its own model
// CLI agents (YAML cli_agents.*): subprocesses running at once per node; more wait their turn.
inline constexpr uint32_t cli_max_running = 10;
inline constexpr size_t cli_max_waiting = 10'000;
inline constexpr size_t cli_max_output_bytes = size_t{1} << 20;  // stdout past this: killed

// -- mock provider (YAML: mock.*) ----------------------------------------------------------------
inline constexpr uint32_t mock_message_bytes = 0;  // 0 = natural length
inline constexpr uint32_t mock_latency_ms = 0;
inline constexpr double mock_fail_rate = 0.0;
inline constexpr double mock_usd_per_1k_tokens = 0.002;  // simulated cost; not configurable
inline constexpr uint32_t max_mock_message_bytes = 1u << 24;  // accepted range of message_bytes
// The longest duration in milliseconds accepted from YAML and flags (timeouts, latencies):
// longer ones overflow nothing but are surely typos.
inline constexpr auto max_duration = std::chrono::hours{24};

// -- alert thresholds of the capacity guide (YAML: alerts.*) -------------------------------------
inline constexpr double alert_debate_duration_warn_s = 5 * 60;
inline constexpr double alert_debate_duration_crit_s = 15 * 60;
inline constexpr double alert_queue_depth_warn = 50;
inline constexpr double alert_queue_depth_crit = 200;
inline constexpr double alert_memory_warn_pct = 80;
inline constexpr double alert_memory_crit_pct = 95;
// The rest of the guide's Monitoring Thresholds, as the alert rules compare them (seconds, as
// Prometheus measures time). Not in YAML: they are numbers of scripts/prometheus/aragora-alerts.yml,
// which Prometheus reads, not the node; tests/scripts/alert_rules_test.py keeps the two equal.
inline constexpr double alert_api_latency_p99_warn_s = 0.5;  // 500 ms
inline constexpr double alert_api_latency_p99_crit_s = 2;    // 2000 ms
inline constexpr double alert_ws_lag_warn_s = 0.1;           // 100 ms
inline constexpr double alert_ws_lag_crit_s = 0.5;           // 500 ms
inline constexpr double alert_query_time_warn_s = 0.1;       // 100 ms: store writes
inline constexpr double alert_query_time_crit_s = 1;         // 1000 ms
inline constexpr double alert_open_connections_warn = 100;   // HTTP + WebSocket, per node
inline constexpr double alert_open_connections_crit = 200;
inline constexpr double alert_disk_warn_pct = 70;            // of the data dir's file system
inline constexpr double alert_disk_crit_pct = 85;

// -- metrics (runtime/base/metrics) -------------------------------------------------------------
// Children (label-value tuples) one family holds; past this, callers share one child labelled
// "other", so labels fed from outside (paths, agent names) cannot grow memory without bound.
inline constexpr size_t metrics_max_children = 256;
// Longer label values are cut (at a character boundary): with the cap above, this bounds a
// family's memory and its share of a scrape.
inline constexpr size_t metrics_max_label_bytes = 128;

// -- benchmark (aragora benchmark) ---------------------------------------------------------------
inline constexpr uint32_t benchmark_warmup_debates = 100;
inline constexpr uint32_t benchmark_debates = 1;  // --debates
inline constexpr uint32_t benchmark_agents = 3;   // --agents (mock agents per debate)

// -- storage (YAML: storage.*) ---------------------------------------------------------------------
// Empty: the CLI's platform default, $XDG_DATA_HOME/aragora, else ~/.local/share/aragora
// (runtime/cli reads the environment; libraries never do).
inline constexpr const char* data_dir = "";
inline constexpr auto day = std::chrono::hours{24};
// Retention per column family (capacity guide); 0 = kept until deleted.
inline constexpr auto retain_debates = 365 * day;
inline constexpr auto retain_critiques = 180 * day;
inline constexpr auto retain_evidence = 90 * day;
inline constexpr auto retain_consensus = 365 * day;
inline constexpr auto retain_audit = 730 * day;
inline constexpr auto retain_memory_fast = std::chrono::hours{1};
inline constexpr auto retain_memory_medium = std::chrono::hours{24};
inline constexpr auto retain_memory_slow = 7 * day;
inline constexpr auto retain_memory_glacial = 30 * day;
inline constexpr auto retention_sweep_interval = std::chrono::hours{1};
// Writes stop (storage_unavailable) while less than this is free on the data dir's disk.
inline constexpr uint64_t storage_min_free_bytes = 256ull << 20;
// Backups a node takes when asked (`aragora-admin backup`): where (empty = the data dir's path
// + "-backups") and how many of the newest it keeps there.
inline constexpr const char* backup_dir = "";
inline constexpr uint32_t backup_keep = 7;
// `aragora-admin storage`'s growth per day: the store's size per family sampled at most this
// often, this many samples kept (a day's worth).
inline constexpr auto storage_sample_every = std::chrono::hours{1};
inline constexpr size_t storage_samples_kept = 25;
// `aragora-admin storage`'s "what retention drops next" reads each record's expiry: at most this
// many records in all, so a large store answers in a second or so (it says where it stopped).
inline constexpr uint64_t storage_outlook_records = 250'000;
// Database circuit breaker (capacity guide: 2 failures / 10 s).
inline constexpr uint32_t db_breaker_failures = 2;
inline constexpr auto db_breaker_recovery = std::chrono::seconds{10};

// -- listing stored debates (aragora list, the edge's GET /api/v1/debates) -----------------------
// The page size a caller may choose per request, not a node setting (so not in YAML): the range
// bounds what one request reads and holds (a record with its receipt is a few KB).
inline constexpr uint32_t list_limit = 50;                // --limit when not given
inline constexpr uint32_t max_list_limit = 1000;          // --limit accepted range 1..this

// -- edge (YAML: edge.*) -------------------------------------------------------------------------
// The capacity guide's ports: the API (and /ws) on 8080, /ws also on 8765; worker i of
// `serve --workers N` on 8080 + i and 8765 + i.
inline constexpr const char* edge_host = "127.0.0.1";
inline constexpr uint16_t edge_port = 8080;
inline constexpr uint16_t edge_ws_port = 8765;
// Threads serving the edge's sockets. Some handlers wait: a cluster edge's create waits for its
// worker to take the debate (a network round trip), compaction and the breakers read the disk
// or the supervisors. With one thread every other connection waits too (bench/RESULTS.md, the
// cluster: 0.39 of one node's debates/s with 1 thread, 0.6 with 4).
inline constexpr uint32_t edge_io_threads = 4;
// Debates one WebSocket connection may follow at once: a page or a script (text frames), the
// client library (binary frames, many debates on one connection; more take more connections).
inline constexpr size_t edge_ws_subscriptions_text = 16;
inline constexpr size_t edge_ws_subscriptions_binary = 1024;
// `aragora benchmark --endpoint`: connections its creates spread over (at least; more when the
// debates in flight need more than one connection may follow).
inline constexpr uint64_t remote_benchmark_connections = 8;
// Rendered answers of finished debates kept by the edge (net/edge/body_cache): bytes, and an age
// past which one is read again (a debate retention removed is not served for longer).
inline constexpr size_t edge_body_cache_bytes = size_t{64} << 20;
inline constexpr std::chrono::seconds edge_body_cache_age{300};
// `aragora serve --workers N`: processes on consecutive ports (runtime/cli/serve_workers).
inline constexpr int64_t edge_max_workers = 64;
// Per-principal rate limit (per client IP when unauthenticated): a token bucket refilled at this
// rate, holding at most `burst` requests. 0 requests per second = no limit.
inline constexpr double edge_rate_limit_per_s = 50;
inline constexpr uint32_t edge_rate_limit_burst = 100;
// Buckets held at most; past this the least recently used is dropped (net/edge/auth).
inline constexpr size_t edge_rate_limit_max_keys = 10'000;
// A shorter token is refused when the token file is loaded: it could be guessed.
inline constexpr size_t edge_min_token_chars = 16;
// --token-file is read before the configuration applies, so this is not in YAML.
inline constexpr size_t edge_max_token_file_bytes = size_t{1} << 20;

// -- runtime (YAML: runtime.*) --------------------------------------------------------------------
inline constexpr uint32_t scheduler_threads = 0;  // 0 = one per core
inline constexpr const char* scheduler_policy = "sharing";
inline constexpr uint32_t agent_workers = 0;  // 0 = one per scheduler thread
// Memory the node lets its debates use (runtime/capacity): `benchmark` caps its concurrency by it
// and a debate whose estimated footprint exceeds it is refused. 0 = derived at start: this
// fraction of what the machine has available (MemAvailable, and the cgroup and address-space
// limits when set).
inline constexpr uint64_t memory_budget_mb = 0;
inline constexpr double memory_budget_fraction = 0.5;
inline constexpr uint64_t fallback_memory_budget_mb = 1024;   // when none of those can be read

// -- logging (runtime/base/log) ------------------------------------------------------------------
// Lines waiting for the log writer thread; past this the oldest is dropped (and counted), so a
// burst of warnings never blocks an actor nor grows memory.
inline constexpr size_t log_queue_lines = 8192;

// -- input files --------------------------------------------------------------------------------
// Read before (or without) the configuration, so not configurable in YAML.
inline constexpr size_t max_config_bytes = size_t{1} << 20;   // --config
inline constexpr size_t max_verify_file_bytes = size_t{64} << 20;  // verify: receipt, --result

// -- the wire (net/wire) -----------------------------------------------------------------------
// The largest protobuf payload one CAF envelope carries between nodes, either way: a bigger one
// is refused when it is sent and when it is read (envelope_too_large), before it is buffered.
// Room for a full debate report (16 agents, 12 rounds of multi-KB messages). Not in YAML yet: a
// node and its peers must agree on it (cluster.max_envelope_bytes, with the cluster issue).
inline constexpr size_t max_envelope_bytes = size_t{64} << 20;

// -- timers -------------------------------------------------------------------------------------
inline constexpr auto timer_tick = 1ms;  // wheel resolution
// Accepted range of the tick: every deadline and simulated latency waits up to one tick.
inline constexpr auto min_timer_tick = 1ms;
inline constexpr auto max_timer_tick = 50ms;
inline constexpr uint32_t timer_wheel_slots = 4096;

// -- supervision (YAML: supervision.*) -----------------------------------------------------------
// A write the writer has not answered within this is sent again (writes are idempotent).
inline constexpr auto write_timeout = std::chrono::seconds{60};      // storage.write_timeout_ms
// A debate whose writes keep failing this long fails cleanly (it stays resumable on disk).
inline constexpr auto write_hold_limit = std::chrono::minutes{10};   // storage.hold_limit_s
// Restarts of a dead child: 100 ms doubling to 10 s (+-30 % jitter); a child up for 5 s is healthy.
inline constexpr auto restart_base = std::chrono::milliseconds{100};  // supervision.restart_base_ms
inline constexpr auto restart_cap = std::chrono::seconds{10};          // supervision.restart_cap_ms
inline constexpr auto restart_stable_after = std::chrono::seconds{5};  // supervision.stable_after_ms
// Breaker on restart intensity, per supervisor (DESIGN.md: agents 5 / 30 s, database 2 / 10 s).
inline constexpr uint32_t restart_breaker_failures = 5;                // supervision.breaker_failures
inline constexpr auto restart_breaker_recovery = std::chrono::seconds{30};  // supervision.breaker_recovery_ms
// Liveness probes of supervised services: a child that does not answer is killed and restarted.
inline constexpr auto probe_interval = std::chrono::seconds{5};        // supervision.probe_interval_ms
inline constexpr auto probe_timeout = std::chrono::seconds{90};        // supervision.probe_timeout_ms

// -- cluster (YAML: cluster.*) -------------------------------------------------------------------
// Workers report their load this often; one silent for the timeout is down (the 3 s
// detection with room: interval 250 ms, timeout 1.5 s). CAF's own BASP heartbeats use the same pair.
inline constexpr auto heartbeat_interval = std::chrono::milliseconds{250};  // cluster.heartbeat_interval_ms
inline constexpr auto heartbeat_timeout = std::chrono::milliseconds{1500};  // cluster.heartbeat_timeout_ms
// A step is committed when durable on this many nodes: the worker's store and the journal's.
inline constexpr uint32_t replication_factor = 2;                            // cluster.replication_factor
// A journal append not answered by then is refused (the debate holds the step and retries).
inline constexpr auto journal_append_timeout = std::chrono::seconds{2};
// A worker's appends travel in batches: this many batches on their way to the journal at once,
// each of at most so many appends and bytes (what is ready meanwhile waits for the next one).
inline constexpr uint32_t journal_batches_in_flight = 2;
inline constexpr size_t journal_batch_appends = 256;
inline constexpr size_t journal_batch_bytes = size_t{4} << 20;
// A node that cannot reach the edge retries: 100 ms doubling to 2 s.
inline constexpr auto join_retry_base = std::chrono::milliseconds{100};
inline constexpr auto join_retry_cap = std::chrono::seconds{2};
// A worker reads its breakers this often for its heartbeats (`aragora-admin breakers`).
inline constexpr auto breaker_refresh = std::chrono::seconds{1};
// ... and renders its /metrics as often; the edge serves each worker's last one (labelled
// node="NAME") and holds at most this much of it (a worker's is some tens of KB).
inline constexpr size_t cluster_metrics_max_bytes = 1u << 20;
// Nodes in one cluster file; ports must differ per host.
inline constexpr size_t max_cluster_nodes = 1024;

}  // namespace aragora::defaults
