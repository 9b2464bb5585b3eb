#include "bench/loadgen/report.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace aragora::loadgen {
namespace {

TEST(Report, AlertLevelsAreInclusiveAtTheirThresholds) {
  EXPECT_EQ(alert_level(10, 50, 200), v1::AlertLevel::pass);
  EXPECT_EQ(alert_level(49.9, 50, 200), v1::AlertLevel::pass);
  EXPECT_EQ(alert_level(50, 50, 200), v1::AlertLevel::warn);
  EXPECT_EQ(alert_level(199, 50, 200), v1::AlertLevel::warn);
  EXPECT_EQ(alert_level(200, 50, 200), v1::AlertLevel::critical);
}

TEST(Report, DerivesRatesAndGrowthFromTheMeasurements) {
  load_result res;
  res.completed = 90;
  res.failed = 10;
  res.peak_in_flight = 50;
  res.wall = std::chrono::seconds{2};
  res.agent_calls = 2400;
  for (int i = 1; i <= 100; ++i) res.latency.record(static_cast<uint64_t>(i) * 1000);
  report_inputs in;
  in.config.set_storage("memory");
  in.result = &res;
  in.baseline_rss = 100ull << 20;
  in.peak_rss = 150ull << 20;
  in.total_memory = 1000ull << 20;
  in.cpu = std::chrono::milliseconds{500};
  in.peak_queue_depth = 60;
  in.alerts = {300, 900, 50, 200, 80, 95};
  auto r = make_report(in);
  EXPECT_EQ(r.completed(), 90u);
  EXPECT_EQ(r.failed(), 10u);
  EXPECT_DOUBLE_EQ(r.debates_per_s(), 50.0);
  EXPECT_DOUBLE_EQ(r.debates_per_hour(), 180'000.0);
  EXPECT_DOUBLE_EQ(r.rss_growth_kb_per_debate(), 50.0 * 1024 / 50);
  EXPECT_DOUBLE_EQ(r.cpu_ms_per_debate(), 5.0);
  EXPECT_NEAR(r.latency_ms().p50(), 50.0, 1.0);
  EXPECT_NEAR(r.latency_ms().p99(), 99.0, 2.0);
  ASSERT_EQ(r.thresholds_size(), 3);
  EXPECT_EQ(r.thresholds(0).level(), v1::AlertLevel::pass);  // 0.099 s
  EXPECT_EQ(r.thresholds(1).level(), v1::AlertLevel::warn);  // queue 60
  EXPECT_EQ(r.thresholds(2).level(), v1::AlertLevel::pass);  // 15 %
}

TEST(Report, LargeNumbersAreGroupedByThousands) {
  v1::BenchmarkReport r;
  r.mutable_config()->set_debates(1'234'567);
  r.mutable_config()->set_concurrent(10);
  r.set_completed(1'234'567);
  r.set_debates_per_hour(-1'234'567.0);
  r.set_agent_calls(999);
  std::ostringstream out;
  print_report(out, r, false);
  auto text = out.str();
  EXPECT_NE(text.find("1,234,567 debates, 10 concurrent"), std::string::npos) << text;
  EXPECT_NE(text.find("Completed    1,234,567 "), std::string::npos) << text;
  EXPECT_NE(text.find("= -1,234,567 debates/hour"), std::string::npos) << text;
  EXPECT_NE(text.find("Agent calls  999 "), std::string::npos) << text;
  EXPECT_EQ(text.find("\x1b["), std::string::npos) << "no colour when asked for none";
}

}  // namespace
}  // namespace aragora::loadgen
