#pragma once
// What a client library's follow() delivers, recorded for a test thread to wait on: the seqs of
// the events in the order they came, and how the stream ended.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "net/client/client.hpp"

namespace aragora::test {

struct stream_recorder {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<uint32_t> seqs;
  std::optional<client::result<client::stream_summary>> ended;

  /// Handlers that record into this (which must outlive the stream).
  client::stream_handlers handlers() {
    client::stream_handlers h;
    h.on_event = [this](const v1::Event& e) {
      std::lock_guard<std::mutex> lock{mtx};
      seqs.push_back(e.seq());
      cv.notify_all();
    };
    h.on_end = [this](client::result<client::stream_summary> r) {
      std::lock_guard<std::mutex> lock{mtx};
      ended = std::move(r);
      cv.notify_all();
    };
    return h;
  }

  /// Waits until `n` events came or the stream ended; false when neither happened in time.
  [[nodiscard]] bool wait_events(size_t n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock{mtx};
    return cv.wait_for(lock, limit, [&] { return seqs.size() >= n || ended; });
  }

  /// Waits for the end; false when it did not come in time.
  [[nodiscard]] bool wait_end(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock{mtx};
    return cv.wait_for(lock, limit, [&] { return ended.has_value(); });
  }

  [[nodiscard]] bool has_ended() {
    std::lock_guard<std::mutex> lock{mtx};
    return ended.has_value();
  }
};

}  // namespace aragora::test
