#include "runtime/config/config.hpp"

#include <gtest/gtest.h>

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
  EXPECT_EQ(spec.mock.latency_ms, 50u);
}

TEST(Config, RefusesUnknownKeysBadValuesAndMalformedYaml) {
  EXPECT_EQ(err("debate:\n  roundz: 3\n"), config_errc::unknown_key);
  EXPECT_EQ(err("debate:\n  rounds: 13\n"), config_errc::bad_value);
  EXPECT_EQ(err("debate:\n  rounds: three\n"), config_errc::bad_value);
  EXPECT_EQ(err("debate:\n  consensus_threshold: 1.5\n"), config_errc::bad_value);
  EXPECT_EQ(err("mock:\n  fail_rate: -0.1\n"), config_errc::bad_value);
  EXPECT_EQ(err("debate: [1, 2"), config_errc::malformed);
  EXPECT_EQ(err("- a\n- b\n"), config_errc::malformed);
  auto missing = load_config("/nonexistent/aragora.yaml");
  ASSERT_TRUE(std::holds_alternative<config_error>(missing));
  EXPECT_EQ(std::get<config_error>(missing).code, config_errc::unreadable);
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
}

}  // namespace
}  // namespace aragora::config
