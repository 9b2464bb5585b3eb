#include "runtime/base/settings/settings.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "runtime/base/defaults.hpp"

namespace aragora::settings {
namespace {

value ok(id x, std::string_view text) {
  auto r = parse(x, text);
  if (auto* e = std::get_if<refusal>(&r)) ADD_FAILURE() << text << ": " << e->message;
  return std::get<value>(r);
}

refusal refused(id x, std::string_view text) {
  auto r = parse(x, text);
  EXPECT_TRUE(std::holds_alternative<refusal>(r)) << text;
  return std::holds_alternative<refusal>(r) ? std::get<refusal>(r) : refusal{};
}

TEST(Settings, EveryRowIsCompleteAndKeysAndFlagsAreUnique) {
  std::set<std::string_view> keys, flags, names;
  for (const auto& s : all()) {
    SCOPED_TRACE(std::string{s.name});
    EXPECT_EQ(&get(s.which), &s);
    EXPECT_FALSE(s.name.empty());
    EXPECT_FALSE(s.code.empty());
    EXPECT_FALSE(s.meaning.empty());
    // Only a limit of a request (the question's length) is neither a key nor a flag.
    EXPECT_FALSE(s.has_default && s.key.empty() && s.flag.empty()) << "a default nobody can set";
    EXPECT_TRUE(names.insert(s.name).second);
    if (!s.key.empty()) {
      EXPECT_TRUE(keys.insert(s.key).second);
      EXPECT_EQ(find_key(s.key), &s);
    }
    if (!s.flag.empty()) {
      EXPECT_TRUE(flags.insert(s.flag).second);
    }
    if (s.kind != value_kind::text && s.kind != value_kind::boolean) {
      EXPECT_LE(s.min, s.max);
    }
  }
  EXPECT_EQ(all().size(), count);
  EXPECT_EQ(find_key("debate.roundz"), nullptr);
  EXPECT_EQ(find_key(""), nullptr);
}

// A default outside its own range would be refused when written back into the file.
TEST(Settings, EveryDefaultReadsBackAsItselfAndIsInRange) {
  for (const auto& s : all()) {
    SCOPED_TRACE(std::string{s.name});
    if (!s.has_default) {
      EXPECT_EQ(format_default(s), "");
      continue;
    }
    auto v = ok(s.which, format_default(s));
    switch (s.kind) {
      case value_kind::integer: EXPECT_EQ(std::get<int64_t>(v), static_cast<int64_t>(s.def)); break;
      case value_kind::real:
      case value_kind::share: EXPECT_EQ(std::get<double>(v), s.def); break;  // exactly
      case value_kind::boolean: EXPECT_EQ(std::get<bool>(v), s.def != 0); break;
      case value_kind::text: EXPECT_EQ(std::get<std::string>(v), s.def_text); break;
    }
  }
}

// The example file said 0.6667 for a default of 2/3, and 2 of 3 equal votes (a share of
// 0.666...) no longer made a supermajority.
TEST(Settings, AShareIsWrittenAsAnExactFractionWhenItsDecimalIsNot) {
  const auto& super = get(id::supermajority_threshold);
  EXPECT_EQ(format_default(super), "2/3");
  EXPECT_EQ(std::get<double>(ok(id::supermajority_threshold, "2/3")),
            defaults::supermajority_threshold);
  EXPECT_EQ(std::get<double>(ok(id::supermajority_threshold, "2/3")), 2.0 / 3.0);
  EXPECT_NE(std::get<double>(ok(id::supermajority_threshold, "0.6667")), 2.0 / 3.0);
  // The shortest decimal that reads back exactly is exact too.
  EXPECT_EQ(std::get<double>(ok(id::supermajority_threshold, "0.6666666666666666")), 2.0 / 3.0);
  EXPECT_EQ(format_default(get(id::consensus_threshold)), "0.6");
  EXPECT_EQ(format_number(super, 0.75), "0.75");
  EXPECT_EQ(format_number(super, 1.0 / 7.0), "1/7");
  EXPECT_EQ(format_number(get(id::elo_initial), 1500), "1500");
  EXPECT_EQ(std::get<double>(ok(id::consensus_threshold, "3/4")), 0.75);
  EXPECT_EQ(std::get<double>(ok(id::consensus_threshold, "1/1")), 1.0);
  // Fractions are for shares only.
  refused(id::elo_k, "64/2");
  for (auto bad : {"1/0", "-1/2", "2/", "/3", "2/3/4", "2.0/3", "4/3", "0/3"})
    refused(id::consensus_threshold, bad);
}

TEST(Settings, RangesAndTheirOpenEnds) {
  EXPECT_EQ(format_range(get(id::rounds)), "1..12");
  EXPECT_EQ(format_range(get(id::consensus_threshold)), "(0, 1]");
  EXPECT_EQ(format_range(get(id::supermajority_threshold)), "[0, 1]");
  EXPECT_EQ(format_range(get(id::elo_initial)), "(0, 1000000)");
  EXPECT_EQ(format_range(get(id::alert_queue_depth_warn)), "[0, 1000000000000]");
  EXPECT_EQ(format_range(get(id::agent_timeout_ms)), "1..86400000 ms");
  EXPECT_EQ(format_range(get(id::scheduler_policy)), "stealing, sharing");
  EXPECT_EQ(format_range(get(id::memory_enabled)), "true, false");

  EXPECT_FALSE(check(id::rounds, int64_t{1}));
  EXPECT_FALSE(check(id::rounds, int64_t{12}));
  EXPECT_TRUE(check(id::rounds, int64_t{0}));
  EXPECT_TRUE(check(id::rounds, int64_t{13}));
  EXPECT_TRUE(check(id::consensus_threshold, 0.0));
  EXPECT_FALSE(check(id::consensus_threshold, 1.0));
  EXPECT_TRUE(check(id::consensus_threshold, std::nextafter(1.0, 2.0)));
  EXPECT_FALSE(check(id::supermajority_threshold, 0.0));
  EXPECT_TRUE(check(id::elo_initial, 1e6));
  EXPECT_FALSE(check(id::elo_k, 400.0));
  EXPECT_TRUE(check(id::elo_k, 0.0));
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(), -0.5})
    EXPECT_TRUE(check(id::mock_fail_rate, bad)) << bad;
  EXPECT_FALSE(check(id::seed, int64_t{UINT32_MAX}));
  EXPECT_TRUE(check(id::seed, int64_t{UINT32_MAX} + 1));
  EXPECT_TRUE(check(id::seed, int64_t{-7}));
  EXPECT_FALSE(check(id::benchmark_duration_s, 86400.0));
  EXPECT_TRUE(check(id::benchmark_duration_s, 86400.001));
  EXPECT_TRUE(check(id::benchmark_duration_s, 0.0));
  // An integer setting given a fraction is refused, not truncated.
  EXPECT_TRUE(check(id::rounds, 2.5));
  EXPECT_FALSE(check(id::rounds, 2.0));
}

TEST(Settings, TheMessageNamesTheKeyTheFlagTheRangeAndTheValue) {
  auto r = check(id::rounds, int64_t{13});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, "rounds_out_of_range");
  EXPECT_EQ(r->message, "rounds (debate.rounds, --rounds) must be within 1..12, got 13");
  auto t = refused(id::consensus_threshold, "1.5");
  EXPECT_EQ(t.code, "bad_threshold");
  EXPECT_EQ(t.message,
            "consensus threshold (debate.consensus_threshold, --threshold) must be within (0, 1], "
            "got 1.5");
  // A value given as a number and the same given as text: one message.
  EXPECT_EQ(check(id::consensus_threshold, 1.5)->message, t.message);
  EXPECT_EQ(check(id::mock_latency_ms, int64_t{-1})->message,
            refused(id::mock_latency_ms, "-1").message);
  auto tick = refused(id::timer_tick_ms, "86400000");
  EXPECT_EQ(tick.code, "config_bad_value");
  EXPECT_EQ(tick.message, "timer tick (timer.tick_ms) must be within 1..50 ms, got 86400000");
  EXPECT_EQ(check(id::benchmark_debates, int64_t{0})->message,
            "debates (--debates) must be within 1..4294967295, got 0");
  EXPECT_EQ(refused(id::scheduler_policy, "fifo").message,
            "scheduler policy (runtime.scheduler_policy) must be one of stealing, sharing, got "
            "fifo");
  EXPECT_EQ(refused(id::rounds, "").message,
            "rounds (debate.rounds, --rounds) must be within 1..12, got nothing");
  // A long value is cut, on a character boundary.
  auto long_value = refused(id::rounds, std::string(63, '9') + "\xC3\xA9" + std::string(100, '9'));
  EXPECT_NE(long_value.message.find(std::string(63, '9') + "..."), std::string::npos);
}

TEST(Settings, TextThatIsNotAValueOfTheKindIsRefused) {
  for (auto bad : {"three", "3.0", "3 ", " 3", "0x3", "", "+", "99999999999999999999", "1e1"})
    refused(id::rounds, bad);
  EXPECT_EQ(std::get<int64_t>(ok(id::rounds, "+3")), 3);
  for (auto bad : {"nan", "inf", "-inf", "0.5x", "", "1,5"}) refused(id::mock_fail_rate, bad);
  EXPECT_EQ(std::get<double>(ok(id::mock_fail_rate, ".5")), 0.5);
  EXPECT_EQ(std::get<double>(ok(id::elo_initial, "1e3")), 1000.0);
  for (auto yes : {"true", "True", "yes", "on", "ON"})
    EXPECT_TRUE(std::get<bool>(ok(id::memory_enabled, yes))) << yes;
  for (auto no : {"false", "no", "Off"}) EXPECT_FALSE(std::get<bool>(ok(id::memory_enabled, no)));
  refused(id::memory_enabled, "1");
  refused(id::memory_enabled, "maybe");
  EXPECT_EQ(std::get<std::string>(ok(id::scheduler_policy, "stealing")), "stealing");
  refused(id::scheduler_policy, "Stealing");
  // Any text for the data dir; empty is the platform default.
  EXPECT_EQ(std::get<std::string>(ok(id::data_dir, "")), "");
  EXPECT_EQ(std::get<std::string>(ok(id::data_dir, "/srv/aragora")), "/srv/aragora");
}

TEST(Settings, TheExampleYamlListsEveryKeyOnceInItsSection) {
  auto yaml = example_yaml();
  for (const auto& s : all()) {
    if (s.key.empty()) continue;
    auto leaf = s.key.substr(s.key.rfind('.') + 1);
    auto line = std::string{leaf} + ": " +
                (s.kind == value_kind::text && s.def_text.empty() ? "\"\"" : format_default(s)) +
                "\n";
    EXPECT_NE(yaml.find(line), std::string::npos) << line;
    auto comment = "# " + std::string{s.meaning} + "; accepted: " + format_range(s) + "\n";
    EXPECT_NE(yaml.find(comment), std::string::npos) << comment;
  }
  EXPECT_NE(yaml.find("\nstorage:\n"), std::string::npos);
  EXPECT_NE(yaml.find("\n  retention:\n    # finished debates"), std::string::npos);
  EXPECT_NE(yaml.find("supermajority_threshold: 2/3"), std::string::npos);
  EXPECT_EQ(yaml.find("question"), std::string::npos) << "request limits are not YAML keys";
}

}  // namespace
}  // namespace aragora::settings
