#include "runtime/base/log/log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "runtime/base/defaults.hpp"

namespace aragora::log {

namespace {

std::atomic<level> threshold{level::info};
std::atomic<bool> stopped{false};
std::atomic<uint64_t> lost_lines{0};

void write_direct(level lv, std::string_view component, std::string_view message) noexcept {
  std::fprintf(stderr, "%.*s %.*s: %.*s\n", static_cast<int>(to_string(lv).size()),
               to_string(lv).data(), static_cast<int>(component.size()), component.data(),
               static_cast<int>(message.size()), message.data());
}

spdlog::level::level_enum to_spdlog(level lv) {
  switch (lv) {
    case level::debug: return spdlog::level::debug;
    case level::info: return spdlog::level::info;
    case level::warn: return spdlog::level::warn;
    case level::error: return spdlog::level::err;
    case level::off: break;
  }
  return spdlog::level::off;
}

// Made on first use: a process that never logs starts no writer thread.
spdlog::logger& logger() {
  static std::once_flag once;
  static std::shared_ptr<spdlog::logger> made;
  std::call_once(once, [] {
    spdlog::init_thread_pool(defaults::log_queue_lines, 1);
    made = spdlog::create_async_nb<spdlog::sinks::stderr_sink_mt>("aragora");
    made->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    made->set_level(spdlog::level::trace);  // `threshold` filters before a line is formatted
    made->flush_on(spdlog::level::trace);   // each line reaches stderr when the writer takes it
    // Registered after spdlog's registry exists, so it runs before the registry is destroyed.
    std::atexit(shutdown);
  });
  return *made;
}

}  // namespace

std::string_view to_string(level lv) {
  switch (lv) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warning";
    case level::error: return "error";
    case level::off: break;
  }
  return "off";
}

std::optional<level> level_from_string(std::string_view name) {
  if (name == "debug") return level::debug;
  if (name == "info") return level::info;
  if (name == "warning" || name == "warn") return level::warn;
  if (name == "error") return level::error;
  if (name == "off") return level::off;
  return std::nullopt;
}

void set_level(level lv) { threshold.store(lv, std::memory_order_relaxed); }

bool enabled(level lv) {
  auto t = threshold.load(std::memory_order_relaxed);
  return t != level::off && lv >= t;
}

void write(level lv, std::string_view component, std::string_view message) noexcept {
  if (!enabled(lv)) return;
  if (stopped.load(std::memory_order_acquire)) return write_direct(lv, component, message);
  try {
    logger().log(to_spdlog(lv), "{}: {}", component, message);
  } catch (...) {
    // The writer thread or the line could not be made (under memory pressure): the line goes
    // out unqueued; making the logger is tried again by the next line.
    write_direct(lv, component, message);
  }
}

namespace detail {
void lost() noexcept { lost_lines.fetch_add(1, std::memory_order_relaxed); }
}  // namespace detail

void shutdown() {
  if (stopped.exchange(true)) return;
  spdlog::shutdown();  // the writer thread drains the queue, then stops
}

uint64_t dropped() {
  auto tp = spdlog::thread_pool();
  return lost_lines.load(std::memory_order_relaxed) + (tp ? tp->overrun_counter() : 0);
}

}  // namespace aragora::log
