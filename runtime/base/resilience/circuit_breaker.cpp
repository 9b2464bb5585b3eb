#include "runtime/base/resilience/circuit_breaker.hpp"

namespace aragora::resilience {

circuit_breaker::circuit_breaker(uint32_t failure_threshold, clock::duration recovery)
    : threshold_(failure_threshold == 0 ? 1 : failure_threshold), recovery_(recovery) {
}

breaker_state circuit_breaker::state(clock::time_point now) const {
  if (state_ == breaker_state::open && now - opened_at_ >= recovery_) return breaker_state::half_open;
  return state_;
}

bool circuit_breaker::allow(clock::time_point now) {
  switch (state(now)) {
    case breaker_state::closed:
      return true;
    case breaker_state::open:
      return false;
    case breaker_state::half_open:
      state_ = breaker_state::half_open;
      if (trial_in_flight_ && now - trial_started_ < recovery_) return false;
      trial_in_flight_ = true;
      trial_started_ = now;
      return true;
  }
  return false;
}

void circuit_breaker::record_success(clock::time_point) {
  failures_ = 0;
  trial_in_flight_ = false;
  state_ = breaker_state::closed;
}

void circuit_breaker::record_failure(clock::time_point now) {
  trial_in_flight_ = false;
  ++failures_;
  if (state_ == breaker_state::half_open || state(now) == breaker_state::half_open ||
      (state_ == breaker_state::closed && failures_ >= threshold_)) {
    state_ = breaker_state::open;
    opened_at_ = now;
    ++opened_;
  }
}

circuit_breaker::clock::duration circuit_breaker::retry_after(clock::time_point now) const {
  if (state(now) != breaker_state::open) return clock::duration::zero();
  return recovery_ - (now - opened_at_);
}

}  // namespace aragora::resilience
