#pragma once
// The calls in flight of one agent worker, without the actor: which provider runs each call, its
// deadline, cancellation by debate, and the batching of outcomes back to the caller. Everything
// here runs on one thread (the worker's); providers that complete elsewhere report through a sink
// that hops to that thread (agent_actor.cpp).
//
// Guarantees: each started call gets exactly one outcome (the provider's, or a timeout at its
// deadline) unless its debate cancels it, in which case it gets none; a provider's late or
// repeated report is dropped; token deltas of a call come in order and before its outcome.
//
// Cost: this is on the path of every debate step, so a step touches a slab entry and no map
// keyed by string; the deadlines of all pending steps share one timer on the scheduler, armed for
// the earliest of them, instead of a timer armed and cancelled per step.

#include <functional>
#include <memory>
#include <string_view>
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
  /// together (a step whose last call reports goes at once, unless that happens while it starts);
  /// token deltas go to `deltas` when it is set (and providers are asked for them).
  void start(std::shared_ptr<const debate::debate_spec> spec,
             std::vector<debate::call_request> requests, reply_fn reply, delta_fn deltas = {});

  /// Cancels every pending call of a debate: each provider is told, and no outcome of these
  /// calls reaches the caller, not even one reported earlier in the same turn. Returns how many
  /// calls were pending.
  size_t cancel_debate(std::string_view debate_id);

  /// What providers report, through the sink.
  void on_delta(call_id id, std::string_view text);
  void on_done(call_id id, debate::call_outcome&& outcome);

  [[nodiscard]] size_t pending_calls() const;
  [[nodiscard]] size_t pending_batches() const { return live_; }

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
  static constexpr uint32_t npos = 0xFFFFFFFFu;

  struct slot {
    debate::call_key key;
    provider* runs_on = nullptr;
    uint64_t tag = 0;  // the provider's, for cancel
    uint32_t deltas = 0;
    bool pending = true;
  };
  // One debate step's calls. Batches live in a slab whose entries (and their buffers) are reused:
  // a step allocates nothing of the runner's once the slab has grown to the worker's load.
  struct alignas(64) batch {
    // What a report touches first, in one cache line: a step's entry is cold by the time its
    // calls are answered.
    uint32_t generation = 1;  // bumped on release: ids of an earlier batch here miss; ids are not 0
    bool live = false;
    bool queued = false;   // listed in flush_
    bool indexed = false;  // in debate_index_ (a batch that calls are pending for)
    uint32_t pending = 0;
    std::vector<slot> calls;
    debate::call_outcomes out;  // recorded this turn, not yet sent
    // The rest.
    std::shared_ptr<const debate::debate_spec> spec;
    reply_fn reply;
    delta_fn deltas;
    size_t debate = 0;  // hash of the debate id, its key in debate_index_
    // While calls are pending: the deadline, and the batch's place in its deadline list.
    steady_clock::time_point deadline;
    uint32_t list = npos;
    uint32_t prev = npos;
    uint32_t next = npos;
    // The batch's place in its chain of debate_index_ (batches whose debates hash alike).
    uint32_t same_prev = npos;
    uint32_t same_next = npos;
  };
  // Pending batches of one agent timeout in order of deadline: a batch's deadline is its start
  // plus the timeout, so in start order they are sorted. One list per timeout in use (usually
  // one); an empty list takes the next timeout that needs one.
  struct deadline_list {
    steady_clock::duration timeout{};
    uint32_t head = npos;
    uint32_t tail = npos;
  };
  struct flush_ref {
    uint32_t index;
    uint32_t generation;
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
  // The pending batch a call id names, or null.
  [[nodiscard]] batch* find(call_id id, size_t& index);
  [[nodiscard]] uint32_t acquire();
  void release(uint32_t index);
  // Records an outcome of a pending call (the caller checked it is pending).
  void record(uint32_t index, size_t call, debate::call_outcome&& outcome);
  void expire(uint32_t index);
  // The index by debate: a bucket per hash (mod a power of two), chained through the batches.
  void index_debate(uint32_t index);
  void chain_debate(uint32_t index);
  void unindex_debate(uint32_t index);
  // The deadline lists, and the one timer that serves them all.
  void link_deadline(uint32_t index);
  void unlink_deadline(uint32_t index);
  void arm();
  void deadline_due();
  // Sends what a batch has recorded, and releases it once nothing is pending.
  void send(uint32_t index, uint32_t generation);
  void flush();

  scheduler& sched_;
  turn_scheduler provider_sched_;
  std::vector<std::pair<std::string, std::unique_ptr<provider>>> providers_;
  std::shared_ptr<call_sink> sink_;
  std::vector<batch> batches_;
  std::vector<uint32_t> free_;  // released entries of batches_
  size_t live_ = 0;
  // Batches with pending calls by the hash of their debate id, for cancel (which compares the ids
  // themselves): the first batch of each bucket. No node per step, no division: a step links into
  // a chain. A step answered while it starts is never indexed: cancel finds it in flush_.
  std::vector<uint32_t> debate_index_;
  size_t indexed_ = 0;
  std::vector<deadline_list> deadlines_;
  uint32_t last_list_ = 0;  // where the last batch went: almost always where the next one goes
  size_t linked_ = 0;       // batches in the deadline lists
  scheduler::handle timer_ = 0;
  steady_clock::time_point timer_due_;
  std::vector<provider_call> to_start_;  // one provider's calls of the step being started
  bool in_start_ = false;
  std::vector<flush_ref> flush_;
  int depth_ = 0;
};

/// A call id names its batch (slab entry and generation) and its place in it: a step has at most
/// max_agents * (max_agents - 1) calls, and a worker at most 2^24 steps in flight.
[[nodiscard]] constexpr call_id make_call_id(uint32_t generation, uint32_t index, size_t call) {
  return (uint64_t{generation} << 32) | (uint64_t{index} << 8) | static_cast<call_id>(call);
}
inline constexpr size_t max_calls_per_step = 256;
inline constexpr uint32_t max_steps_in_flight = 1u << 24;

}  // namespace aragora::agent
