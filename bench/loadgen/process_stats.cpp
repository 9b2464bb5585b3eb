#include "bench/loadgen/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace aragora::loadgen {

uint64_t current_rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::chrono::microseconds process_cpu_time() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& t) {
    return static_cast<int64_t>(t.tv_sec) * 1'000'000 + static_cast<int64_t>(t.tv_usec);
  };
  return std::chrono::microseconds{us(ru.ru_utime) + us(ru.ru_stime)};
}

uint64_t total_memory_bytes() {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char line[256];
  uint64_t kb = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "MemTotal:", 9) == 0) {
      std::sscanf(line + 9, "%lu", &kb);
      break;
    }
  }
  std::fclose(f);
  return kb * 1024;
}

rss_sampler::rss_sampler(std::chrono::milliseconds interval) : interval_(interval) {
  sample();
  thread_ = std::thread([this] {
    while (running_.load(std::memory_order_relaxed)) {
      std::this_thread::sleep_for(interval_);
      sample();
    }
  });
}

rss_sampler::~rss_sampler() {
  stop();
}

void rss_sampler::sample() {
  auto rss = current_rss_bytes();
  auto prev = peak_.load(std::memory_order_relaxed);
  while (rss > prev && !peak_.compare_exchange_weak(prev, rss, std::memory_order_relaxed)) {
  }
}

uint64_t rss_sampler::stop() {
  if (running_.exchange(false) && thread_.joinable()) thread_.join();
  sample();
  return peak();
}

}  // namespace aragora::loadgen
