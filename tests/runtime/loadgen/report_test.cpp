#include "runtime/loadgen/report.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace aragora::loadgen {
namespace {

TEST(Report, AlertLevelsAreInclusiveAtTheirThresholds) {
  EXPECT_EQ(alert_level(49.9, 50, 200), v1::AlertLevel::pass);
  EXPECT_EQ(alert_level(50, 50, 200), v1::AlertLevel::warn);
  EXPECT_EQ(alert_level(199, 50, 200), v1::AlertLevel::warn);
  EXPECT_EQ(alert_level(200, 50, 200), v1::AlertLevel::critical);
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
