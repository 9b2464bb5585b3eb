#pragma once
// The benchmark report: what was measured, checked against the capacity guide's thresholds.

#include <chrono>
#include <cstdint>
#include <iosfwd>

#include "aragora/v1/benchmark.pb.h"
#include "runtime/config/config.hpp"
#include "bench/loadgen/load_driver.hpp"

namespace aragora::loadgen {

struct report_inputs {
  v1::BenchmarkConfig config;
  const load_result* result = nullptr;
  uint64_t baseline_rss = 0;  // bytes, after warm-up
  uint64_t peak_rss = 0;      // bytes, while debates were in flight
  uint64_t total_memory = 0;  // bytes
  std::chrono::microseconds cpu{0};
  uint64_t storage_ops = 0;
  uint64_t storage_bytes = 0;
  uint64_t peak_queue_depth = 0;
  config::alert_thresholds alerts{};
};

[[nodiscard]] v1::BenchmarkReport make_report(const report_inputs& in);

/// pass / warn / critical for a value against its thresholds (higher is worse).
[[nodiscard]] v1::AlertLevel::Value alert_level(double value, double warning, double critical);

/// The human-readable report.
void print_report(std::ostream& out, const v1::BenchmarkReport& r, bool color);

}  // namespace aragora::loadgen
