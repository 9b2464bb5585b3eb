#include "runtime/config/config.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "runtime/defaults.hpp"
#include "runtime/files/read_file.hpp"
#include "runtime/text/utf8.hpp"

namespace aragora::config {

node_config::node_config()
    : rounds(defaults::rounds),
      consensus_threshold(defaults::consensus_threshold),
      convergence_threshold(defaults::convergence_threshold),
      max_judges(defaults::max_judges),
      agent_timeout(defaults::agent_timeout),
      phase_grace(defaults::phase_grace),
      seed(defaults::seed),
      timer_tick(defaults::timer_tick),
      timer_slots(defaults::timer_wheel_slots),
      scheduler_threads(0),
      scheduler_policy(defaults::scheduler_policy),
      agent_workers(0),
      memory_budget_bytes(defaults::memory_budget_mb << 20),
      memory_budget_fraction(defaults::memory_budget_fraction),
      alerts{defaults::alert_debate_duration_warn_s, defaults::alert_debate_duration_crit_s,
             defaults::alert_queue_depth_warn,       defaults::alert_queue_depth_crit,
             defaults::alert_memory_warn_pct,        defaults::alert_memory_crit_pct},
      benchmark_warmup(defaults::benchmark_warmup_debates),
      memory_enabled(true),
      recall_k(defaults::memory_recall_k),
      elo_initial(defaults::elo_initial),
      elo_k(defaults::elo_k),
      calibration_min(defaults::calibration_min_predictions),
      data_dir(defaults::data_dir),
      retention(storage::retention_policy::defaults()),
      sweep_interval(defaults::retention_sweep_interval),
      db_breaker_failures(defaults::db_breaker_failures),
      db_breaker_recovery(defaults::db_breaker_recovery),
      storage_min_free_bytes(defaults::storage_min_free_bytes) {}

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

namespace {

using setter = std::function<bool(const YAML::Node&, node_config&)>;

template <class T>
bool read(const YAML::Node& n, T& out) {
  try {
    out = n.as<T>();
    return true;
  } catch (const YAML::Exception&) {
    return false;
  }
}

setter u32(uint32_t node_config::*field, uint32_t lo, uint32_t hi) {
  return [=](const YAML::Node& n, node_config& c) {
    int64_t v;
    if (!read(n, v) || v < lo || v > hi) return false;
    c.*field = static_cast<uint32_t>(v);
    return true;
  };
}

// (0, 1]: debate::validate refuses a threshold of 0, so a config holding one would refuse
// every debate.
setter threshold(double node_config::*field) {
  return [=](const YAML::Node& n, node_config& c) {
    double v;
    if (!read(n, v) || !(v > 0.0 && v <= 1.0)) return false;
    c.*field = v;
    return true;
  };
}

setter machine_unit(double debate::machine_options::*field) {
  return [=](const YAML::Node& n, node_config& c) {
    double v;
    if (!read(n, v) || !(v >= 0.0 && v <= 1.0)) return false;
    c.machine.*field = v;
    return true;
  };
}

constexpr int64_t max_millis = std::chrono::milliseconds{defaults::max_duration}.count();

setter millis(std::chrono::milliseconds node_config::*field) {
  return [=](const YAML::Node& n, node_config& c) {
    int64_t v;
    if (!read(n, v) || v <= 0 || v > max_millis) return false;
    c.*field = std::chrono::milliseconds{v};
    return true;
  };
}

setter alert(double alert_thresholds::*field, double hi) {
  return [=](const YAML::Node& n, node_config& c) {
    double v;
    if (!read(n, v) || !(v >= 0.0 && v <= hi)) return false;
    c.alerts.*field = v;
    return true;
  };
}

// 0 keeps records until deleted.
// Up to 100 years: beyond that expiry times would overflow.
constexpr int64_t max_retention_days = 36'500;

setter retention_days(std::vector<storage::cf> families) {
  return [=](const YAML::Node& n, node_config& c) {
    int64_t v;
    if (!read(n, v) || v < 0 || v > max_retention_days) return false;
    for (auto f : families) c.retention.set(f, v * 24 * 3600);
    return true;
  };
}

setter retention_hours(storage::cf family) {
  return [=](const YAML::Node& n, node_config& c) {
    int64_t v;
    if (!read(n, v) || v < 0 || v > max_retention_days * 24) return false;
    c.retention.set(family, v * 3600);
    return true;
  };
}

const std::map<std::string, setter>& setters() {
  static const std::map<std::string, setter> table{
      {"debate.rounds", u32(&node_config::rounds, defaults::min_rounds, defaults::max_rounds)},
      {"debate.consensus_threshold", threshold(&node_config::consensus_threshold)},
      {"debate.convergence_threshold", threshold(&node_config::convergence_threshold)},
      {"debate.max_judges", u32(&node_config::max_judges, 1, defaults::max_agents)},
      {"debate.agent_timeout_ms", millis(&node_config::agent_timeout)},
      {"debate.phase_grace_ms", millis(&node_config::phase_grace)},
      {"debate.seed", u32(&node_config::seed, 0, UINT32_MAX)},
      {"debate.supermajority_threshold", machine_unit(&debate::machine_options::supermajority)},
      {"debate.participation_ratio", machine_unit(&debate::machine_options::participation_ratio)},
      {"debate.divergence_threshold", machine_unit(&debate::machine_options::divergence_threshold)},
      {"debate.min_participation",
       [](const YAML::Node& n, node_config& c) {
         int64_t v;
         if (!read(n, v) || v < 1 || v > defaults::max_agents) return false;
         c.machine.min_participation = static_cast<uint32_t>(v);
         return true;
       }},
      {"receipt.approve_confidence", machine_unit(&debate::machine_options::approve_confidence)},
      {"receipt.review_confidence", machine_unit(&debate::machine_options::review_confidence)},
      {"mock.message_bytes",
       [](const YAML::Node& n, node_config& c) {
         int64_t v;
         if (!read(n, v) || v < 0 || v > defaults::max_mock_message_bytes) return false;
         c.mock.message_bytes = static_cast<uint32_t>(v);
         return true;
       }},
      {"mock.latency_ms",
       [](const YAML::Node& n, node_config& c) {
         int64_t v;
         if (!read(n, v) || v < 0 || v > 3'600'000) return false;
         c.mock.latency_ms = static_cast<uint32_t>(v);
         return true;
       }},
      {"mock.fail_rate",
       [](const YAML::Node& n, node_config& c) {
         double v;
         if (!read(n, v) || !agent::valid_fail_rate(v)) return false;
         c.mock.fail_rate = v;
         return true;
       }},
      // A tick of hours would hold every deadline and latency that long.
      {"timer.tick_ms",
       [](const YAML::Node& n, node_config& c) {
         int64_t v;
         if (!read(n, v) || v < defaults::min_timer_tick.count() ||
             v > defaults::max_timer_tick.count())
           return false;
         c.timer_tick = std::chrono::milliseconds{v};
         return true;
       }},
      {"timer.wheel_slots", u32(&node_config::timer_slots, 64, 1 << 20)},
      {"runtime.scheduler_threads", u32(&node_config::scheduler_threads, 0, 256)},
      {"runtime.agent_workers", u32(&node_config::agent_workers, 0, 1024)},
      {"runtime.memory_budget_mb",
       [](const YAML::Node& n, node_config& c) {
         int64_t v;
         // Up to 1 PiB: MiB << 20 stays far from overflowing.
         if (!read(n, v) || v < 0 || v > (int64_t{1} << 30)) return false;
         c.memory_budget_bytes = static_cast<uint64_t>(v) << 20;
         return true;
       }},
      {"runtime.memory_budget_fraction",
       [](const YAML::Node& n, node_config& c) {
         double v;
         if (!read(n, v) || !(v > 0.0 && v <= 1.0)) return false;
         c.memory_budget_fraction = v;
         return true;
       }},
      {"runtime.scheduler_policy",
       [](const YAML::Node& n, node_config& c) {
         std::string v;
         if (!read(n, v) || (v != "stealing" && v != "sharing")) return false;
         c.scheduler_policy = v;
         return true;
       }},
      {"alerts.debate_duration_warn_s", alert(&alert_thresholds::debate_duration_warn_s, 1e9)},
      {"alerts.debate_duration_crit_s", alert(&alert_thresholds::debate_duration_crit_s, 1e9)},
      {"alerts.queue_depth_warn", alert(&alert_thresholds::queue_depth_warn, 1e12)},
      {"alerts.queue_depth_crit", alert(&alert_thresholds::queue_depth_crit, 1e12)},
      {"alerts.memory_warn_pct", alert(&alert_thresholds::memory_warn_pct, 100)},
      {"alerts.memory_crit_pct", alert(&alert_thresholds::memory_crit_pct, 100)},
      {"benchmark.warmup_debates", u32(&node_config::benchmark_warmup, 0, 1'000'000)},
      {"memory.enabled",
       [](const YAML::Node& n, node_config& c) { return read(n, c.memory_enabled); }},
      {"memory.recall_k", u32(&node_config::recall_k, 0, 50)},
      {"ranking.initial",
       [](const YAML::Node& n, node_config& c) {
         double v;
         if (!read(n, v) || !(v > 0 && v < 1e6)) return false;
         c.elo_initial = v;
         return true;
       }},
      {"ranking.k_factor",
       [](const YAML::Node& n, node_config& c) {
         double v;
         if (!read(n, v) || !(v > 0 && v <= 400)) return false;
         c.elo_k = v;
         return true;
       }},
      {"ranking.calibration_min_predictions", u32(&node_config::calibration_min, 1, 100000)},
      {"storage.data_dir",
       [](const YAML::Node& n, node_config& c) {
         std::string v;
         if (!read(n, v) || v.empty()) return false;
         c.data_dir = v;
         return true;
       }},
      {"storage.sweep_interval_s",
       [](const YAML::Node& n, node_config& c) {
         int64_t v;
         if (!read(n, v) || v <= 0 || v > 30 * 24 * 3600) return false;
         c.sweep_interval = std::chrono::seconds{v};
         return true;
       }},
      {"storage.breaker_failures", u32(&node_config::db_breaker_failures, 1, 1000)},
      {"storage.breaker_recovery_s",
       [](const YAML::Node& n, node_config& c) {
         int64_t v;
         if (!read(n, v) || v <= 0 || v > 24 * 3600) return false;
         c.db_breaker_recovery = std::chrono::seconds{v};
         return true;
       }},
      {"storage.min_free_mb",
       [](const YAML::Node& n, node_config& c) {
         int64_t v;
         if (!read(n, v) || v < 0 || v > (int64_t{1} << 30)) return false;
         c.storage_min_free_bytes = static_cast<uint64_t>(v) << 20;
         return true;
       }},
      {"storage.retention.debates_days", retention_days({storage::cf::debates, storage::cf::debate_events})},
      {"storage.retention.critiques_days", retention_days({storage::cf::critiques})},
      {"storage.retention.evidence_days", retention_days({storage::cf::evidence, storage::cf::evidence_by_hash})},
      {"storage.retention.consensus_days", retention_days({storage::cf::consensus})},
      {"storage.retention.audit_days", retention_days({storage::cf::audit})},
      {"memory.fast_retention_hours", retention_hours(storage::cf::memory_fast)},
      {"memory.medium_retention_hours", retention_hours(storage::cf::memory_medium)},
      {"memory.slow_retention_hours", retention_hours(storage::cf::memory_slow)},
      {"memory.glacial_retention_hours", retention_hours(storage::cf::memory_glacial)},
  };
  return table;
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
    if (kv.second.IsMap()) {
      if (auto err = apply(kv.second, key + ".", cfg, applied, depth + 1)) return err;
      continue;
    }
    // The same setting nested and dotted (`debate: {rounds: 2}` and `debate.rounds: 5`).
    if (!applied.insert(key).second)
      return config_error{config_errc::duplicate_key, "configuration key '" + key + "' appears twice"};
    const auto& table = setters();
    auto it = table.find(key);
    if (it == table.end())
      return config_error{config_errc::unknown_key, "unknown configuration key '" + key + "'"};
    if (!it->second(kv.second, cfg))
      return config_error{config_errc::bad_value,
                          "invalid value for '" + key + "': " + YAML::Dump(kv.second)};
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
  auto shortest = std::min(c.agent_timeout, c.phase_grace);
  if (c.timer_tick > shortest)
    return config_error{config_errc::bad_value,
                        "timer.tick_ms (" + std::to_string(c.timer_tick.count()) +
                            ") must not exceed debate.agent_timeout_ms or debate.phase_grace_ms (" +
                            std::to_string(shortest.count()) + ")"};
  return std::nullopt;
}

}  // namespace

std::variant<node_config, config_error> parse_config(std::string_view yaml) {
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

std::variant<node_config, config_error> load_config(const std::string& path) {
  auto text = files::read_file(path, defaults::max_config_bytes);
  if (auto* e = std::get_if<files::read_error>(&text))
    return config_error{e->code == files::read_errc::too_large ? config_errc::too_large
                                                               : config_errc::unreadable,
                        "cannot read configuration file " + e->message};
  return parse_config(std::get<std::string>(text));
}

debate::debate_spec default_spec(const node_config& cfg) {
  debate::debate_spec spec;
  spec.rounds = cfg.rounds;
  spec.consensus_threshold = cfg.consensus_threshold;
  spec.convergence_threshold = cfg.convergence_threshold;
  spec.max_judges = cfg.max_judges;
  spec.agent_timeout = cfg.agent_timeout;
  spec.seed = cfg.seed;
  return spec;
}

}  // namespace aragora::config
