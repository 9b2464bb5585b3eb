#pragma once
// The calls in flight of one agent worker, without the actor: which provider runs each call, its
// deadline, cancellation by debate, and the batching of outcomes back to the caller. Everything
// here runs on one thread (the worker's); providers that complete elsewhere report through a sink
// that hops to that thread (agent_actor.cpp).
//
// Guarantees: each started call gets exactly one outcome (the provider's, or a timeout at its
// deadline) unless its debate cancels it, in which case it gets none; a provider's late or
// repeated report is dropped; token deltas of a call come in order and before its outcome.

#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/agent/provider.hpp"
#include "actors/debate/actor/messages.hpp"

namespace aragora::agent {

class call_runner {
public:
  using reply_fn = std::function<void(debate::call_outcomes&&)>;
  using delta_fn = std::function<void(token_delta&&)>;

  /// Makes this runner's instance of every provider of `catalog`. `sched` outlives the runner.
  call_runner(scheduler& sched, const provider_catalog& catalog);
  ~call_runner();
  call_runner(const call_runner&) = delete;
  call_runner& operator=(const call_runner&) = delete;

  /// Where providers report. By default the runner itself, for single-threaded use; an agent
  /// worker installs one that is safe to call from any thread.
  void set_sink(std::shared_ptr<call_sink> sink);

  /// Starts one step's calls of a debate. Outcomes go to `reply`, those reported within one turn
  /// together; token deltas go to `deltas` when it is set (and providers are asked for them).
  void start(std::shared_ptr<const debate::debate_spec> spec,
             std::vector<debate::call_request> requests, reply_fn reply, delta_fn deltas = {});

  /// Cancels every pending call of a debate: each provider is told, and no outcome of these
  /// calls reaches the caller, not even one reported earlier in the same turn. Returns how many
  /// calls were pending.
  size_t cancel_debate(std::string_view debate_id);

  /// What providers report, through the sink.
  void on_delta(call_id id, std::string_view text);
  void on_done(call_id id, debate::call_outcome outcome);

  [[nodiscard]] size_t pending_calls() const;
  [[nodiscard]] size_t pending_batches() const { return batches_.size(); }

  /// A unit of work: outcomes recorded during it are sent when the outermost turn ends, one
  /// message per step instead of one per call. Every entry point above opens one; so do the
  /// closures providers schedule.
  class turn {
  public:
    explicit turn(call_runner& r) : r_(r) { ++r_.depth_; }
    ~turn() {
      if (--r_.depth_ == 0) r_.flush();
    }
    turn(const turn&) = delete;
    turn& operator=(const turn&) = delete;

  private:
    call_runner& r_;
  };

private:
  struct slot {
    debate::call_key key;
    provider* runs_on = nullptr;
    bool pending = true;
    uint32_t deltas = 0;
  };
  struct batch {
    std::shared_ptr<const debate::debate_spec> spec;
    reply_fn reply;
    delta_fn deltas;
    std::vector<slot> calls;
    uint32_t pending = 0;
    scheduler::handle deadline = 0;
    debate::call_outcomes out;  // recorded this turn, not yet sent
    bool queued = false;        // listed in flush_
  };

  // The scheduler providers get: their closures run inside a turn.
  class turn_scheduler final : public scheduler {
  public:
    turn_scheduler(call_runner& r, scheduler& base) : r_(r), base_(base) {}
    [[nodiscard]] steady_clock::time_point now() const override { return base_.now(); }
    handle after(steady_clock::duration delay, std::function<void()> fn) override;
    bool cancel(handle h) override { return base_.cancel(h); }

  private:
    call_runner& r_;
    scheduler& base_;
  };

  [[nodiscard]] provider* find_provider(std::string_view name) const;
  // Records an outcome of a pending call (the caller checked it is pending).
  void record(uint64_t batch_id, batch& b, size_t index, debate::call_outcome&& outcome);
  void expire(uint64_t batch_id);
  void erase(std::unordered_map<uint64_t, batch>::iterator it);
  void flush();

  scheduler& sched_;
  turn_scheduler provider_sched_;
  std::vector<std::pair<std::string, std::unique_ptr<provider>>> providers_;
  std::shared_ptr<call_sink> sink_;
  std::unordered_map<uint64_t, batch> batches_;
  // Debate id (a view of the batch's spec) -> its batches; usually one.
  std::unordered_multimap<std::string_view, uint64_t> by_debate_;
  std::vector<uint64_t> flush_;
  uint64_t next_batch_ = 0;
  int depth_ = 0;
};

/// A call id names its batch and its place in it: a step has at most max_agents^2 calls.
[[nodiscard]] constexpr call_id make_call_id(uint64_t batch, size_t index) {
  return (batch << 16) | static_cast<call_id>(index);
}

}  // namespace aragora::agent
