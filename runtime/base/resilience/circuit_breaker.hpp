#pragma once
// A circuit breaker (closed -> open -> half-open -> closed), pure: time is passed in.
//
// Closed: calls pass; `failure_threshold` consecutive failures open it. Open: calls are refused
// until `recovery` has passed since it opened. Half-open: exactly one trial call is admitted; its
// success closes the breaker, its failure opens it again for a fresh `recovery`. Unlike the Python
// reference, a half-open failure restarts the cooldown, and a trial that never reports back (its
// caller died) lapses after `recovery`, so the breaker cannot wedge in half-open.

#include <chrono>
#include <cstdint>
#include <string_view>

namespace aragora::resilience {

enum class breaker_state : uint8_t { closed, open, half_open };

[[nodiscard]] constexpr std::string_view to_string(breaker_state s) {
  switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::open: return "open";
    case breaker_state::half_open: return "half_open";
  }
  return "closed";
}

class circuit_breaker {
public:
  using clock = std::chrono::steady_clock;

  circuit_breaker(uint32_t failure_threshold, clock::duration recovery);

  /// Whether a call may go ahead now. In half-open, admits one trial and refuses the rest until
  /// that trial reports back or `recovery` passes without a report.
  [[nodiscard]] bool allow(clock::time_point now);

  void record_success(clock::time_point now);
  void record_failure(clock::time_point now);
  /// The call admitted as the half-open trial ended without a verdict (it was cancelled): the
  /// next call may be the trial, instead of none until `recovery` passes.
  void abandon_trial() { trial_in_flight_ = false; }

  [[nodiscard]] breaker_state state(clock::time_point now) const;
  /// How long an open breaker still refuses calls (zero unless open).
  [[nodiscard]] clock::duration retry_after(clock::time_point now) const;
  [[nodiscard]] uint64_t times_opened() const { return opened_; }

private:
  uint32_t threshold_;
  clock::duration recovery_;
  breaker_state state_ = breaker_state::closed;
  uint32_t failures_ = 0;
  clock::time_point opened_at_{};
  bool trial_in_flight_ = false;
  clock::time_point trial_started_{};
  uint64_t opened_ = 0;
};

}  // namespace aragora::resilience
