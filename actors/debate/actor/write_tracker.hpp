#pragma once
// The persistence bookkeeping of one debate, pure: which events are recorded but not yet on disk,
// the one write in flight, its token and deadline, and the backoff after a failed or lost write.
// The debate actor asks it what to do and tells it what happened; it holds no store and no actor.
//
// Rules:
//  - At most one write is in flight; events recorded meanwhile wait for the next one.
//  - A write ends with an ack carrying its token, or with its timeout. A timed-out write counts as
//    failed and is sent again (a write is idempotent: the same keys and values), so a late ack of
//    the earlier attempt is stale and ignored.
//  - After a failure the next attempt waits for a backoff (100 ms doubling to `max_backoff`);
//    after `hold_limit` of consecutive failures the debate gives up (it fails cleanly instead of
//    holding forever).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "actors/debate/machine.hpp"

namespace aragora::debate {

class write_tracker {
public:
  using clock = std::chrono::steady_clock;

  struct options {
    std::chrono::milliseconds max_backoff{30'000};
    std::chrono::milliseconds hold_limit{600'000};
  };

  /// `record_written`: the debate's record is already on disk (a debate rebuilt from its log).
  explicit write_tracker(options o, bool record_written = false)
      : opts_(o), record_written_(record_written) {}

  /// Events the machine recorded, to be written with the next write.
  void recorded(std::span<const event_ref> events) {
    unsaved_.insert(unsaved_.end(), events.begin(), events.end());
  }

  /// A write is in flight or a retry waits for its backoff: nothing else may be sent.
  [[nodiscard]] bool busy() const { return inflight_.has_value() || retry_pending_; }

  /// Whether something must be written before the debate may move on.
  [[nodiscard]] bool wants_write(bool finished, bool sealed) const {
    return !unsaved_.empty() || !record_written_ || (finished && !sealed);
  }

  struct write {
    uint64_t token = 0;
    bool record = false;       // put the debate record (first write, and the final one)
    bool start_audit = false;  // the debate's first write: audit its start
    bool final = false;        // the debate is finished: sync, then report
  };

  /// Starts a write of every unsaved event. Precondition: !busy().
  [[nodiscard]] write begin(bool finished, size_t transcript_size) {
    inflight_ = inflight{++token_, unsaved_.size(), finished, transcript_size};
    return {token_, !record_written_ || finished, !record_written_, finished};
  }

  /// The events the write being built carries (valid until the next call).
  [[nodiscard]] std::span<const event_ref> unsaved() const { return unsaved_; }

  struct stale {};
  struct done {
    size_t events_written = 0;
    std::optional<uint32_t> durable_seq;  // last seq now on disk, if any event was written
    bool final = false;
    size_t transcript = 0;                // transcript entries the write covered
    bool recovered = false;               // writes work again after failures
  };
  struct failed {
    std::chrono::milliseconds backoff{0};
    bool first = false;     // the first failure of a run: say so once
    bool give_up = false;   // failures have lasted past the hold limit
  };
  using outcome = std::variant<stale, done, failed>;

  /// The writer answered the write `token`.
  [[nodiscard]] outcome acked(uint64_t token, bool ok, clock::time_point now) {
    if (!inflight_ || inflight_->token != token) return stale{};
    auto w = *inflight_;
    inflight_.reset();
    if (!ok) return fail(now);
    done d;
    d.events_written = std::min(w.events, unsaved_.size());
    if (d.events_written > 0) d.durable_seq = unsaved_[d.events_written - 1].seq;
    unsaved_.erase(unsaved_.begin(), unsaved_.begin() + static_cast<std::ptrdiff_t>(d.events_written));
    record_written_ = true;
    d.final = w.final;
    d.transcript = w.transcript;
    d.recovered = failing_since_.has_value();
    failing_since_.reset();
    backoff_ = std::chrono::milliseconds{0};
    return d;
  }

  /// The write `token` has had no answer within its timeout: it counts as failed.
  [[nodiscard]] outcome timed_out(uint64_t token, clock::time_point now) {
    if (!inflight_ || inflight_->token != token) return stale{};
    inflight_.reset();
    return fail(now);
  }

  /// The backoff after a failure has passed: the next write may go.
  void retry_due() { retry_pending_ = false; }

  /// The writer was replaced (restarted): a write in flight to the old one will never be answered,
  /// and a pending backoff need not be waited out. Returns whether anything was outstanding.
  bool writer_replaced() {
    bool any = inflight_.has_value() || retry_pending_;
    inflight_.reset();
    retry_pending_ = false;
    return any;
  }

private:
  struct inflight {
    uint64_t token;
    size_t events;
    bool final;
    size_t transcript;
  };

  failed fail(clock::time_point now) {
    failed f;
    f.first = !failing_since_.has_value();
    if (f.first) failing_since_ = now;
    backoff_ = std::min<std::chrono::milliseconds>(
        std::max(backoff_ * 2, std::chrono::milliseconds{100}), opts_.max_backoff);
    f.backoff = backoff_;
    f.give_up = now - *failing_since_ >= opts_.hold_limit;
    retry_pending_ = !f.give_up;
    return f;
  }

  options opts_;
  std::vector<event_ref> unsaved_;
  std::optional<inflight> inflight_;
  bool record_written_ = false;
  bool retry_pending_ = false;
  uint64_t token_ = 0;
  std::chrono::milliseconds backoff_{0};
  std::optional<clock::time_point> failing_since_;
};

}  // namespace aragora::debate
