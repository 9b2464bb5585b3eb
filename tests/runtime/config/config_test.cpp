#include "runtime/config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>

#include "actors/debate/consensus.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/base/settings/settings.hpp"

namespace aragora::config {
namespace {

node_config ok(std::string_view yaml) {
  auto r = parse_config(yaml);
  if (!r) ADD_FAILURE() << r.error().message;
  return r.value();
}

config_errc err(std::string_view yaml) {
  auto r = parse_config(yaml);
  EXPECT_FALSE(r.ok()) << yaml;
  return r.error().code;
}

TEST(Config, EmptyMeansDefaults) {
  auto c = ok("");
  EXPECT_EQ(c.rounds, defaults::rounds);
  EXPECT_EQ(c.consensus_threshold, defaults::consensus_threshold);
  EXPECT_EQ(c.agent_timeout, defaults::agent_timeout);
  EXPECT_EQ(c.machine.min_participation, defaults::min_participation);
}

TEST(Config, OverridesNestedKeys) {
  auto c = ok(R"(
debate:
  rounds: 5
  consensus_threshold: 0.75
  agent_timeout_ms: 90000
  min_participation: 3
receipt:
  approve_confidence: 0.9
mock:
  latency_ms: 50
  message_bytes: 2048
timer:
  tick_ms: 2
)");
  EXPECT_EQ(c.rounds, 5u);
  EXPECT_EQ(c.consensus_threshold, 0.75);
  EXPECT_EQ(c.agent_timeout, std::chrono::milliseconds{90000});
  EXPECT_EQ(c.machine.min_participation, 3u);
  EXPECT_EQ(c.machine.approve_confidence, 0.9);
  EXPECT_EQ(c.mock.latency_ms, 50u);
  EXPECT_EQ(c.mock.message_bytes, 2048u);
  EXPECT_EQ(c.timer_tick, std::chrono::milliseconds{2});
  auto spec = default_spec(c);
  EXPECT_EQ(spec.rounds, 5u);
}

TEST(Config, RefusesUnknownKeysBadValuesAndMalformedYaml) {
  EXPECT_EQ(err("debate:\n  roundz: 3\n"), config_errc::unknown_key);
  EXPECT_EQ(err("debate:\n  rounds: 13\n"), config_errc::bad_value);
  EXPECT_EQ(err("debate:\n  rounds: three\n"), config_errc::bad_value);
  EXPECT_EQ(err("debate:\n  consensus_threshold: 1.5\n"), config_errc::bad_value);
  // A threshold of 0 would make debate::validate refuse every debate (fuzz_config checks this).
  EXPECT_EQ(err("debate:\n  consensus_threshold: 0\n"), config_errc::bad_value);
  EXPECT_EQ(err("debate:\n  convergence_threshold: 0\n"), config_errc::bad_value);
  EXPECT_EQ(err("mock:\n  fail_rate: -0.1\n"), config_errc::bad_value);
  EXPECT_EQ(err("debate: [1, 2"), config_errc::malformed);
  EXPECT_EQ(err("- a\n- b\n"), config_errc::malformed);
  auto missing = load_config("/nonexistent/aragora.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, config_errc::unreadable);
}

// A tick of 24 h passed and made every deadline and simulated latency wait a day.
TEST(Config, TheTimerTickIsAFewMillisecondsAndWithinTheTimeouts) {
  EXPECT_EQ(ok("timer:\n  tick_ms: 50\n").timer_tick, defaults::max_timer_tick);
  EXPECT_EQ(ok("timer:\n  tick_ms: 1\n").timer_tick, defaults::min_timer_tick);
  EXPECT_EQ(err("timer:\n  tick_ms: 86400000\n"), config_errc::bad_value);
  EXPECT_EQ(err("timer:\n  tick_ms: 51\n"), config_errc::bad_value);
  EXPECT_EQ(err("timer:\n  tick_ms: 0\n"), config_errc::bad_value);
  // Each key in range, but a deadline shorter than a tick could not be kept.
  EXPECT_EQ(err("timer:\n  tick_ms: 20\ndebate:\n  agent_timeout_ms: 10\n"),
            config_errc::bad_value);
  EXPECT_EQ(err("debate:\n  phase_grace_ms: 5\ntimer:\n  tick_ms: 10\n"), config_errc::bad_value);
  EXPECT_EQ(ok("timer:\n  tick_ms: 10\ndebate:\n  agent_timeout_ms: 10\n").timer_tick,
            std::chrono::milliseconds{10});
}

// yaml-cpp keeps repeated keys and ignores documents after the first, silently.
TEST(Config, RefusesRepeatedKeysAndExtraDocuments) {
  EXPECT_EQ(err("debate:\n  rounds: 4\n  rounds: 5\n"), config_errc::duplicate_key);
  EXPECT_EQ(err("debate:\n  rounds: 4\ndebate:\n  seed: 2\n"), config_errc::duplicate_key);
  EXPECT_EQ(err("{debate: {rounds: 4}, debate: {rounds: 5}}"), config_errc::duplicate_key);
  // The same setting nested and dotted.
  EXPECT_EQ(err("debate:\n  rounds: 2\ndebate.rounds: 5\n"), config_errc::duplicate_key);
  EXPECT_EQ(err("debate.rounds: 5\ndebate:\n  rounds: 2\n"), config_errc::duplicate_key);
  EXPECT_EQ(err("debate:\n  rounds: 4\n---\ndebate:\n  rounds: 5\n"), config_errc::malformed);
  EXPECT_EQ(err("---\n---\n"), config_errc::malformed);
  // Junk after a flow mapping: yaml-cpp's LoadAll loops forever on it (found by fuzz_config).
  EXPECT_EQ(err("{a: b}, c}"), config_errc::malformed);
  EXPECT_EQ(err("{debate: {rounds: 2}}, x}}\n"), config_errc::malformed);
  EXPECT_EQ(ok("---\ndebate:\n  rounds: 4\n...\n").rounds, 4u);
  EXPECT_EQ(to_string(config_errc::duplicate_key), "config_duplicate_key");
}

TEST(Config, RefusesTextThatIsNotUtf8AndOversizedInput) {
  EXPECT_EQ(err("storage:\n  data_dir: /tmp/caf\xE9\n"), config_errc::invalid_utf8);
  EXPECT_EQ(err("debate:\n  rounds: 3 # \xFF\n"), config_errc::invalid_utf8);
  EXPECT_EQ(ok("storage:\n  data_dir: /tmp/caf\xC3\xA9\n").data_dir, "/tmp/caf\xC3\xA9");
  EXPECT_EQ(err(std::string(defaults::max_config_bytes + 1, '#')), config_errc::too_large);
  EXPECT_EQ(to_string(config_errc::invalid_utf8), "config_invalid_utf8");
}

TEST(Config, ReadsOnlyRegularFilesOfBoundedSize) {
  // /dev/zero never ends: reading it whole used to abort the process.
  auto zero = load_config("/dev/zero");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, config_errc::unreadable);
  auto big = "/tmp/aragora-config-test-" + std::to_string(::getpid()) + ".yaml";
  { std::ofstream(big) << std::string(defaults::max_config_bytes + 1, '#'); }
  auto r = load_config(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, config_errc::too_large);
  std::remove(big.c_str());
}

TEST(Config, AliasesCannotMakeTheLoaderRecurseWithoutEnd) {
  EXPECT_EQ(err("a: &x\n  b: 1\nc: *x\n"), config_errc::unknown_key);
  auto r = parse_config("a: &x\n  b: *x\n");
  EXPECT_FALSE(r.ok());
}

TEST(Config, TheMemoryBudgetIsConfigurable) {
  auto c = ok("runtime:\n  memory_budget_mb: 512\n  memory_budget_fraction: 0.25\n");
  EXPECT_EQ(c.memory_budget_bytes, uint64_t{512} << 20);
  EXPECT_EQ(c.memory_budget_fraction, 0.25);
  EXPECT_EQ(node_config{}.memory_budget_bytes, defaults::memory_budget_mb << 20);
  EXPECT_EQ(err("runtime:\n  memory_budget_fraction: 0\n"), config_errc::bad_value);
  EXPECT_EQ(err("runtime:\n  memory_budget_fraction: 1.5\n"), config_errc::bad_value);
  EXPECT_EQ(err("runtime:\n  memory_budget_mb: -1\n"), config_errc::bad_value);
}

const std::string example_file =
    std::string{ARAGORA_SOURCE_DIR} + "/cluster-config/single-node.yaml";

// The example file said supermajority_threshold: 0.6667 while the default is 2/3: two of three
// equally confident votes (a share of 2/3) made a supermajority with the defaults and did not
// with the file presented as the defaults.
TEST(Config, TheExampleFileDecidesATwoOfThreeSupermajorityAsTheDefaultsDo) {
  auto loaded = load_config(example_file);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const auto& file = loaded.value();
  node_config builtin;
  auto rule = [](const node_config& c) {
    debate::consensus_params p;
    p.method = debate::consensus_method::supermajority;
    p.threshold = c.consensus_threshold;
    p.supermajority = c.machine.supermajority;
    p.min_participation = c.machine.min_participation;
    p.participation_ratio = c.machine.participation_ratio;
    return p;
  };
  std::vector<debate::ballot> two_of_three{{0, 0, 0.8}, {1, 0, 0.8}, {2, 1, 0.8}};
  auto by_default = debate::decide(rule(builtin), two_of_three, 3);
  auto by_file = debate::decide(rule(file), two_of_three, 3);
  EXPECT_TRUE(by_default.reached);
  EXPECT_EQ(by_file.reached, by_default.reached);
  EXPECT_EQ(file.machine.supermajority, builtin.machine.supermajority);
}

/// Every leaf of a YAML mapping as a dotted key.
void leaf_keys(const YAML::Node& node, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& kv : node) {
    auto key = prefix + kv.first.as<std::string>();
    if (kv.second.IsMap())
      leaf_keys(kv.second, key + ".", out);
    else
      out.push_back(key);
  }
}

// cluster-config/single-node.yaml is the settings table: every key of the table at its default,
// and no key the table does not have.
TEST(Config, TheExampleFileIsTheSettingsTableAtItsDefaults) {
  std::ifstream in(example_file, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  EXPECT_EQ(text, settings::example_yaml())
      << "regenerate it: build/bin/aragora config defaults > cluster-config/single-node.yaml";

  auto loaded = load_config(example_file);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const auto& file = loaded.value();
  node_config builtin;
  std::vector<std::string> keys;
  leaf_keys(YAML::Load(text), "", keys);
  std::set<std::string> in_file(keys.begin(), keys.end());
  size_t table_keys = 0;
  for (const auto& s : settings::all()) {
    if (s.key.empty()) continue;
    ++table_keys;
    SCOPED_TRACE(std::string{s.key});
    EXPECT_TRUE(in_file.count(std::string{s.key})) << "missing from the file";
    EXPECT_EQ(setting_value(s.which, file), setting_value(s.which, builtin));
  }
  for (const auto& k : keys) EXPECT_NE(settings::find_key(k), nullptr) << k << " is not a setting";
  EXPECT_EQ(keys.size(), table_keys);
}

// node_config{} holds the table's defaults: the two cannot drift apart.
TEST(Config, TheBuiltInConfigurationIsTheTablesDefaults) {
  node_config builtin;
  for (const auto& s : settings::all()) {
    SCOPED_TRACE(std::string{s.name});
    auto v = setting_value(s.which, builtin);
    if (s.key.empty()) {
      EXPECT_FALSE(v) << "a request limit is not node configuration";
      continue;
    }
    ASSERT_TRUE(v);
    auto def = settings::parse(s.which, settings::format_default(s));
    ASSERT_TRUE(std::holds_alternative<settings::value>(def));
    EXPECT_EQ(*v, std::get<settings::value>(def));
  }
}

// Each setting is read and checked by the table: a key of the file is refused with the code and
// message of its CLI flag (and of the HTTP API's field).
TEST(Config, AValueOutOfRangeIsRefusedWithTheCodeAndMessageOfItsSetting) {
  size_t checked = 0;
  for (const auto& s : settings::all()) {
    if (s.key.empty() || s.kind == settings::value_kind::text) continue;
    SCOPED_TRACE(std::string{s.key});
    std::string bad = s.kind == settings::value_kind::boolean
                          ? "maybe"
                          : settings::format_number(s, s.max * 2 + 1);
    auto r = parse_config(std::string{s.key} + ": " + bad + "\n");
    ASSERT_FALSE(r.ok());
    const auto& e = r.error();
    auto expected = settings::parse(s.which, bad);
    ASSERT_TRUE(std::holds_alternative<settings::refusal>(expected));
    EXPECT_EQ(e.code, config_errc::bad_value);
    EXPECT_EQ(code_of(e), std::get<settings::refusal>(expected).code);
    EXPECT_EQ(e.message, std::get<settings::refusal>(expected).message);
    ++checked;
  }
  EXPECT_GT(checked, 40u);
  auto rounds = parse_config("debate:\n  rounds: 13\n").error();
  EXPECT_EQ(code_of(rounds), "rounds_out_of_range");
  EXPECT_EQ(rounds.code_name(), "rounds_out_of_range");
  EXPECT_EQ(rounds.message, settings::check(settings::id::rounds, int64_t{13})->message);
  // Not a single value at all: refused by the same setting.
  auto list = parse_config("debate:\n  rounds: [1, 2]\n").error();
  EXPECT_EQ(code_of(list), "rounds_out_of_range");
  // Errors of the file itself keep their own codes.
  EXPECT_EQ(code_of(parse_config("debate: [1, 2").error()), "config_malformed");
}

TEST(Config, ASupermajorityIsExactWhenGivenAsAFraction) {
  EXPECT_EQ(ok("debate:\n  supermajority_threshold: 2/3\n").machine.supermajority, 2.0 / 3.0);
  EXPECT_EQ(ok("debate:\n  consensus_threshold: 3/5\n").consensus_threshold, 0.6);
  // A decimal is taken as written: 0.6667 is a stricter rule than 2/3, not the default.
  EXPECT_EQ(ok("debate:\n  supermajority_threshold: 0.6667\n").machine.supermajority, 0.6667);
  EXPECT_EQ(err("debate:\n  supermajority_threshold: 4/3\n"), config_errc::bad_value);
}

TEST(Config, AnEmptyDataDirMeansThePlatformDefault) {
  EXPECT_EQ(node_config{}.data_dir, "");
  EXPECT_EQ(ok("storage:\n  data_dir: \"\"\n").data_dir, "");
  EXPECT_EQ(ok("storage:\n  data_dir: /srv/aragora\n").data_dir, "/srv/aragora");
  // A key with no value is not an empty string.
  EXPECT_EQ(err("storage:\n  data_dir:\n"), config_errc::bad_value);
}

}  // namespace
}  // namespace aragora::config
