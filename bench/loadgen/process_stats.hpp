#pragma once
// What the benchmark reads about its own process: RSS, CPU time, the machine's memory.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace aragora::loadgen {

/// Resident set size now, from /proc/self/statm.
[[nodiscard]] uint64_t current_rss_bytes();

/// User + system CPU time of the process so far.
[[nodiscard]] std::chrono::microseconds process_cpu_time();

/// MemTotal from /proc/meminfo.
[[nodiscard]] uint64_t total_memory_bytes();

/// Samples RSS on its own thread until stopped and keeps the peak.
class rss_sampler {
public:
  explicit rss_sampler(std::chrono::milliseconds interval);
  ~rss_sampler();
  rss_sampler(const rss_sampler&) = delete;
  rss_sampler& operator=(const rss_sampler&) = delete;

  /// Stops sampling (after one last sample) and returns the peak.
  uint64_t stop();
  [[nodiscard]] uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }

private:
  void sample();

  std::chrono::milliseconds interval_;
  std::atomic<uint64_t> peak_{0};
  std::atomic<bool> running_{true};
  std::thread thread_;
};

}  // namespace aragora::loadgen
