#pragma once
// When a supervisor restarts a child that died, pure: time and randomness are passed in.
//
// Restarts back off exponentially (base * 2^n, +-30 % jitter, capped); a child that stayed up for
// `stable_after` starts again from the base. Behind the backoff, a breaker on restart intensity
// (Erlang's MaxR in MaxT): `breaker_failures` deaths within `stable_after` open it; while open
// nothing is restarted; after `breaker_recovery` one trial restart is let through (half-open); if
// that child then stays up for `stable_after` the breaker closes, if it dies first the breaker
// opens again. A policy shared by many children (the debates) may have no child to try: once
// nothing has died for the recovery plus `stable_after`, the breaker closes.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

#include "runtime/base/resilience/circuit_breaker.hpp"  // breaker_state

namespace aragora::supervision {

struct restart_options {
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds cap{10'000};
  std::chrono::milliseconds stable_after{5'000};
  uint32_t breaker_failures = 5;
  std::chrono::milliseconds breaker_recovery{30'000};
};

class restart_policy {
public:
  using clock = std::chrono::steady_clock;

  explicit restart_policy(restart_options o);

  struct decision {
    bool restart = false;           // restart after `delay`
    clock::duration delay{};        // the backoff, or how long the open breaker still refuses
  };

  /// A child died at `now`. `jitter` in [0, 1) picks the point within +-30 %.
  [[nodiscard]] decision on_death(clock::time_point now, double jitter);

  /// The delay has passed: may a child start now? An open breaker refuses until its recovery,
  /// then admits one trial.
  [[nodiscard]] bool may_start(clock::time_point now);

  /// A child was (re)started at `now`.
  void started(clock::time_point now);

  /// Called periodically (and at each death): a child up for `stable_after` is healthy again.
  void tick(clock::time_point now);

  [[nodiscard]] resilience::breaker_state breaker(clock::time_point now) const;
  [[nodiscard]] uint64_t times_opened() const { return opened_; }
  [[nodiscard]] uint64_t restarts() const { return restarts_; }

private:
  void open(clock::time_point now);

  restart_options opts_;
  resilience::breaker_state state_ = resilience::breaker_state::closed;
  clock::time_point opened_at_{};
  bool trial_ = false;                    // the half-open trial child is running
  std::deque<clock::time_point> deaths_;  // within the last stable_after, at most breaker_failures
  std::optional<clock::time_point> last_death_;
  std::optional<clock::time_point> up_since_;  // the last started child, while none died since
  uint32_t attempt_ = 0;
  uint64_t opened_ = 0;
  uint64_t restarts_ = 0;
};

}  // namespace aragora::supervision
