#pragma once
// A hashed timing wheel: O(1) add and cancel, due entries found by visiting one slot per tick.
// Single-threaded; timer_service puts a lock and a thread around it.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace aragora::timer {

template <class T>
class timer_wheel {
public:
  /// (generation << 32) | node index; 0 is never a valid handle.
  using handle = uint64_t;

  explicit timer_wheel(uint32_t slots) : heads_(slots == 0 ? 1 : slots, npos) {}

  /// Schedules `value` for `due_tick`. A tick already passed fires on the next advance.
  handle add(uint64_t due_tick, T value) {
    if (due_tick <= now_) due_tick = now_ + 1;
    uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else {
      i = static_cast<uint32_t>(nodes_.size());
      nodes_.emplace_back();
    }
    auto& n = nodes_[i];
    n.due = due_tick;
    n.value = std::move(value);
    n.live = true;
    link(i);
    ++size_;
    return (uint64_t{n.generation} << 32) | (uint64_t{i} + 1);
  }

  /// Removes a pending entry; false when it already fired, was cancelled or never existed.
  bool cancel(handle h) {
    auto low = static_cast<uint32_t>(h & 0xFFFFFFFFu);
    if (low == 0 || low > nodes_.size()) return false;
    auto i = low - 1;
    auto& n = nodes_[i];
    if (!n.live || n.generation != static_cast<uint32_t>(h >> 32)) return false;
    unlink(i);
    release(i);
    return true;
  }

  /// Moves every entry due at or before `now_tick` into `due` (in no particular order).
  void advance(uint64_t now_tick, std::vector<T>& due) {
    if (now_tick <= now_) return;
    uint64_t span = now_tick - now_;
    uint64_t slots = heads_.size();
    uint64_t visits = span < slots ? span : slots;
    for (uint64_t k = 1; k <= visits; ++k) {
      auto slot = static_cast<std::size_t>((now_ + k) % slots);
      for (uint32_t i = heads_[slot]; i != npos;) {
        auto next = nodes_[i].next;
        if (nodes_[i].due <= now_tick) {
          due.push_back(std::move(nodes_[i].value));
          unlink(i);
          release(i);
        }
        i = next;
      }
    }
    now_ = now_tick;
  }

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] uint64_t now() const { return now_; }

  /// Restarts the clock (only while empty), e.g. after the service slept idle.
  void reset_now(uint64_t tick) {
    if (size_ == 0) now_ = tick;
  }

private:
  static constexpr uint32_t npos = 0xFFFFFFFFu;

  struct node {
    uint64_t due = 0;
    uint32_t prev = npos;
    uint32_t next = npos;
    uint32_t generation = 0;
    bool live = false;
    T value{};
  };

  void link(uint32_t i) {
    auto slot = static_cast<std::size_t>(nodes_[i].due % heads_.size());
    nodes_[i].prev = npos;
    nodes_[i].next = heads_[slot];
    if (heads_[slot] != npos) nodes_[heads_[slot]].prev = i;
    heads_[slot] = i;
  }

  void unlink(uint32_t i) {
    auto& n = nodes_[i];
    if (n.prev != npos)
      nodes_[n.prev].next = n.next;
    else
      heads_[static_cast<std::size_t>(n.due % heads_.size())] = n.next;
    if (n.next != npos) nodes_[n.next].prev = n.prev;
  }

  void release(uint32_t i) {
    auto& n = nodes_[i];
    n.live = false;
    n.value = T{};
    ++n.generation;
    free_.push_back(i);
    --size_;
  }

  std::vector<node> nodes_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> heads_;
  uint64_t now_ = 0;
  std::size_t size_ = 0;
};

}  // namespace aragora::timer
