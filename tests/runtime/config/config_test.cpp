#include "runtime/config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "runtime/defaults.hpp"

namespace aragora::config {
namespace {

node_config ok(std::string_view yaml) {
  auto r = parse_config(yaml);
  if (auto* e = std::get_if<config_error>(&r)) ADD_FAILURE() << e->message;
  return std::get<node_config>(r);
}

config_errc err(std::string_view yaml) {
  auto r = parse_config(yaml);
  EXPECT_TRUE(std::holds_alternative<config_error>(r)) << yaml;
  return std::get<config_error>(r).code;
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
  ASSERT_TRUE(std::holds_alternative<config_error>(missing));
  EXPECT_EQ(std::get<config_error>(missing).code, config_errc::unreadable);
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
  ASSERT_TRUE(std::holds_alternative<config_error>(zero));
  EXPECT_EQ(std::get<config_error>(zero).code, config_errc::unreadable);
  auto big = "/tmp/aragora-config-test-" + std::to_string(::getpid()) + ".yaml";
  { std::ofstream(big) << std::string(defaults::max_config_bytes + 1, '#'); }
  auto r = load_config(big);
  ASSERT_TRUE(std::holds_alternative<config_error>(r));
  EXPECT_EQ(std::get<config_error>(r).code, config_errc::too_large);
  std::remove(big.c_str());
}

TEST(Config, AliasesCannotMakeTheLoaderRecurseWithoutEnd) {
  EXPECT_EQ(err("a: &x\n  b: 1\nc: *x\n"), config_errc::unknown_key);
  auto r = parse_config("a: &x\n  b: *x\n");
  EXPECT_TRUE(std::holds_alternative<config_error>(r));
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

TEST(Config, TheExampleFileListsValidKeysWithTheDefaults) {
  // cluster-config/single-node.yaml documents every key with its default value.
  auto loaded = load_config(std::string{ARAGORA_SOURCE_DIR} + "/cluster-config/single-node.yaml");
  ASSERT_TRUE(std::holds_alternative<node_config>(loaded))
      << std::get<config_error>(loaded).message;
  const auto& c = std::get<node_config>(loaded);
  node_config d;
  EXPECT_EQ(c.rounds, d.rounds);
  EXPECT_EQ(c.agent_timeout, d.agent_timeout);
  EXPECT_EQ(c.alerts.queue_depth_crit, d.alerts.queue_depth_crit);
  EXPECT_EQ(c.retention.of(storage::cf::debates), d.retention.of(storage::cf::debates));
  EXPECT_EQ(c.retention.of(storage::cf::memory_glacial), d.retention.of(storage::cf::memory_glacial));
  EXPECT_EQ(c.db_breaker_failures, d.db_breaker_failures);
  EXPECT_EQ(c.elo_k, d.elo_k);
  EXPECT_EQ(c.recall_k, d.recall_k);
  EXPECT_EQ(c.timer_tick, d.timer_tick);
  EXPECT_EQ(c.memory_budget_bytes, d.memory_budget_bytes);
  EXPECT_EQ(c.memory_budget_fraction, d.memory_budget_fraction);
}

}  // namespace
}  // namespace aragora::config
