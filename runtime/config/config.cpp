#include "runtime/config/config.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "runtime/base/defaults.hpp"
#include "runtime/base/files/read_file.hpp"
#include "runtime/base/settings/settings.hpp"
#include "runtime/base/text/utf8.hpp"

namespace aragora::config {

node_config::node_config()
    : rounds(defaults::rounds),
      consensus_threshold(defaults::consensus_threshold),
      budget_usd(defaults::budget_usd),
      convergence_threshold(defaults::convergence_threshold),
      max_judges(defaults::max_judges),
      agent_timeout(defaults::agent_timeout),
      phase_grace(defaults::phase_grace),
      seed(defaults::seed),
      mock{defaults::mock_message_bytes, defaults::mock_latency_ms, defaults::mock_fail_rate},
      timer_tick(defaults::timer_tick),
      timer_slots(defaults::timer_wheel_slots),
      scheduler_threads(defaults::scheduler_threads),
      scheduler_policy(defaults::scheduler_policy),
      agent_workers(defaults::agent_workers),
      memory_budget_bytes(defaults::memory_budget_mb << 20),
      memory_budget_fraction(defaults::memory_budget_fraction),
      alerts{defaults::alert_debate_duration_warn_s, defaults::alert_debate_duration_crit_s,
             defaults::alert_queue_depth_warn,       defaults::alert_queue_depth_crit,
             defaults::alert_memory_warn_pct,        defaults::alert_memory_crit_pct},
      benchmark_warmup(defaults::benchmark_warmup_debates),
      memory_enabled(defaults::memory_enabled),
      recall_k(defaults::memory_recall_k),
      elo_initial(defaults::elo_initial),
      elo_k(defaults::elo_k),
      calibration_min(defaults::calibration_min_predictions),
      data_dir(defaults::data_dir),
      retention(storage::retention_policy::defaults()),
      sweep_interval(defaults::retention_sweep_interval),
      db_breaker_failures(defaults::db_breaker_failures),
      db_breaker_recovery(defaults::db_breaker_recovery),
      storage_min_free_bytes(defaults::storage_min_free_bytes),
      backup_dir(defaults::backup_dir),
      backup_keep(defaults::backup_keep),
      edge{defaults::edge_host,      defaults::edge_port,
           defaults::edge_ws_port,   defaults::edge_io_threads,
           "",                       defaults::edge_rate_limit_per_s,
           defaults::edge_rate_limit_burst, "", {}} {}

std::string_view to_string(config_errc x) {
  switch (x) {
    case config_errc::unreadable: return "config_unreadable";
    case config_errc::malformed: return "config_malformed";
    case config_errc::unknown_key: return "config_unknown_key";
    case config_errc::bad_value: return "config_bad_value";
    case config_errc::too_large: return "config_too_large";
    case config_errc::duplicate_key: return "config_duplicate_key";
    case config_errc::invalid_utf8: return "config_invalid_utf8";
  }
  return "unknown";
}

std::string_view code_of(const config_error& e) { return e.code_name(); }

namespace {

using settings::id;

int64_t whole(const settings::value& v) { return std::get<int64_t>(v); }
double number(const settings::value& v) {
  return std::holds_alternative<int64_t>(v) ? static_cast<double>(std::get<int64_t>(v))
                                            : std::get<double>(v);
}
uint32_t u32(const settings::value& v) { return static_cast<uint32_t>(whole(v)); }
std::chrono::milliseconds millis(const settings::value& v) {
  return std::chrono::milliseconds{whole(v)};
}
std::chrono::seconds secs(const settings::value& v) { return std::chrono::seconds{whole(v)}; }
uint64_t mib(const settings::value& v) { return static_cast<uint64_t>(whole(v)) << 20; }

constexpr int64_t day_s = 24 * 3600;

/// Stores a value settings::parse accepted (so of the setting's kind and within its range) into
/// its field. Returns false for a setting that has no YAML key.
bool assign(id x, const settings::value& v, node_config& c) {
  auto& m = c.machine;
  auto keep = [&](int64_t unit_s, std::initializer_list<storage::cf> families) {
    for (auto f : families) c.retention.set(f, whole(v) * unit_s);
    return true;
  };
  using storage::cf;
  switch (x) {
    case id::rounds: c.rounds = u32(v); return true;
    case id::consensus_threshold: c.consensus_threshold = number(v); return true;
    case id::budget_usd: c.budget_usd = number(v); return true;
    case id::compression: c.llm.compression = std::get<bool>(v); return true;
    case id::summariser: c.llm.summariser = std::get<std::string>(v); return true;
    case id::supermajority_threshold: m.supermajority = number(v); return true;
    case id::min_participation: m.min_participation = u32(v); return true;
    case id::participation_ratio: m.participation_ratio = number(v); return true;
    case id::convergence_threshold: c.convergence_threshold = number(v); return true;
    case id::divergence_threshold: m.divergence_threshold = number(v); return true;
    case id::max_judges: c.max_judges = u32(v); return true;
    case id::agent_timeout_ms: c.agent_timeout = millis(v); return true;
    case id::phase_grace_ms: c.phase_grace = millis(v); return true;
    case id::seed: c.seed = u32(v); return true;
    case id::approve_confidence: m.approve_confidence = number(v); return true;
    case id::review_confidence: m.review_confidence = number(v); return true;
    case id::mock_message_bytes: c.mock.message_bytes = u32(v); return true;
    case id::mock_latency_ms: c.mock.latency_ms = u32(v); return true;
    case id::mock_fail_rate: c.mock.fail_rate = number(v); return true;
    case id::timer_tick_ms: c.timer_tick = millis(v); return true;
    case id::timer_wheel_slots: c.timer_slots = u32(v); return true;
    case id::scheduler_threads: c.scheduler_threads = u32(v); return true;
    case id::scheduler_policy: c.scheduler_policy = std::get<std::string>(v); return true;
    case id::agent_workers: c.agent_workers = u32(v); return true;
    case id::cli_max_running: c.llm.cli_max_running = u32(v); return true;
    case id::memory_budget_mb: c.memory_budget_bytes = mib(v); return true;
    case id::memory_budget_fraction: c.memory_budget_fraction = number(v); return true;
    case id::alert_debate_duration_warn_s:
      c.alerts.debate_duration_warn_s = number(v);
      return true;
    case id::alert_debate_duration_crit_s:
      c.alerts.debate_duration_crit_s = number(v);
      return true;
    case id::alert_queue_depth_warn: c.alerts.queue_depth_warn = number(v); return true;
    case id::alert_queue_depth_crit: c.alerts.queue_depth_crit = number(v); return true;
    case id::alert_memory_warn_pct: c.alerts.memory_warn_pct = number(v); return true;
    case id::alert_memory_crit_pct: c.alerts.memory_crit_pct = number(v); return true;
    case id::benchmark_warmup_debates: c.benchmark_warmup = u32(v); return true;
    case id::data_dir: c.data_dir = std::get<std::string>(v); return true;
    case id::sweep_interval_s: c.sweep_interval = secs(v); return true;
    case id::db_breaker_failures: c.db_breaker_failures = u32(v); return true;
    case id::db_breaker_recovery_s: c.db_breaker_recovery = secs(v); return true;
    case id::min_free_mb: c.storage_min_free_bytes = mib(v); return true;
    case id::backup_dir: c.backup_dir = std::get<std::string>(v); return true;
    case id::backup_keep: c.backup_keep = u32(v); return true;
    case id::retention_debates_days: return keep(day_s, {cf::debates, cf::debate_events, cf::debate_index, cf::placements});
    case id::retention_critiques_days: return keep(day_s, {cf::critiques});
    case id::retention_evidence_days: return keep(day_s, {cf::evidence, cf::evidence_by_hash});
    case id::retention_consensus_days: return keep(day_s, {cf::consensus});
    case id::retention_audit_days: return keep(day_s, {cf::audit});
    case id::memory_enabled: c.memory_enabled = std::get<bool>(v); return true;
    case id::recall_k: c.recall_k = u32(v); return true;
    case id::memory_fast_retention_hours: return keep(3600, {cf::memory_fast});
    case id::memory_medium_retention_hours: return keep(3600, {cf::memory_medium});
    case id::memory_slow_retention_hours: return keep(3600, {cf::memory_slow});
    case id::memory_glacial_retention_hours: return keep(3600, {cf::memory_glacial});
    case id::elo_initial: c.elo_initial = number(v); return true;
    case id::elo_k: c.elo_k = number(v); return true;
    case id::calibration_min_predictions: c.calibration_min = u32(v); return true;
    case id::write_timeout_ms: c.supervision.write_timeout = millis(v); return true;
    case id::cluster_heartbeat_interval_ms: c.cluster.heartbeat_interval = millis(v); return true;
    case id::cluster_heartbeat_timeout_ms: c.cluster.heartbeat_timeout = millis(v); return true;
    case id::cluster_replication_factor: c.cluster.replication_factor = u32(v); return true;
    case id::hold_limit_s: c.supervision.hold_limit = secs(v); return true;
    case id::restart_base_ms: c.supervision.restart_base = millis(v); return true;
    case id::restart_cap_ms: c.supervision.restart_cap = millis(v); return true;
    case id::restart_stable_after_ms: c.supervision.stable_after = millis(v); return true;
    case id::restart_breaker_failures: c.supervision.breaker_failures = u32(v); return true;
    case id::restart_breaker_recovery_ms: c.supervision.breaker_recovery = millis(v); return true;
    case id::probe_interval_ms: c.supervision.probe_interval = millis(v); return true;
    case id::probe_timeout_ms: c.supervision.probe_timeout = millis(v); return true;
    case id::edge_host: c.edge.host = std::get<std::string>(v); return true;
    case id::edge_port: c.edge.port = static_cast<uint16_t>(u32(v)); return true;
    case id::edge_ws_port: c.edge.ws_port = static_cast<uint16_t>(u32(v)); return true;
    case id::edge_io_threads: c.edge.io_threads = u32(v); return true;
    case id::edge_token_file: c.edge.token_file = std::get<std::string>(v); return true;
    case id::edge_rate_limit_per_s: c.edge.rate_limit_per_s = number(v); return true;
    case id::edge_rate_limit_burst: c.edge.rate_limit_burst = u32(v); return true;
    case id::edge_cors_origin: c.edge.cors_origin = std::get<std::string>(v); return true;
    // Limits of a request, not node configuration.
    case id::question_chars:
    case id::benchmark_debates:
    case id::benchmark_concurrent:
    case id::benchmark_agents:
    case id::benchmark_duration_s: return false;
  }
  return false;
}

/// edge.tokens: a list of {name, role, sha256}, each a string; what they hold is checked by the
/// edge when it loads them.
std::optional<config_error> read_tokens(const YAML::Node& list, std::vector<token_entry>& out) {
  auto bad = [](std::string why) {
    return config_error{config_errc::bad_value,
                        "edge.tokens " + std::move(why) +
                            " (a list of {name: NAME, role: read|write|admin, sha256: HEX}; "
                            "`aragora hash-token` prints the digest)",
                        "config_bad_tokens"};
  };
  if (!list.IsSequence()) return bad("must be a list");
  out.clear();
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& item = list[i];
    auto at = "entry " + std::to_string(i + 1);
    if (!item.IsMap()) return bad(at + " must be a mapping");
    token_entry e;
    for (const auto& kv : item) {
      auto field = kv.first.as<std::string>();
      std::string* into = field == "name" ? &e.name : field == "role" ? &e.role
                        : field == "sha256" ? &e.sha256 : nullptr;
      if (!into) return bad(at + " has an unknown field '" + field + "'");
      if (!kv.second.IsScalar()) return bad(at + ": '" + field + "' must be a string");
      *into = kv.second.Scalar();
    }
    if (e.name.empty() || e.role.empty() || e.sha256.empty())
      return bad(at + " needs name, role and sha256");
    out.push_back(std::move(e));
  }
  return std::nullopt;
}

// providers: {openai: {api_key: ..., base_url: ..., ...}, anthropic: {...}}
std::optional<config_error> read_providers(const YAML::Node& map, agent::llm_options& out) {
  auto bad = [](std::string why) {
    return config_error{config_errc::bad_value,
                        "providers" + std::move(why) +
                            " (providers.<openai|anthropic|openrouter|ollama>: api_key or api_keys, "
                            "base_url, price_per_1k_in, price_per_1k_out, max_concurrency, stream)",
                        "config_bad_providers"};
  };
  if (!map.IsMap()) return bad(" must be a mapping");
  for (const auto& kv : map) {
    auto name = kv.first.as<std::string>();
    if (!agent::is_llm_provider(name)) return bad(": unknown provider '" + name + "'");
    if (out.find(name)) return bad("." + name + " appears twice");
    if (!kv.second.IsMap()) return bad("." + name + " must be a mapping");
    agent::llm_provider_options p;
    p.name = name;
    for (const auto& f : kv.second) {
      auto field = f.first.as<std::string>();
      auto at = "." + name + "." + field;
      if (field == "api_keys") {
        if (!f.second.IsSequence()) return bad(at + " must be a list");
        for (const auto& k : f.second) {
          if (!k.IsScalar() || !agent::valid_api_key(k.Scalar()))
            return bad(at + " holds a key that is empty or has spaces or control characters");
          p.api_keys.push_back(k.Scalar());
        }
        continue;
      }
      if (!f.second.IsScalar()) return bad(at + " must be a value");
      const auto& v = f.second.Scalar();
      try {
        if (field == "api_key") {
          if (!agent::valid_api_key(v)) return bad(at + " is empty or has spaces or control characters");
          p.api_keys.insert(p.api_keys.begin(), v);
        } else if (field == "base_url") {
          p.base_url = v;
        } else if (field == "price_per_1k_in" || field == "price_per_1k_out") {
          size_t used = 0;
          double d = std::stod(v, &used);
          if (used != v.size() || !(d >= 0) || d > 1000) return bad(at + " is USD per 1,000 tokens, 0..1000");
          (field == "price_per_1k_in" ? p.price_per_1k_in : p.price_per_1k_out) = d;
        } else if (field == "max_concurrency") {
          size_t used = 0;
          auto n = std::stoul(v, &used);
          if (used != v.size() || n < 1 || n > 100'000) return bad(at + " is 1..100000");
          p.max_concurrency = static_cast<uint32_t>(n);
        } else if (field == "stream") {
          if (v != "true" && v != "false") return bad(at + " is true or false");
          p.stream = v == "true";
        } else {
          return bad(": unknown field '" + field + "' of " + name);
        }
      } catch (const std::exception&) {
        return bad(at + " is not a number");
      }
    }
    out.providers.push_back(std::move(p));
  }
  return std::nullopt;
}

/// 1..64 characters of [A-Za-z0-9._-]: a name that is safe in paths, logs and metric labels.
bool is_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// cli_agents: {reviewer: {command: "python3 review.py", timeout_ms: 60000}, ...}
std::optional<config_error> read_cli_agents(const YAML::Node& map, agent::llm_options& out) {
  auto bad = [](std::string why) {
    return config_error{config_errc::bad_value,
                        "cli_agents" + std::move(why) +
                            " (cli_agents.<name>: command, and optionally timeout_ms; name of [A-Za-z0-9._-])",
                        "config_bad_cli_agents"};
  };
  if (!map.IsMap()) return bad(" must be a mapping");
  for (const auto& kv : map) {
    auto name = kv.first.as<std::string>();
    if (!is_name(name)) return bad(": '" + name + "' is not a valid name");
    if (out.find_cli(name)) return bad("." + name + " appears twice");
    if (!kv.second.IsMap()) return bad("." + name + " must be a mapping");
    agent::cli_agent_options a;
    a.name = name;
    for (const auto& f : kv.second) {
      auto field = f.first.as<std::string>();
      auto at = "." + name + "." + field;
      if (!f.second.IsScalar()) return bad(at + " must be a value");
      const auto& v = f.second.Scalar();
      if (field == "command") {
        if (v.empty() || v.size() > 4096 || v.find('\0') != std::string::npos)
          return bad(at + " must be a command line of 1..4096 characters");
        a.command = v;
      } else if (field == "timeout_ms") {
        try {
          size_t used = 0;
          auto n = std::stoull(v, &used);
          if (used != v.size() || n < 1 || n > 86'400'000) return bad(at + " is 1..86400000 ms");
          a.timeout = std::chrono::milliseconds{n};
        } catch (const std::exception&) {
          return bad(at + " is not a number");
        }
      } else {
        return bad(": unknown field '" + field + "' of " + name);
      }
    }
    if (a.command.empty()) return bad("." + name + " has no command");
    out.cli_agents.push_back(std::move(a));
  }
  return std::nullopt;
}

// prompts: {system: ..., propose: ..., critique: ..., revise: ..., vote: ..., judge: ...}; the
// placeholders are checked where the templates are built (agent::templates_with).
std::optional<config_error> read_prompts(const YAML::Node& map, agent::prompt_overrides& out) {
  auto bad = [](std::string why) {
    return config_error{config_errc::bad_value,
                        "prompts" + std::move(why) + " (prompts.<system|propose|critique|revise|vote|judge|summarise>: a template)",
                        "config_bad_prompt"};
  };
  if (!map.IsMap()) return bad(" must be a mapping");
  std::set<std::string> seen;
  for (const auto& kv : map) {
    auto field = kv.first.as<std::string>();
    if (!seen.insert(field).second) return bad("." + field + " appears twice");
    std::string* into = field == "system"     ? &out.system
                        : field == "propose"  ? &out.propose
                        : field == "critique" ? &out.critique
                        : field == "revise"   ? &out.revise
                        : field == "vote"     ? &out.vote
                        : field == "judge"    ? &out.judge
                        : field == "summarise" ? &out.summarise
                                              : nullptr;
    if (!into) return bad(": unknown phase '" + field + "'");
    if (!kv.second.IsScalar() || kv.second.Scalar().empty()) return bad("." + field + " must be a text");
    if (kv.second.Scalar().size() > 16 * 1024) return bad("." + field + " is longer than 16 KiB");
    *into = kv.second.Scalar();
  }
  return std::nullopt;
}

// cluster.nodes: a list of {name, host, actor_port, http_port, ws_port, roles, data_dir}. Each
// refusal names the line and the field, so a file of many nodes says where it went wrong.
std::optional<config_error> read_cluster_nodes(const YAML::Node& list, cluster_config& out) {
  auto bad = [](const YAML::Node& at, const std::string& field, const std::string& why) {
    return config_error{config_errc::bad_value,
                        "line " + std::to_string(at.Mark().line + 1) + ": " + field + " " + why,
                        "config_bad_cluster"};
  };
  if (!list.IsSequence()) return bad(list, "cluster.nodes", "must be a list of nodes");
  if (list.size() > defaults::max_cluster_nodes)
    return bad(list, "cluster.nodes", "has more than " + std::to_string(defaults::max_cluster_nodes) + " nodes");
  static const std::set<std::string> known_roles{"edge", "worker", "journal", "ranking"};
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& n = list[i];
    auto at = "cluster.nodes[" + std::to_string(i) + "]";
    if (!n.IsMap()) return bad(n, at, "must be a mapping (name, host, actor_port, roles, ...)");
    cluster_node node;
    node.line = n.Mark().line + 1;
    std::set<std::string> seen;
    for (const auto& kv : n) {
      auto field = kv.first.as<std::string>();
      auto where = at + "." + field;
      if (!seen.insert(field).second) return bad(kv.first, where, "appears twice");
      const auto& v = kv.second;
      auto port = [&](uint16_t& into) -> std::optional<config_error> {
        uint64_t p = 0;
        const auto& t = v.IsScalar() ? v.Scalar() : std::string{};
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), p);
        if (t.empty() || ec != std::errc{} || end != t.data() + t.size() || p < 1 || p > 65535)
          return bad(v, where, "must be a port, 1..65535");
        into = static_cast<uint16_t>(p);
        return std::nullopt;
      };
      if (field == "name") {
        if (!v.IsScalar() || !is_name(v.Scalar()))
          return bad(v, where, "must be 1..64 characters of [A-Za-z0-9._-]");
        node.name = v.Scalar();
      } else if (field == "host") {
        if (!v.IsScalar() || v.Scalar().empty() || v.Scalar().size() > 253)
          return bad(v, where, "must be a host name or address");
        node.host = v.Scalar();
      } else if (field == "actor_port") {
        if (auto e = port(node.actor_port)) return e;
      } else if (field == "http_port") {
        if (auto e = port(node.http_port)) return e;
      } else if (field == "ws_port") {
        if (auto e = port(node.ws_port)) return e;
      } else if (field == "data_dir") {
        if (!v.IsScalar() || v.Scalar().size() > 4096) return bad(v, where, "must be a path");
        node.data_dir = v.Scalar();
      } else if (field == "roles") {
        if (!v.IsSequence() || v.size() == 0)
          return bad(v, where, "must be a list of roles (edge, worker, journal, ranking)");
        for (const auto& r : v) {
          if (!r.IsScalar() || !known_roles.count(r.Scalar()))
            return bad(r, where, "has an unknown role '" + (r.IsScalar() ? r.Scalar() : YAML::Dump(r)) +
                                     "' (edge, worker, journal, ranking)");
          if (node.has(r.Scalar())) return bad(r, where, "names '" + r.Scalar() + "' twice");
          node.roles.push_back(r.Scalar());
        }
      } else {
        return bad(kv.first, where, "is not a field of a node (name, host, actor_port, http_port, ws_port, roles, data_dir)");
      }
    }
    if (node.name.empty()) return bad(n, at + ".name", "is missing");
    if (node.actor_port == 0) return bad(n, at + ".actor_port", "is missing");
    if (node.roles.empty()) return bad(n, at + ".roles", "is missing");
    out.nodes.push_back(std::move(node));
  }
  return std::nullopt;
}

/// A cluster file that names nodes must be one this version runs: unique names and ports, one
/// edge that also holds the journal (the edge serves reads from the journal's store), at least one
/// worker, and no worker on the journal (its steps would be durable on one node only).
std::optional<config_error> check_cluster(const cluster_config& c) {
  if (c.nodes.empty()) return std::nullopt;
  auto bad = [](const cluster_node* n, const std::string& why) {
    return config_error{config_errc::bad_value,
                        (n ? "line " + std::to_string(n->line) + ": node '" + n->name + "': " : std::string{"cluster.nodes: "}) + why,
                        "config_bad_cluster"};
  };
  std::set<std::string> names;
  std::map<std::pair<std::string, uint16_t>, std::string> ports;
  const cluster_node* edge = nullptr;
  const cluster_node* journal = nullptr;
  const cluster_node* ranking = nullptr;
  size_t workers = 0;
  for (const auto& n : c.nodes) {
    if (!names.insert(n.name).second) return bad(&n, "the name is used by another node");
    auto take = [&](uint16_t p, const char* what) -> std::optional<config_error> {
      if (p == 0) return std::nullopt;
      auto [it, fresh] = ports.emplace(std::make_pair(n.host, p), n.name + "'s " + what);
      if (!fresh)
        return bad(&n, std::string{what} + " " + std::to_string(p) + " on " + n.host + " is already " + it->second);
      return std::nullopt;
    };
    if (auto e = take(n.actor_port, "actor_port")) return e;
    if (auto e = take(n.http_port, "http_port")) return e;
    if (auto e = take(n.ws_port, "ws_port")) return e;
    if (n.has("edge")) {
      if (edge) return bad(&n, "a second edge: this version runs one edge (it holds the journal)");
      if (n.http_port == 0 || n.ws_port == 0) return bad(&n, "an edge needs http_port and ws_port");
      edge = &n;
    } else if (n.http_port != 0 || n.ws_port != 0) {
      return bad(&n, "http_port and ws_port belong to an edge");
    }
    if (n.has("journal")) {
      if (journal) return bad(&n, "a second journal: this version runs one (docs/scaling.md: partitions)");
      journal = &n;
    }
    if (n.has("ranking")) {
      if (ranking) return bad(&n, "a second ranking: the ratings have one writer per cluster");
      ranking = &n;
    }
    if (n.has("worker")) {
      if (n.has("journal"))
        return bad(&n, "a worker may not be the journal: its steps would be durable on one node only");
      ++workers;
    }
  }
  if (!edge) return bad(nullptr, "no node has the edge role");
  if (!journal) return bad(nullptr, "no node has the journal role");
  if (edge != journal) return bad(edge, "the edge must also hold the journal (it serves reads from the journal's store)");
  if (ranking && ranking != journal) return bad(ranking, "the ranking must be on the journal node (it rates what the journal stores)");
  if (workers == 0) return bad(nullptr, "no node has the worker role");
  if (c.heartbeat_timeout < 2 * c.heartbeat_interval)
    return config_error{config_errc::bad_value,
                        "cluster.heartbeat_timeout_ms (" + std::to_string(c.heartbeat_timeout.count()) +
                            ") must be at least twice cluster.heartbeat_interval_ms (" +
                            std::to_string(c.heartbeat_interval.count()) + ")",
                        "config_bad_cluster"};
  return std::nullopt;
}

// Deeper than any key of the table: an alias cannot make apply() recurse without end.
constexpr int max_depth = 4;

std::optional<config_error> apply(const YAML::Node& node, const std::string& prefix,
                                  node_config& cfg, std::set<std::string>& applied,
                                  int depth = 1) {
  if (depth > max_depth)
    return config_error{config_errc::unknown_key, "unknown configuration section '" + prefix + "'"};
  // yaml-cpp keeps every entry of a mapping, and lookups see only the first of a repeated key:
  // a repeated key would apply twice in document order, silently. Refused instead.
  std::set<std::string> seen;
  for (const auto& kv : node) {
    auto name = kv.first.as<std::string>();
    auto key = prefix + name;
    if (!seen.insert(name).second)
      return config_error{config_errc::duplicate_key, "configuration key '" + key + "' appears twice"};
    if (key == "prompts") {
      if (!applied.insert(key).second)
        return config_error{config_errc::duplicate_key, "configuration key '" + key + "' appears twice"};
      if (auto err = read_prompts(kv.second, cfg.llm.prompts)) return err;
      continue;
    }
    if (key == "cli_agents") {
      if (!applied.insert(key).second)
        return config_error{config_errc::duplicate_key, "configuration key '" + key + "' appears twice"};
      if (auto err = read_cli_agents(kv.second, cfg.llm)) return err;
      continue;
    }
    if (key == "providers") {
      if (!applied.insert(key).second)
        return config_error{config_errc::duplicate_key, "configuration key '" + key + "' appears twice"};
      if (auto err = read_providers(kv.second, cfg.llm)) return err;
      continue;
    }
    if (kv.second.IsMap()) {
      if (auto err = apply(kv.second, key + ".", cfg, applied, depth + 1)) return err;
      continue;
    }
    if (key == "cluster.nodes") {
      if (!applied.insert(key).second)
        return config_error{config_errc::duplicate_key, "configuration key '" + key + "' appears twice"};
      if (auto err = read_cluster_nodes(kv.second, cfg.cluster)) return err;
      continue;
    }
    if (key == "edge.tokens") {
      if (!applied.insert(key).second)
        return config_error{config_errc::duplicate_key, "configuration key '" + key + "' appears twice"};
      if (auto err = read_tokens(kv.second, cfg.edge.tokens)) return err;
      continue;
    }
    // The same setting nested and dotted (`debate: {rounds: 2}` and `debate.rounds: 5`).
    if (!applied.insert(key).second)
      return config_error{config_errc::duplicate_key, "configuration key '" + key + "' appears twice"};
    const auto* s = settings::find_key(key);
    if (!s)
      return config_error{config_errc::unknown_key, "unknown configuration key '" + key + "'"};
    // The table reads and range-checks the value: the same code and message as its CLI flag.
    auto parsed = kv.second.IsScalar()
                      ? settings::parse(s->which, kv.second.Scalar())
                      : std::variant<settings::value, settings::refusal>{
                            settings::refuse(s->which, YAML::Dump(kv.second))};
    if (auto* r = std::get_if<settings::refusal>(&parsed))
      return config_error{config_errc::bad_value, std::move(r->message), r->code};
    if (!assign(s->which, std::get<settings::value>(parsed), cfg))
      return config_error{config_errc::unknown_key, "unknown configuration key '" + key + "'"};
  }
  return std::nullopt;
}

/// Parser events, ignored: only whether the parser finds a document matters.
class no_events : public YAML::EventHandler {
public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

/// Whether the text holds more than one document (or junk after the first). Not YAML::LoadAll:
/// yaml-cpp 0.7 loops there without end, allocating, on input such as "{a: b}, c}" (found by
/// fuzz_config); a parser asked twice cannot loop.
bool more_than_one_document(const std::string& text) {
  std::istringstream in{text};
  YAML::Parser parser{in};
  no_events ignore;
  return parser.HandleNextDocument(ignore) && parser.HandleNextDocument(ignore);
}

/// Values that are each in range but wrong together.
std::optional<config_error> cross_check(const node_config& c) {
  if (auto err = check_cluster(c.cluster)) return err;
  if (!c.llm.summariser.empty()) {
    auto colon = c.llm.summariser.find(':');
    auto provider = c.llm.summariser.substr(0, colon);
    if (colon == std::string::npos || colon + 1 == c.llm.summariser.size() || !agent::is_llm_provider(provider))
      return config_error{config_errc::bad_value,
                          "debate.summariser must be provider:MODEL of openai, anthropic, openrouter or ollama, got '" +
                              c.llm.summariser + "'",
                          "config_bad_summariser"};
  }
  auto shortest = std::min(c.agent_timeout, c.phase_grace);
  if (c.timer_tick > shortest)
    return config_error{config_errc::bad_value,
                        "timer.tick_ms (" + std::to_string(c.timer_tick.count()) +
                            ") must not exceed debate.agent_timeout_ms or debate.phase_grace_ms (" +
                            std::to_string(shortest.count()) + ")"};
  return std::nullopt;
}

}  // namespace

config_result parse_config(std::string_view yaml) {
  node_config cfg;
  if (yaml.size() > defaults::max_config_bytes)
    return config_error{config_errc::too_large,
                        "the configuration is larger than " +
                            std::to_string(defaults::max_config_bytes >> 10) + " KiB"};
  // yaml-cpp passes raw bytes through into strings unchecked. (UTF-16/32 files are refused too.)
  if (auto at = text::utf8_invalid_at(yaml); at != text::utf8_valid)
    return config_error{config_errc::invalid_utf8, "the configuration is not valid UTF-8 (byte " +
                                                       std::to_string(at + 1) + ")"};
  std::string text{yaml};
  YAML::Node root;
  try {
    root = YAML::Load(text);
    // YAML::Load reads the first document and ignores the rest.
    if (more_than_one_document(text))
      return config_error{config_errc::malformed,
                          "the configuration must be one YAML document; more follows the first"};
  } catch (const YAML::Exception& e) {
    return config_error{config_errc::malformed, std::string{"malformed YAML: "} + e.what()};
  }
  if (root.IsNull()) return cfg;
  if (!root.IsMap())
    return config_error{config_errc::malformed, "the configuration must be a YAML mapping"};
  try {
    std::set<std::string> applied;
    if (auto err = apply(root, "", cfg, applied)) return *err;
  } catch (const YAML::Exception& e) {
    return config_error{config_errc::malformed, std::string{"malformed YAML: "} + e.what()};
  }
  if (auto err = cross_check(cfg)) return *err;
  return cfg;
}

config_result load_config(const std::string& path) {
  auto text = files::read_file(path, defaults::max_config_bytes);
  if (!text)
    return config_error{text.code() == files::read_errc::too_large ? config_errc::too_large
                                                                   : config_errc::unreadable,
                        "cannot read configuration file " + text.error().message};
  return parse_config(*text);
}

std::optional<settings::value> setting_value(settings::id x, const node_config& c) {
  using v = settings::value;
  auto i = [](auto n) { return v{static_cast<int64_t>(n)}; };
  auto days = [&](storage::cf f) { return i(c.retention.of(f) / day_s); };
  auto hours = [&](storage::cf f) { return i(c.retention.of(f) / 3600); };
  const auto& m = c.machine;
  switch (x) {
    case id::rounds: return i(c.rounds);
    case id::consensus_threshold: return v{c.consensus_threshold};
    case id::budget_usd: return v{c.budget_usd};
    case id::compression: return v{c.llm.compression};
    case id::summariser: return v{c.llm.summariser};
    case id::supermajority_threshold: return v{m.supermajority};
    case id::min_participation: return i(m.min_participation);
    case id::participation_ratio: return v{m.participation_ratio};
    case id::convergence_threshold: return v{c.convergence_threshold};
    case id::divergence_threshold: return v{m.divergence_threshold};
    case id::max_judges: return i(c.max_judges);
    case id::agent_timeout_ms: return i(c.agent_timeout.count());
    case id::phase_grace_ms: return i(c.phase_grace.count());
    case id::seed: return i(c.seed);
    case id::approve_confidence: return v{m.approve_confidence};
    case id::review_confidence: return v{m.review_confidence};
    case id::mock_message_bytes: return i(c.mock.message_bytes);
    case id::mock_latency_ms: return i(c.mock.latency_ms);
    case id::mock_fail_rate: return v{c.mock.fail_rate};
    case id::timer_tick_ms: return i(c.timer_tick.count());
    case id::timer_wheel_slots: return i(c.timer_slots);
    case id::scheduler_threads: return i(c.scheduler_threads);
    case id::scheduler_policy: return v{c.scheduler_policy};
    case id::agent_workers: return i(c.agent_workers);
    case id::cli_max_running: return i(c.llm.cli_max_running);
    case id::memory_budget_mb: return i(c.memory_budget_bytes >> 20);
    case id::memory_budget_fraction: return v{c.memory_budget_fraction};
    case id::alert_debate_duration_warn_s: return v{c.alerts.debate_duration_warn_s};
    case id::alert_debate_duration_crit_s: return v{c.alerts.debate_duration_crit_s};
    case id::alert_queue_depth_warn: return v{c.alerts.queue_depth_warn};
    case id::alert_queue_depth_crit: return v{c.alerts.queue_depth_crit};
    case id::alert_memory_warn_pct: return v{c.alerts.memory_warn_pct};
    case id::alert_memory_crit_pct: return v{c.alerts.memory_crit_pct};
    case id::benchmark_warmup_debates: return i(c.benchmark_warmup);
    case id::data_dir: return v{c.data_dir};
    case id::sweep_interval_s:
      return i(std::chrono::duration_cast<std::chrono::seconds>(c.sweep_interval).count());
    case id::db_breaker_failures: return i(c.db_breaker_failures);
    case id::db_breaker_recovery_s:
      return i(std::chrono::duration_cast<std::chrono::seconds>(c.db_breaker_recovery).count());
    case id::min_free_mb: return i(c.storage_min_free_bytes >> 20);
    case id::backup_dir: return v{c.backup_dir};
    case id::backup_keep: return i(c.backup_keep);
    case id::retention_debates_days: return days(storage::cf::debates);
    case id::retention_critiques_days: return days(storage::cf::critiques);
    case id::retention_evidence_days: return days(storage::cf::evidence);
    case id::retention_consensus_days: return days(storage::cf::consensus);
    case id::retention_audit_days: return days(storage::cf::audit);
    case id::memory_enabled: return v{c.memory_enabled};
    case id::recall_k: return i(c.recall_k);
    case id::memory_fast_retention_hours: return hours(storage::cf::memory_fast);
    case id::memory_medium_retention_hours: return hours(storage::cf::memory_medium);
    case id::memory_slow_retention_hours: return hours(storage::cf::memory_slow);
    case id::memory_glacial_retention_hours: return hours(storage::cf::memory_glacial);
    case id::elo_initial: return v{c.elo_initial};
    case id::elo_k: return v{c.elo_k};
    case id::calibration_min_predictions: return i(c.calibration_min);
    case id::write_timeout_ms: return i(c.supervision.write_timeout.count());
    case id::cluster_heartbeat_interval_ms: return i(c.cluster.heartbeat_interval.count());
    case id::cluster_heartbeat_timeout_ms: return i(c.cluster.heartbeat_timeout.count());
    case id::cluster_replication_factor: return i(c.cluster.replication_factor);
    case id::hold_limit_s:
      return i(std::chrono::duration_cast<std::chrono::seconds>(c.supervision.hold_limit).count());
    case id::restart_base_ms: return i(c.supervision.restart_base.count());
    case id::restart_cap_ms: return i(c.supervision.restart_cap.count());
    case id::restart_stable_after_ms: return i(c.supervision.stable_after.count());
    case id::restart_breaker_failures: return i(c.supervision.breaker_failures);
    case id::restart_breaker_recovery_ms: return i(c.supervision.breaker_recovery.count());
    case id::probe_interval_ms: return i(c.supervision.probe_interval.count());
    case id::probe_timeout_ms: return i(c.supervision.probe_timeout.count());
    case id::edge_host: return v{c.edge.host};
    case id::edge_port: return i(c.edge.port);
    case id::edge_ws_port: return i(c.edge.ws_port);
    case id::edge_io_threads: return i(c.edge.io_threads);
    case id::edge_token_file: return v{c.edge.token_file};
    case id::edge_rate_limit_per_s: return v{c.edge.rate_limit_per_s};
    case id::edge_rate_limit_burst: return i(c.edge.rate_limit_burst);
    case id::edge_cors_origin: return v{c.edge.cors_origin};
    case id::question_chars:
    case id::benchmark_debates:
    case id::benchmark_concurrent:
    case id::benchmark_agents:
    case id::benchmark_duration_s: return std::nullopt;
  }
  return std::nullopt;
}

debate::debate_spec default_spec(const node_config& cfg) {
  debate::debate_spec spec;
  spec.rounds = cfg.rounds;
  spec.consensus_threshold = cfg.consensus_threshold;
  spec.budget_usd = cfg.budget_usd;
  spec.convergence_threshold = cfg.convergence_threshold;
  spec.max_judges = cfg.max_judges;
  spec.agent_timeout = cfg.agent_timeout;
  spec.seed = cfg.seed;
  return spec;
}

bool cluster_node::has(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

const cluster_node* cluster_config::find(std::string_view name) const {
  for (const auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

const cluster_node* cluster_config::edge() const {
  for (const auto& n : nodes)
    if (n.has("edge")) return &n;
  return nullptr;
}

}  // namespace aragora::config
