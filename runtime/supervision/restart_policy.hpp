#pragma once
// When a supervisor restarts a child that died, pure: time and randomness are passed in.
//
// Restarts back off exponentially (base * 2^n, +-30 % jitter, capped); a child that stayed up for
// `stable_after` starts again from the base. Behind the backoff, a circuit breaker on restart
// intensity: `breaker_failures` deaths in a row, each within `stable_after` of its start, open it;
// while open nothing is restarted; after `breaker_recovery` one trial restart is let through
// (half-open); if that child then stays up for `stable_after` the breaker closes, if it dies
// first the breaker opens again.

#include <chrono>
#include <cstdint>

#include "runtime/resilience/circuit_breaker.hpp"

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

  /// The child died at `now`. `jitter` in [0, 1) picks the point within +-30 %.
  [[nodiscard]] decision on_death(clock::time_point now, double jitter);

  /// The delay has passed: may the child start now? (An open breaker refuses until its recovery.)
  [[nodiscard]] bool may_start(clock::time_point now);

  /// The child was (re)started at `now`.
  void started(clock::time_point now);

  /// Called periodically (and at each death): a child up for `stable_after` is healthy again.
  void tick(clock::time_point now);

  [[nodiscard]] resilience::breaker_state breaker(clock::time_point now) const {
    return breaker_.state(now);
  }
  [[nodiscard]] uint64_t times_opened() const { return breaker_.times_opened(); }
  [[nodiscard]] uint64_t restarts() const { return restarts_; }

private:
  restart_options opts_;
  resilience::circuit_breaker breaker_;
  uint32_t attempt_ = 0;
  clock::time_point started_at_{};
  bool up_ = false;
  bool proven_ = false;  // this run has been up for stable_after already
  uint64_t restarts_ = 0;
};

}  // namespace aragora::supervision
