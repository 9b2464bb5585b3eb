#include "runtime/base/timer/timer_service.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/message_id.hpp>

namespace aragora::timer {

timer_service::timer_service(std::chrono::milliseconds tick, uint32_t slots)
    : tick_(tick.count() > 0 ? tick : std::chrono::milliseconds{1}),
      origin_(clock::now()),
      wheel_(slots) {
  thread_ = std::thread([this] { run(); });
}

timer_service::~timer_service() {
  stop();
}

uint64_t timer_service::tick_of(clock::time_point t) const {
  return static_cast<uint64_t>((t - origin_) / tick_);
}

timer_service::handle timer_service::schedule(clock::duration delay, caf::strong_actor_ptr target,
                                              caf::message msg) {
  // Round up, so a delivery never comes early.
  auto due = clock::now() + delay;
  auto due_tick = tick_of(due) + 1;
  std::lock_guard<std::mutex> guard{mtx_};
  if (!running_) return 0;
  bool was_empty = wheel_.empty();
  if (was_empty) wheel_.reset_now(tick_of(clock::now()));
  auto h = wheel_.add(due_tick, delivery{std::move(target), std::move(msg)});
  if (was_empty) cv_.notify_one();
  return h;
}

bool timer_service::cancel(handle h) {
  std::lock_guard<std::mutex> guard{mtx_};
  return wheel_.cancel(h);
}

size_t timer_service::pending() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return wheel_.size();
}

void timer_service::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!running_ && !thread_.joinable()) return;
    running_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<delivery> dropped;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    wheel_.advance(wheel_.now() + (uint64_t{1} << 62), dropped);
  }
}

void timer_service::run() {
  std::vector<delivery> due;
  std::unique_lock<std::mutex> lock{mtx_};
  while (running_) {
    if (wheel_.empty()) {
      cv_.wait(lock, [this] { return !running_ || !wheel_.empty(); });
      continue;
    }
    auto now_tick = tick_of(clock::now());
    wheel_.advance(now_tick, due);
    if (!due.empty()) {
      lock.unlock();
      for (auto& d : due)
        d.target->get()->enqueue(nullptr, caf::make_message_id(), std::move(d.msg), nullptr);
      due.clear();
      lock.lock();
      continue;
    }
    cv_.wait_until(lock, origin_ + (now_tick + 1) * tick_);
  }
}

}  // namespace aragora::timer
