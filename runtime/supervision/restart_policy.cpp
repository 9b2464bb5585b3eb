#include "runtime/supervision/restart_policy.hpp"

#include <algorithm>

namespace aragora::supervision {

restart_policy::restart_policy(restart_options o)
    : opts_(o), breaker_(o.breaker_failures, o.breaker_recovery) {
}

void restart_policy::tick(clock::time_point now) {
  if (up_ && !proven_ && now - started_at_ >= opts_.stable_after) {
    proven_ = true;
    attempt_ = 0;
    breaker_.record_success(now);
  }
}

restart_policy::decision restart_policy::on_death(clock::time_point now, double jitter) {
  tick(now);
  up_ = false;
  breaker_.record_failure(now);
  decision d;
  if (breaker_.state(now) == resilience::breaker_state::open) {
    d.delay = breaker_.retry_after(now);
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
  return breaker_.allow(now);
}

void restart_policy::started(clock::time_point now) {
  up_ = true;
  proven_ = false;
  started_at_ = now;
  ++restarts_;
}

}  // namespace aragora::supervision
