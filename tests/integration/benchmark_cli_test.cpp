// `aragora benchmark` as a user runs it: a real subprocess, a tiny workload.

#include <google/protobuf/struct.pb.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/json.hpp"
#include "tests/support/subprocess.hpp"

namespace aragora {
namespace {

const std::string bin = ARAGORA_BIN;

google::protobuf::Struct parse_object(const std::string& json) {
  return test::parse_json<google::protobuf::Struct>(json);
}

TEST(BenchmarkSmoke, JsonHasEveryFieldAndEveryDebateCompletes) {
  auto r = test::run(bin + " benchmark --debates 40 --concurrent 8 --rounds 2 --agents 3 "
                           "--message-bytes 256 --latency-ms 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one JSON object on one line";
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no progress bar without a terminal";
  auto obj = parse_object(r.out);
  const auto& f = obj.fields();
  for (const char* key : {"completed", "failed", "wall_s", "debates_per_s", "debates_per_hour",
                          "latency_ms", "agent_calls", "peak_rss_mb", "rss_growth_kb_per_debate",
                          "cpu_ms_per_debate", "storage", "thresholds", "first_event_ms",
                          "failed_agent_calls", "baseline_rss_mb", "peak_in_flight",
                          "storage_ops_per_min", "storage_mb_per_s", "peak_queue_depth", "config",
                          "consensus_reached", "total_memory_mb"})
    EXPECT_TRUE(f.count(key)) << key;
  EXPECT_EQ(f.at("completed").number_value() + f.at("failed").number_value(), 40);
  EXPECT_EQ(f.at("completed").number_value(), 40);
  EXPECT_EQ(f.at("agent_calls").number_value(), 40 * 24);
  EXPECT_EQ(f.at("storage").string_value(), "memory");
  const auto& lat = f.at("latency_ms").struct_value().fields();
  for (const char* key : {"p50", "p95", "p99", "max"}) EXPECT_TRUE(lat.count(key)) << key;
  // Two rounds of three phases at 2 ms each: no debate can be faster than 12 ms.
  EXPECT_GE(lat.at("p50").number_value(), 12.0);
  EXPECT_LE(lat.at("p50").number_value(), lat.at("max").number_value());
  EXPECT_GT(f.at("debates_per_s").number_value(), 0);
  EXPECT_GT(f.at("peak_rss_mb").number_value(), 0);
  EXPECT_EQ(f.at("thresholds").list_value().values_size(), 3);
  EXPECT_EQ(f.at("failed_agent_calls").number_value(), 0);
  EXPECT_LE(f.at("peak_in_flight").number_value(), 8);
  EXPECT_GT(f.at("peak_in_flight").number_value(), 1);
  EXPECT_LE(f.at("consensus_reached").number_value(), 40);
  EXPECT_EQ(f.at("storage_ops_per_min").number_value(), 0) << "nothing stored in memory mode";
  EXPECT_EQ(f.at("config").struct_value().fields().at("concurrent").number_value(), 8);
}

TEST(BenchmarkSmoke, DurableRunsWriteThroughRocksDb) {
  // A data dir of its own: it used to write ./data wherever the test ran.
  auto dir = test::temp_path("data");
  auto r = test::run(bin + " benchmark --debates 40 --concurrent 8 --rounds 2 --storage rocksdb "
                           "--json --data-dir " + dir);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(r.code, 0) << r.err;
  auto f = parse_object(r.out).fields();
  EXPECT_EQ(f.at("completed").number_value(), 40);
  EXPECT_EQ(f.at("storage").string_value(), "rocksdb");
  EXPECT_GT(f.at("storage_ops_per_min").number_value(), 0);
  EXPECT_GT(f.at("storage_mb_per_s").number_value(), 0);
}

TEST(BenchmarkSmoke, TheGuidesCommandsRun) {
  auto one = test::run(bin + " benchmark --debates 1 --rounds 3 --agents 3");
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_NE(one.out.find("Completed    1 "), std::string::npos) << one.out;
  auto ten = test::run(bin + " benchmark --debates 10 --concurrent 5 --rounds 2");
  ASSERT_EQ(ten.code, 0) << ten.err;
  EXPECT_NE(ten.out.find("Completed    10 "), std::string::npos) << ten.out;
  // The sustained form, shortened from 3600 s to 1 s.
  auto sustained = test::run(bin + " benchmark --debates 100 --concurrent 10 --duration 1 "
                                   "--latency-ms 5 --json");
  ASSERT_EQ(sustained.code, 0) << sustained.err;
  auto f = parse_object(sustained.out).fields();
  EXPECT_GE(f.at("wall_s").number_value(), 1.0);
  EXPECT_GT(f.at("completed").number_value(), 10);
}

TEST(BenchmarkSmoke, FailuresAreCounted) {
  auto r = test::run(bin + " benchmark --debates 20 --fail-rate 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto f = parse_object(r.out).fields();
  EXPECT_EQ(f.at("failed").number_value(), 20);
  EXPECT_EQ(f.at("completed").number_value(), 0);
}

TEST(BenchmarkFlags, BadFlagsExitWithTwo) {
  struct bad {
    std::string args;
    std::string code;
  };
  std::vector<bad> cases{
      {"--debates 0", "bad_count"},
      {"--debates -3", "bad_count"},
      {"--concurrent 0", "bad_count"},
      {"--agents 1", "bad_count"},
      {"--rounds 13", "rounds_out_of_range"},
      {"--duration 0", "bad_duration"},
      {"--duration -5", "bad_duration"},
      {"--protocol medium", "bad_protocol"},
      {"--storage tape", "bad_storage"},
      {"--fail-rate 1.5", "bad_fail_rate"},
      {"--fail-rate -0.1", "bad_fail_rate"},
      {"--latency-ms -1", "bad_duration"},  // as for ask: one check of the setting
      {"--debates many", "bad_usage"},
  };
  for (const auto& c : cases) {
    auto r = test::run(bin + " benchmark " + c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    EXPECT_NE(r.err.find("error: " + c.code), std::string::npos) << c.args << "\n" << r.err;
  }
  // More concurrency than debates is capped, not refused.
  auto capped = test::run(bin + " benchmark --debates 3 --concurrent 50 --json");
  EXPECT_EQ(capped.code, 0) << capped.err;
}

}  // namespace
}  // namespace aragora
