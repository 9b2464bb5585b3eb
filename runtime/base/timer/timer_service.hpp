#pragma once
// Delayed messages to actors, off CAF's clock: one thread drives a timing wheel and enqueues due
// messages straight into their receivers' mailboxes. CAF 0.17's own clock keeps every timer in a
// std::multimap behind a 64-slot ring that blocks producers when full, and cannot cancel a
// delayed send; mock latencies and phase deadlines need hundreds of thousands per second.

#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/base/defaults.hpp"
#include "runtime/base/timer/timer_wheel.hpp"

namespace aragora::timer {

class timer_service {
public:
  using handle = uint64_t;
  using clock = std::chrono::steady_clock;

  explicit timer_service(std::chrono::milliseconds tick = defaults::timer_tick,
                         uint32_t slots = defaults::timer_wheel_slots);
  ~timer_service();
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;

  /// Delivers `msg` to `target` after `delay` (rounded up to the tick), as an anonymous message.
  handle schedule(clock::duration delay, caf::strong_actor_ptr target, caf::message msg);

  /// Cancels a pending delivery; false when it was delivered or cancelled already.
  bool cancel(handle h);

  /// Stops the thread and drops every pending delivery (releasing the actor references).
  void stop();

  [[nodiscard]] size_t pending() const;

private:
  struct delivery {
    caf::strong_actor_ptr target;
    caf::message msg;
  };

  void run();
  [[nodiscard]] uint64_t tick_of(clock::time_point t) const;

  const clock::duration tick_;
  const clock::time_point origin_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  timer_wheel<delivery> wheel_;
  bool running_ = true;
  std::thread thread_;
};

}  // namespace aragora::timer
