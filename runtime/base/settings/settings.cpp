#include "runtime/base/settings/settings.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <vector>

#include "runtime/base/defaults.hpp"

namespace aragora::settings {

namespace {

using std::chrono::duration_cast;
using ms = std::chrono::milliseconds;
using secs = std::chrono::seconds;
using hours = std::chrono::hours;

// Stable codes. A setting a user can also give per run (a CLI flag) has the code the CLI has
// always printed for it; the node-only ones share config_bad_value.
constexpr std::string_view bad_count = "bad_count";
constexpr std::string_view bad_duration = "bad_duration";
constexpr std::string_view bad_threshold = "bad_threshold";
constexpr std::string_view config_bad_value = "config_bad_value";

constexpr double max_ms = static_cast<double>(duration_cast<ms>(defaults::max_duration).count());
// Up to 100 years: beyond that, expiry times would overflow.
constexpr double max_retention_days = 36'500;
// MiB counts up to 1 PiB: MiB << 20 stays far from overflowing.
constexpr double max_mib = double(int64_t{1} << 30);

constexpr double count_of(ms d) { return static_cast<double>(d.count()); }

constexpr setting integer(id x, std::string_view name, std::string_view key, std::string_view flag,
                          double def, double lo, double hi, std::string_view unit,
                          std::string_view code, std::string_view meaning) {
  return {x, name, key, flag, value_kind::integer, true, def, {}, lo, hi, false, false,
          unit, code, meaning, {}};
}

// A share of [0, 1]; `zero_open`: 0 itself is refused.
constexpr setting share(id x, std::string_view name, std::string_view key, std::string_view flag,
                        double def, bool zero_open, std::string_view code,
                        std::string_view meaning) {
  return {x, name, key, flag, value_kind::share, true, def, {}, 0, 1, zero_open, false,
          {}, code, meaning, {}};
}

constexpr setting real(id x, std::string_view name, std::string_view key, double def, double lo,
                       double hi, bool lo_open, bool hi_open, std::string_view unit,
                       std::string_view meaning) {
  return {x, name, key, {}, value_kind::real, true, def, {}, lo, hi, lo_open, hi_open,
          unit, config_bad_value, meaning, {}};
}

constexpr setting without_default(setting s) {
  s.has_default = false;
  s.def = 0;
  return s;
}

constexpr setting retention_days(id x, std::string_view name, std::string_view key,
                                 hours def, std::string_view meaning) {
  return integer(x, name, key, {}, static_cast<double>(def.count() / 24), 0, max_retention_days,
                 "days", config_bad_value, meaning);
}

constexpr setting retention_hours(id x, std::string_view name, std::string_view key, hours def,
                                  std::string_view meaning) {
  return integer(x, name, key, {}, static_cast<double>(def.count()), 0, max_retention_days * 24,
                 "hours", config_bad_value, meaning);
}

constexpr std::array<setting, count> table{{
    // -- debate ---------------------------------------------------------------------------------
    integer(id::rounds, "rounds", "debate.rounds", "--rounds", defaults::rounds,
            defaults::min_rounds, defaults::max_rounds, {}, "rounds_out_of_range",
            "rounds of a debate (propose, critique, revise, vote)"),
    share(id::consensus_threshold, "consensus threshold", "debate.consensus_threshold",
          "--threshold", defaults::consensus_threshold, true, bad_threshold,
          "majority share of the confidence-weighted tally"),
    share(id::supermajority_threshold, "supermajority threshold",
          "debate.supermajority_threshold", {}, defaults::supermajority_threshold, false,
          config_bad_value, "supermajority share; a fraction such as 2/3 is exact"),
    integer(id::min_participation, "minimum participation", "debate.min_participation", {},
            defaults::min_participation, 1, defaults::max_agents, "votes", config_bad_value,
            "quorum = min(n, max(min_participation, ceil(n * participation_ratio)))"),
    share(id::participation_ratio, "participation ratio", "debate.participation_ratio", {},
          defaults::participation_ratio, false, config_bad_value,
          "quorum share of the requested agents"),
    share(id::convergence_threshold, "convergence threshold", "debate.convergence_threshold", {},
          defaults::convergence_threshold, true, config_bad_value,
          "full protocol: every agent at least this similar to its last round"),
    share(id::divergence_threshold, "divergence threshold", "debate.divergence_threshold", {},
          defaults::divergence_threshold, false, config_bad_value,
          "similarity below this reads as diverging"),
    integer(id::max_judges, "judges", "debate.max_judges", {}, defaults::max_judges, 1,
            defaults::max_agents, {}, config_bad_value,
            "judge fallback chain length before majority"),
    integer(id::agent_timeout_ms, "agent timeout", "debate.agent_timeout_ms", "--agent-timeout-ms",
            count_of(defaults::agent_timeout), 1, max_ms, "ms", bad_duration,
            "timeout of each agent call"),
    integer(id::phase_grace_ms, "phase grace", "debate.phase_grace_ms", {},
            count_of(defaults::phase_grace), 1, max_ms, "ms", config_bad_value,
            "a step's deadline is agent_timeout_ms + phase_grace_ms"),
    integer(id::seed, "seed", "debate.seed", "--seed", defaults::seed, 0, UINT32_MAX, {},
            "bad_seed", "seed of the mock agents: the same seed gives the same transcript"),
    {id::budget_usd, "budget", "debate.budget_usd", "--budget-usd", value_kind::real, true,
     defaults::budget_usd, {}, 0, defaults::max_budget_usd, false, false, "USD", "bad_budget",
     "a debate whose agent calls have cost this much ends (budget_exceeded); 0 = no budget", {}},
    {id::compression, "context compression", "debate.compression", {}, value_kind::boolean, true,
     defaults::compression ? 1.0 : 0.0, {}, 0, 1, false, false, {}, config_bad_value,
     "real agents' prompts: from round 3, a history of >= 10 messages and > 3,000 characters keeps "
     "its last 5 and a summary of the rest", {}},
    {id::summariser, "summariser", "debate.summariser", {}, value_kind::text, true, 0,
     defaults::summariser, 0, 0, false, false, {}, config_bad_value,
     "the model writing those summaries, provider:MODEL (openai:gpt-4o-mini); empty = each agent's own", {}},
    // -- receipt --------------------------------------------------------------------------------
    share(id::approve_confidence, "approve confidence", "receipt.approve_confidence", {},
          defaults::approve_confidence, false, config_bad_value,
          "reached, no dissent, confidence >= this: approved"),
    share(id::review_confidence, "review confidence", "receipt.review_confidence", {},
          defaults::review_confidence, false, config_bad_value,
          "not reached, confidence >= this: needs_review, else rejected"),
    // -- mock provider ----------------------------------------------------------------------------
    integer(id::mock_message_bytes, "mock message size", "mock.message_bytes", "--message-bytes",
            defaults::mock_message_bytes, 0, defaults::max_mock_message_bytes, "bytes", bad_count,
            "size of each mock text; 0 = natural length"),
    integer(id::mock_latency_ms, "mock latency", "mock.latency_ms", "--latency-ms",
            defaults::mock_latency_ms, 0, max_ms, "ms", bad_duration,
            "simulated latency of each mock call"),
    share(id::mock_fail_rate, "mock fail rate", "mock.fail_rate", "--fail-rate",
          defaults::mock_fail_rate, false, "bad_fail_rate",
          "probability that a mock call fails"),
    // -- timer ------------------------------------------------------------------------------------
    integer(id::timer_tick_ms, "timer tick", "timer.tick_ms", {}, count_of(defaults::timer_tick),
            count_of(defaults::min_timer_tick), count_of(defaults::max_timer_tick), "ms",
            config_bad_value, "timer wheel resolution; at most the agent timeout and phase grace"),
    integer(id::timer_wheel_slots, "timer wheel slots", "timer.wheel_slots", {},
            defaults::timer_wheel_slots, 64, 1 << 20, {}, config_bad_value,
            "slots of the timer wheel"),
    // -- runtime ----------------------------------------------------------------------------------
    integer(id::scheduler_threads, "scheduler threads", "runtime.scheduler_threads", {},
            defaults::scheduler_threads, 0, 256,
            {}, config_bad_value, "actor scheduler threads; 0 = one per core"),
    {id::scheduler_policy, "scheduler policy", "runtime.scheduler_policy", {}, value_kind::text,
     true, 0, defaults::scheduler_policy, 0, 0, false, false, {}, config_bad_value,
     "CAF scheduler: work sharing or work stealing", "stealing|sharing"},
    integer(id::agent_workers, "agent workers", "runtime.agent_workers", {},
            defaults::agent_workers, 0, 1024, {},
            config_bad_value, "agent call workers; 0 = one per scheduler thread"),
    integer(id::cli_max_running, "CLI agents at once", "runtime.cli_max_running", {},
            defaults::cli_max_running, 1, 1024, {}, config_bad_value,
            "CLI agent subprocesses running at once; more wait their turn"),
    integer(id::memory_budget_mb, "memory budget", "runtime.memory_budget_mb", {},
            static_cast<double>(defaults::memory_budget_mb), 0, max_mib, "MiB", config_bad_value,
            "memory for debates; 0 = memory_budget_fraction of what is available"),
    share(id::memory_budget_fraction, "memory budget fraction", "runtime.memory_budget_fraction",
          {}, defaults::memory_budget_fraction, true, config_bad_value,
          "of MemAvailable, cgroup and ulimit headroom, when memory_budget_mb is 0"),
    // -- alerts (the capacity guide's thresholds, checked by `aragora benchmark`) -----------------
    real(id::alert_debate_duration_warn_s, "debate duration warning",
         "alerts.debate_duration_warn_s", defaults::alert_debate_duration_warn_s, 0, 1e9, false,
         false, "s", "debate duration: warning"),
    real(id::alert_debate_duration_crit_s, "debate duration critical",
         "alerts.debate_duration_crit_s", defaults::alert_debate_duration_crit_s, 0, 1e9, false,
         false, "s", "debate duration: critical"),
    real(id::alert_queue_depth_warn, "queue depth warning", "alerts.queue_depth_warn",
         defaults::alert_queue_depth_warn, 0, 1e12, false, false, {}, "agent queue depth: warning"),
    real(id::alert_queue_depth_crit, "queue depth critical", "alerts.queue_depth_crit",
         defaults::alert_queue_depth_crit, 0, 1e12, false, false, {},
         "agent queue depth: critical"),
    real(id::alert_memory_warn_pct, "memory warning", "alerts.memory_warn_pct",
         defaults::alert_memory_warn_pct, 0, 100, false, false, "%", "memory use: warning"),
    real(id::alert_memory_crit_pct, "memory critical", "alerts.memory_crit_pct",
         defaults::alert_memory_crit_pct, 0, 100, false, false, "%", "memory use: critical"),
    // -- benchmark --------------------------------------------------------------------------------
    integer(id::benchmark_warmup_debates, "warm-up debates", "benchmark.warmup_debates", {},
            defaults::benchmark_warmup_debates, 0, 1'000'000, "debates", config_bad_value,
            "debates `aragora benchmark` runs before it measures"),
    // -- storage ----------------------------------------------------------------------------------
    {id::data_dir, "data dir", "storage.data_dir", "--data-dir", value_kind::text, true, 0,
     defaults::data_dir, 0, 0, false, false, {}, config_bad_value,
     "empty = $XDG_DATA_HOME/aragora, else ~/.local/share/aragora", {}},
    integer(id::sweep_interval_s, "sweep interval", "storage.sweep_interval_s", {},
            static_cast<double>(duration_cast<secs>(defaults::retention_sweep_interval).count()),
            1, 30 * 24 * 3600, "s", config_bad_value,
            "how often expired records are compacted away"),
    integer(id::db_breaker_failures, "database breaker failures", "storage.breaker_failures", {},
            defaults::db_breaker_failures, 1, 1000, {}, config_bad_value,
            "database circuit breaker: failures that open it"),
    integer(id::db_breaker_recovery_s, "database breaker recovery", "storage.breaker_recovery_s",
            {}, static_cast<double>(duration_cast<secs>(defaults::db_breaker_recovery).count()), 1,
            24 * 3600, "s", config_bad_value, "database circuit breaker: time before a trial"),
    integer(id::min_free_mb, "minimum free space", "storage.min_free_mb", {},
            static_cast<double>(defaults::storage_min_free_bytes >> 20), 0, max_mib, "MiB",
            config_bad_value, "writes stop (storage_unavailable) below this much free disk"),
    {id::backup_dir, "backup dir", "storage.backup_dir", {}, value_kind::text, true, 0,
     defaults::backup_dir, 0, 0, false, false, {}, config_bad_value,
     "where `aragora-admin backup` puts this node's backups; empty = the data dir + \"-backups\"", {}},
    integer(id::backup_keep, "backups kept", "storage.backup_keep", {}, defaults::backup_keep, 0,
            100000, "backups", config_bad_value, "the newest backups kept there (0 = all)"),
    integer(id::write_timeout_ms, "write timeout", "storage.write_timeout_ms", {},
            count_of(defaults::write_timeout), 1, max_ms, "ms", config_bad_value,
            "a write the writer has not answered by then is sent again (writes are idempotent)"),
    integer(id::hold_limit_s, "write hold limit", "storage.hold_limit_s", {},
            static_cast<double>(duration_cast<secs>(defaults::write_hold_limit).count()), 1,
            7 * 24 * 3600, "s", config_bad_value,
            "a debate whose writes fail this long fails cleanly (and stays resumable)"),
    retention_days(id::retention_debates_days, "debate retention",
                   "storage.retention.debates_days", defaults::retain_debates,
                   "finished debates and their event logs; 0 = until deleted"),
    retention_days(id::retention_critiques_days, "critique retention",
                   "storage.retention.critiques_days", defaults::retain_critiques,
                   "critique patterns; 0 = until deleted"),
    retention_days(id::retention_evidence_days, "evidence retention",
                   "storage.retention.evidence_days", defaults::retain_evidence,
                   "unless linked to a kept debate; 0 = until deleted"),
    retention_days(id::retention_consensus_days, "consensus retention",
                   "storage.retention.consensus_days", defaults::retain_consensus,
                   "consensus records; 0 = until deleted"),
    retention_days(id::retention_audit_days, "audit retention", "storage.retention.audit_days",
                   defaults::retain_audit, "audit log; 0 = until deleted"),
    // -- memory -----------------------------------------------------------------------------------
    {id::memory_enabled, "memory", "memory.enabled", {}, value_kind::boolean, true,
     defaults::memory_enabled ? 1.0 : 0.0, {}, 0, 1,
     false, false, {}, config_bad_value,
     "recall prior decisions before a debate, remember after it", {}},
    integer(id::recall_k, "recalled decisions", "memory.recall_k", {}, defaults::memory_recall_k,
            0, 50, {}, config_bad_value, "prior decisions given to the agents"),
    retention_hours(id::memory_fast_retention_hours, "fast memory retention",
                    "memory.fast_retention_hours", defaults::retain_memory_fast,
                    "fast tier; 0 = until deleted"),
    retention_hours(id::memory_medium_retention_hours, "medium memory retention",
                    "memory.medium_retention_hours", defaults::retain_memory_medium,
                    "medium tier; 0 = until deleted"),
    retention_hours(id::memory_slow_retention_hours, "slow memory retention",
                    "memory.slow_retention_hours", defaults::retain_memory_slow,
                    "slow tier; 0 = until deleted"),
    retention_hours(id::memory_glacial_retention_hours, "glacial memory retention",
                    "memory.glacial_retention_hours", defaults::retain_memory_glacial,
                    "glacial tier; 0 = until deleted"),
    // -- ranking ----------------------------------------------------------------------------------
    real(id::elo_initial, "initial rating", "ranking.initial", defaults::elo_initial, 0, 1e6, true,
         true, {}, "ELO rating of a new agent"),
    real(id::elo_k, "K factor", "ranking.k_factor", defaults::elo_k, 0, 400, true, false, {},
         "ELO K factor of a pairwise update"),
    integer(id::calibration_min_predictions, "calibration minimum",
            "ranking.calibration_min_predictions", {}, defaults::calibration_min_predictions, 1,
            100'000, {}, config_bad_value, "predictions before calibration counts"),
    // -- supervision ------------------------------------------------------------------------------
    integer(id::restart_base_ms, "restart backoff", "supervision.restart_base_ms", {},
            count_of(defaults::restart_base), 1, max_ms, "ms", config_bad_value,
            "first delay before a dead child is restarted; doubles per quick death (+-30 %)"),
    integer(id::restart_cap_ms, "restart backoff cap", "supervision.restart_cap_ms", {},
            count_of(defaults::restart_cap), 1, max_ms, "ms", config_bad_value,
            "longest delay before a restart"),
    integer(id::restart_stable_after_ms, "stable after", "supervision.stable_after_ms", {},
            count_of(defaults::restart_stable_after), 1, max_ms, "ms", config_bad_value,
            "a child up this long is healthy again; also the window of restart intensity"),
    integer(id::restart_breaker_failures, "restart breaker failures",
            "supervision.breaker_failures", {}, defaults::restart_breaker_failures, 1, 1000, {},
            config_bad_value, "deaths within stable_after_ms that stop the restarts"),
    integer(id::restart_breaker_recovery_ms, "restart breaker recovery",
            "supervision.breaker_recovery_ms", {}, count_of(defaults::restart_breaker_recovery), 1,
            max_ms, "ms", config_bad_value, "time before one trial restart"),
    integer(id::probe_interval_ms, "probe interval", "supervision.probe_interval_ms", {},
            count_of(defaults::probe_interval), 1, max_ms, "ms", config_bad_value,
            "how often a supervisor asks its children whether they still answer"),
    integer(id::probe_timeout_ms, "probe timeout", "supervision.probe_timeout_ms", {},
            count_of(defaults::probe_timeout), 1, max_ms, "ms", config_bad_value,
            "a child that does not answer a probe this long is killed and restarted"),
    integer(id::cluster_heartbeat_interval_ms, "heartbeat interval", "cluster.heartbeat_interval_ms", {},
            count_of(defaults::heartbeat_interval), 10, 60000, "ms", config_bad_value,
            "how often a worker tells the edge its load (and that it lives)"),
    integer(id::cluster_heartbeat_timeout_ms, "heartbeat timeout", "cluster.heartbeat_timeout_ms", {},
            count_of(defaults::heartbeat_timeout), 20, 600000, "ms", config_bad_value,
            "a worker silent this long is down: its debates resume on another worker"),
    integer(id::cluster_replication_factor, "replication factor", "cluster.replication_factor", {},
            defaults::replication_factor, 2, 2, {}, config_bad_value,
            "nodes a debate step is durable on before it counts: the worker's and the journal's store"),
    // -- edge -------------------------------------------------------------------------------------
    {id::edge_host, "listen address", "edge.host", "--host", value_kind::text, true, 0,
     defaults::edge_host, 0, 0, false, false, {}, config_bad_value,
     "address `aragora serve` listens on; any but loopback needs tokens", {}},
    integer(id::edge_port, "HTTP port", "edge.port", "--port", defaults::edge_port, 0, 65535, {},
            "bad_port", "the API, the web page, /metrics and /ws; worker i: port + i"),
    integer(id::edge_ws_port, "WebSocket port", "edge.ws_port", "--ws-port", defaults::edge_ws_port,
            0, 65535, {}, "bad_port", "a second port serving only /ws; worker i: ws_port + i"),
    integer(id::edge_io_threads, "I/O threads", "edge.io_threads", "--io-threads", defaults::edge_io_threads, 1, 64, {},
            config_bad_value, "threads serving the sockets (a handler that waits holds one)"),
    {id::edge_token_file, "token file", "edge.token_file", "--token-file", value_kind::text, true,
     0, "", 0, 0, false, false, {}, config_bad_value,
     "bearer tokens, `name role token` per line, mode 0600; empty = no tokens", {}},
    real(id::edge_rate_limit_per_s, "rate limit", "edge.rate_limit_per_s",
         defaults::edge_rate_limit_per_s, 0, 1e6, false, false, "requests/s",
         "per token (per client address without one); 0 = no limit"),
    integer(id::edge_rate_limit_burst, "rate limit burst", "edge.rate_limit_burst", {},
            defaults::edge_rate_limit_burst, 1, 1e6, "requests", config_bad_value,
            "requests a client may send at once before the rate applies"),
    {id::edge_cors_origin, "CORS origin", "edge.cors_origin", {}, value_kind::text, true, 0, "", 0,
     0, false, false, {}, config_bad_value,
     "empty = CORS off; an origin (https://app.example) or * that browsers may call from", {}},
    // -- limits of a request ----------------------------------------------------------------------
    without_default(integer(id::question_chars, "question", {}, {}, 0, 1,
                            defaults::max_question_chars, "characters", "question_too_long",
                            "length of a debate question")),
    integer(id::benchmark_debates, "debates", {}, "--debates", defaults::benchmark_debates, 1,
            UINT32_MAX, {}, bad_count, "debates `aragora benchmark` runs"),
    without_default(integer(id::benchmark_concurrent, "concurrent debates", {}, "--concurrent", 0,
                            1, UINT32_MAX, {}, bad_count,
                            "debates in flight at once; unset = all that fit the memory budget")),
    integer(id::benchmark_agents, "agents", {}, "--agents", defaults::benchmark_agents,
            defaults::min_agents, defaults::max_agents, {}, bad_count,
            "mock agents per benchmark debate"),
    without_default(setting{id::benchmark_duration_s, "duration", {}, "--duration",
                            value_kind::real, true, 0, {}, 0, max_ms / 1000, true, false, "s",
                            bad_duration,
                            "sustained benchmark: --concurrent in flight this long; unset = off",
                            {}}),
}};

// The table is indexed by id: a row out of place would check the wrong limits.
constexpr bool in_order() {
  for (size_t i = 0; i < table.size(); ++i)
    if (static_cast<size_t>(table[i].which) != i) return false;
  return true;
}
static_assert(in_order(), "the rows of the settings table must follow the order of settings::id");

std::string label(const setting& s) {
  std::string out{s.name};
  if (s.key.empty() && s.flag.empty()) return out;
  out += " (";
  out += s.key;
  if (!s.key.empty() && !s.flag.empty()) out += ", ";
  out += s.flag;
  return out + ")";
}

std::string shortest(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string{buf, end} : std::string{"?"};
}

// Quoted values are cut: a message must not carry a whole file back.
std::string quoted_text(std::string_view text) {
  constexpr size_t max = 64;
  if (text.size() <= max) return std::string{text};
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return std::string{text.substr(0, n)} + "...";
}

refusal refuse(const setting& s, std::string_view got) {
  bool listed = s.kind == value_kind::boolean || s.kind == value_kind::text;
  std::string what = listed ? "one of " : "within ";
  return refusal{s.code, label(s) + " must be " + what + format_range(s) + ", got " +
                             (got.empty() ? std::string{"nothing"} : quoted_text(got))};
}

bool in_range(const setting& s, double v) {
  if (!std::isfinite(v)) return false;
  if (s.min_open ? !(v > s.min) : !(v >= s.min)) return false;
  if (s.max_open ? !(v < s.max) : !(v <= s.max)) return false;
  return true;
}

std::optional<int64_t> read_integer(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t v;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<double> read_real(std::string_view text, bool fraction) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (auto slash = text.find('/'); fraction && slash != std::string_view::npos) {
    auto num = read_integer(text.substr(0, slash));
    auto den = read_integer(text.substr(slash + 1));
    if (!num || !den || *num < 0 || *den <= 0) return std::nullopt;
    return static_cast<double>(*num) / static_cast<double>(*den);
  }
  double v;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<bool> read_bool(std::string_view text) {
  for (std::string_view t : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
    if (text == t) return true;
  for (std::string_view f : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
    if (text == f) return false;
  return std::nullopt;
}

bool is_choice(const setting& s, std::string_view text) {
  std::string_view rest = s.choices;
  while (!rest.empty()) {
    auto bar = rest.find('|');
    if (rest.substr(0, bar) == text) return true;
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  return false;
}

}  // namespace

std::span<const setting> all() {
  return table;
}

const setting& get(id x) {
  return table[static_cast<size_t>(x)];
}

const setting* find_key(std::string_view key) {
  if (key.empty()) return nullptr;
  for (const auto& s : table)
    if (s.key == key) return &s;
  return nullptr;
}

refusal refuse(id x, std::string_view got) {
  return refuse(get(x), got);
}

std::optional<refusal> check(id x, int64_t v) {
  const auto& s = get(x);
  if (s.kind == value_kind::integer) {
    // Bounds are whole numbers below 2^53: exact as int64.
    if (v < static_cast<int64_t>(s.min) || v > static_cast<int64_t>(s.max))
      return refuse(s, std::to_string(v));
    return std::nullopt;
  }
  return check(x, static_cast<double>(v));
}

std::optional<refusal> check(id x, double v) {
  const auto& s = get(x);
  if (s.kind == value_kind::integer) {
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9e15)
      return refuse(s, shortest(v));
    return check(x, static_cast<int64_t>(v));
  }
  if (s.kind == value_kind::boolean || s.kind == value_kind::text) return refuse(s, shortest(v));
  if (!in_range(s, v)) return refuse(s, shortest(v));
  return std::nullopt;
}

std::variant<value, refusal> parse(id x, std::string_view text) {
  const auto& s = get(x);
  switch (s.kind) {
    case value_kind::integer: {
      auto v = read_integer(text);
      if (!v) return refuse(s, text);
      if (auto r = check(x, *v)) return *r;
      return value{*v};
    }
    case value_kind::real:
    case value_kind::share: {
      auto v = read_real(text, s.kind == value_kind::share);
      if (!v || !in_range(s, *v)) return refuse(s, text);
      return value{*v};
    }
    case value_kind::boolean: {
      auto v = read_bool(text);
      if (!v) return refuse(s, text);
      return value{*v};
    }
    case value_kind::text:
      if (!s.choices.empty() && !is_choice(s, text)) return refuse(s, text);
      return value{std::string{text}};
  }
  return refuse(s, text);
}

std::string format_number(const setting& s, double v) {
  // Whole numbers in digits: to_chars' shortest form of 1000000 is "1e+06".
  if (std::fabs(v) < 9e15 && v == std::floor(v))
    return std::to_string(static_cast<int64_t>(v));
  auto text = shortest(v);
  if (s.kind != value_kind::share) return text;
  auto dot = text.find('.');
  if (dot == std::string::npos || text.size() - dot - 1 <= 6) return text;
  for (int64_t den = 2; den <= 1000; ++den) {
    auto num = static_cast<int64_t>(std::llround(v * static_cast<double>(den)));
    if (static_cast<double>(num) / static_cast<double>(den) == v)
      return std::to_string(num) + "/" + std::to_string(den);
  }
  return text;
}

std::string format_default(const setting& s) {
  if (!s.has_default) return {};
  switch (s.kind) {
    case value_kind::boolean: return s.def != 0 ? "true" : "false";
    case value_kind::text: return std::string{s.def_text};
    default: return format_number(s, s.def);
  }
}

std::string format_range(const setting& s) {
  std::string out;
  switch (s.kind) {
    case value_kind::integer:
      out = format_number(s, s.min) + ".." + format_number(s, s.max);
      break;
    case value_kind::real:
    case value_kind::share:
      out = std::string{s.min_open ? "(" : "["} + format_number(s, s.min) + ", " +
            format_number(s, s.max) +
            (s.max_open ? ")" : "]");
      break;
    case value_kind::boolean: return "true, false";
    case value_kind::text: {
      if (s.choices.empty()) return "any text";
      std::string_view rest = s.choices;
      for (auto bar = rest.find('|'); bar != std::string_view::npos; bar = rest.find('|')) {
        out.append(rest.substr(0, bar)).append(", ");
        rest.remove_prefix(bar + 1);
      }
      return out.append(rest);
    }
  }
  if (!s.unit.empty()) out.append(" ").append(s.unit);
  return out;
}

namespace {

// YAML for a text value: plain when that reads back as the same string, quoted otherwise.
std::string yaml_text(std::string_view v) {
  bool plain = !v.empty();
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '/' ||
          c == '.'))
      plain = false;
  if (plain) return std::string{v};
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string example_yaml() {
  std::string out =
      "# One node on this machine: every setting at its default, with its range and meaning.\n"
      "# Every key is optional; unknown keys are refused, so a typo cannot pass silently.\n"
      "# Generated from the table of runtime/settings (a test checks it is exactly the output):\n"
      "#   aragora config defaults > cluster-config/single-node.yaml\n";
  // The sections open so far: "storage", "retention" for storage.retention.*.
  std::vector<std::string_view> open;
  for (const auto& s : table) {
    if (s.key.empty()) continue;
    std::vector<std::string_view> parts;
    std::string_view rest = s.key;
    for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
      parts.push_back(rest.substr(0, dot));
      rest.remove_prefix(dot + 1);
    }
    size_t same = 0;
    while (same < open.size() && same < parts.size() && open[same] == parts[same]) ++same;
    open.resize(same);
    for (size_t i = same; i < parts.size(); ++i) {
      out.append(2 * i, ' ').append(parts[i]).append(":\n");
      open.push_back(parts[i]);
    }
    auto value = s.kind == value_kind::text ? yaml_text(format_default(s)) : format_default(s);
    std::string indent(2 * parts.size(), ' ');
    out += indent + "# " + std::string{s.meaning} + "; accepted: " + format_range(s) + "\n";
    out += indent + std::string{rest} + ": " + value + "\n";
  }
  return out;
}

}  // namespace aragora::settings
