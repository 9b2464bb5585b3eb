#pragma once
// The one logger. Libraries write their warnings and errors here, never to std::cerr: a line goes
// through a bounded queue to a writer thread, so a CAF scheduler thread never blocks on stderr,
// and a full queue drops its oldest line (counted) rather than grow. spdlog stays in log.cpp.

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace aragora::log {

enum class level : uint8_t { debug, info, warn, error, off };

[[nodiscard]] std::string_view to_string(level lv);
/// "debug", "info", "warning" (or "warn"), "error", "off".
[[nodiscard]] std::optional<level> level_from_string(std::string_view name);

/// Lines below `lv` are not written (default: info).
void set_level(level lv);
[[nodiscard]] bool enabled(level lv);

/// One line: `<UTC time> <level> <component>: <message>`. Never throws: when the writer thread
/// cannot be made (no memory, no threads), the line goes straight to stderr.
void write(level lv, std::string_view component, std::string_view message) noexcept;

/// Writes every queued line and stops the writer thread; later lines go straight to stderr. Runs
/// by itself at exit once anything was logged.
void shutdown();

/// Lines dropped since the process started: the queue was full, or the line could not be built.
[[nodiscard]] uint64_t dropped();

namespace detail {
void lost() noexcept;  // a line that could not be built (out of memory): counted, not thrown

template <class... Ts>
std::string concat(const Ts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return std::move(out).str();
}
}  // namespace detail

/// A line built from `parts` (streamed one after the other), only when `lv` is enabled.
template <class... Ts>
void at(level lv, std::string_view component, const Ts&... parts) {
  if (!enabled(lv)) return;
  try {
    write(lv, component, detail::concat(parts...));
  } catch (...) {
    detail::lost();
  }
}
template <class... Ts>
void debug(std::string_view component, const Ts&... parts) { at(level::debug, component, parts...); }
template <class... Ts>
void info(std::string_view component, const Ts&... parts) { at(level::info, component, parts...); }
template <class... Ts>
void warn(std::string_view component, const Ts&... parts) { at(level::warn, component, parts...); }
template <class... Ts>
void error(std::string_view component, const Ts&... parts) { at(level::error, component, parts...); }

}  // namespace aragora::log
