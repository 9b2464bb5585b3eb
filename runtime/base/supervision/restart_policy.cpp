#include "runtime/base/supervision/restart_policy.hpp"

#include <algorithm>

namespace aragora::supervision {

using resilience::breaker_state;

restart_policy::restart_policy(restart_options o) : opts_(o) {
  if (opts_.breaker_failures == 0) opts_.breaker_failures = 1;
}

breaker_state restart_policy::breaker(clock::time_point now) const {
  if (state_ == breaker_state::open && now - opened_at_ >= opts_.breaker_recovery)
    return breaker_state::half_open;
  return state_;
}

void restart_policy::open(clock::time_point now) {
  state_ = breaker_state::open;
  opened_at_ = now;
  trial_ = false;
  deaths_.clear();
  ++opened_;
}

void restart_policy::tick(clock::time_point now) {
  bool proven = up_since_ && now - *up_since_ >= opts_.stable_after;
  if (proven) {
    attempt_ = 0;
    if (state_ == breaker_state::half_open && trial_) {
      state_ = breaker_state::closed;
      trial_ = false;
    }
  }
  // Nothing to try and nothing dying: the crash loop is over.
  if (!trial_ && breaker(now) == breaker_state::half_open && last_death_ &&
      now - *last_death_ >= opts_.breaker_recovery + opts_.stable_after) {
    state_ = breaker_state::closed;
    attempt_ = 0;
  }
  while (!deaths_.empty() && now - deaths_.front() >= opts_.stable_after) deaths_.pop_front();
}

restart_policy::decision restart_policy::on_death(clock::time_point now, double jitter) {
  tick(now);
  up_since_.reset();
  last_death_ = now;
  decision d;
  auto st = breaker(now);
  if (st == breaker_state::half_open && trial_) {
    open(now);  // the trial died
    d.delay = opts_.breaker_recovery;
    return d;
  }
  if (st != breaker_state::closed) {
    d.delay = st == breaker_state::open ? opts_.breaker_recovery - (now - opened_at_)
                                        : clock::duration::zero();
    d.restart = st == breaker_state::half_open;  // may_start admits one trial
    return d;
  }
  deaths_.push_back(now);
  if (deaths_.size() >= opts_.breaker_failures) {
    open(now);
    d.delay = opts_.breaker_recovery;
    return d;
  }
  auto exp = std::min<uint32_t>(attempt_, 20);
  auto raw = std::min<std::chrono::milliseconds>(opts_.base * (int64_t{1} << exp), opts_.cap);
  auto factor = 0.7 + 0.6 * std::clamp(jitter, 0.0, 1.0);
  d.delay = std::chrono::duration_cast<clock::duration>(raw * factor);
  d.restart = true;
  ++attempt_;
  return d;
}

bool restart_policy::may_start(clock::time_point now) {
  switch (breaker(now)) {
    case breaker_state::closed:
      return true;
    case breaker_state::open:
      return false;
    case breaker_state::half_open:
      if (trial_) return false;
      state_ = breaker_state::half_open;
      trial_ = true;
      return true;
  }
  return false;
}

void restart_policy::started(clock::time_point now) {
  up_since_ = now;
  ++restarts_;
}

}  // namespace aragora::supervision
