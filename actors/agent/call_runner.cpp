#include "actors/agent/call_runner.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <new>
#include <string>

#include "runtime/base/metrics/metrics.hpp"

namespace aragora::agent {

namespace {

// Reports straight into the runner: for a runner used on one thread only (tests, benchmarks).
class direct_sink final : public call_sink {
public:
  explicit direct_sink(call_runner& r) : r_(r) {}
  void delta(call_id id, std::string_view text) override { r_.on_delta(id, text); }
  void done(call_id id, debate::call_outcome outcome) override { r_.on_done(id, std::move(outcome)); }

private:
  call_runner& r_;
};

debate::call_outcome failed(const debate::call_key& key, debate::call_errc code, std::string msg) {
  debate::call_outcome o;
  o.key = key;
  o.error = code;
  o.error_message = std::move(msg);
  return o;
}

std::string describe(const std::exception& e) {
  return dynamic_cast<const std::bad_alloc*>(&e) ? "out of memory" : e.what();
}

}  // namespace

scheduler::handle call_runner::turn_scheduler::after(steady_clock::duration delay,
                                                     std::function<void()> fn) {
  return base_.after(delay, [&r = r_, fn = std::move(fn)] {
    turn t{r};
    fn();
  });
}

call_runner::call_runner(scheduler& sched, const provider_catalog& catalog)
    : sched_(sched), provider_sched_(*this, sched), sink_(std::make_shared<direct_sink>(*this)) {
  providers_.reserve(catalog.size());
  for (const auto& [name, make] : catalog) providers_.emplace_back(name, make(provider_sched_));
}

call_runner::~call_runner() {
  // A pending deadline would call into a runner that is gone.
  if (timer_ != 0) sched_.cancel(timer_);
}

void call_runner::set_sink(std::shared_ptr<call_sink> sink) {
  sink_ = std::move(sink);
}

provider* call_runner::find_provider(std::string_view name) const {
  for (const auto& [n, p] : providers_)
    if (n == name) return p.get();
  return nullptr;
}

size_t call_runner::pending_calls() const {
  size_t n = 0;
  for (const auto& b : batches_)
    if (b.live) n += b.pending;
  return n;
}

call_runner::batch* call_runner::find(call_id id, size_t& call) {
  auto index = static_cast<uint32_t>((id >> 8) & (max_steps_in_flight - 1));
  if (index >= batches_.size()) return nullptr;
  auto& b = batches_[index];
  call = static_cast<size_t>(id & 0xFF);
  if (!b.live || b.generation != static_cast<uint32_t>(id >> 32) || call >= b.calls.size() ||
      !b.calls[call].pending)
    return nullptr;
  return &b;
}

uint32_t call_runner::acquire() {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<uint32_t>(batches_.size());
    batches_.emplace_back();
  }
  auto& b = batches_[index];
  b.live = true;
  b.queued = false;
  b.pending = 0;
  ++live_;
  return index;
}

void call_runner::release(uint32_t index) {
  auto& b = batches_[index];
  unlink_deadline(index);
  unindex_debate(index);
  b.live = false;
  if (++b.generation == 0) b.generation = 1;  // a flush or a report that still names it misses
  b.spec.reset();
  b.reply = nullptr;
  b.deltas = nullptr;
  b.calls.clear();  // keeps its buffer for the next step
  b.out.items.clear();
  --live_;
  free_.push_back(index);
}

void call_runner::start(std::shared_ptr<const debate::debate_spec> spec,
                        std::vector<debate::call_request> requests, reply_fn reply,
                        delta_fn deltas) {
  if (requests.empty()) return;
  if (free_.empty() && batches_.size() >= max_steps_in_flight) {
    // Bounded: a worker this far behind fails new steps instead of growing without limit.
    debate::call_outcomes out;
    for (const auto& r : requests)
      out.items.push_back(failed(r.key, debate::call_errc::provider_error,
                                 "the agent worker has too many steps in flight"));
    reply(std::move(out));
    return;
  }
  // What a step reads has not been touched on this thread since the debate wrote it: ask for it
  // all at once rather than miss it one load after the other.
  const auto* s = spec.get();
  __builtin_prefetch(s);
  __builtin_prefetch(&s->agents);
  __builtin_prefetch(&s->agent_timeout);
  __builtin_prefetch(requests.data());
  turn t{*this};
  auto index = acquire();
  __builtin_prefetch(s->agents.data());
  __builtin_prefetch(s->id.data());
  auto generation = batches_[index].generation;
  {
    auto& b = batches_[index];
    b.spec = std::move(spec);
    b.reply = std::move(reply);
    b.deltas = std::move(deltas);
    b.deadline = sched_.now() + b.spec->agent_timeout;
    b.calls.reserve(requests.size());
    provider* last = nullptr;
    uint8_t last_agent = debate::no_agent;
    for (const auto& r : requests) {
      // A step's calls come agent by agent: look each agent's provider up once.
      if (r.key.agent != last_agent) {
        last_agent = r.key.agent;
        last = find_provider(b.spec->agents[r.key.agent].provider);
      }
      b.calls.push_back({r.key, last});
      ++b.pending;
    }
  }
  // Calls without a provider, or past what a call id can name, fail at once.
  for (size_t i = 0; i < requests.size(); ++i) {
    auto& b = batches_[index];
    if (i >= max_calls_per_step)
      record(index, i, failed(b.calls[i].key, debate::call_errc::provider_error,
                              "more than " + std::to_string(max_calls_per_step) +
                                  " calls in one step"));
    else if (!b.calls[i].runs_on)
      record(index, i, failed(b.calls[i].key, debate::call_errc::provider_error,
                              "no provider '" + b.spec->agents[b.calls[i].key.agent].provider +
                                  "' on this node"));
  }
  // Each provider's calls start at once; almost always there is one provider. What they report
  // meanwhile waits for the end of the turn: this function still works on the batch.
  auto sink = sink_;  // a provider reporting synchronously cannot swap it under us
  in_start_ = true;
  struct reset {
    bool& flag;
    ~reset() { flag = false; }
  } starting{in_start_};
  for (const auto& [name, p] : providers_) {
    auto calls = std::move(to_start_);  // a member, so its buffer is reused step after step
    calls.clear();
    {
      const auto& b = batches_[index];
      for (size_t i = 0; i < b.calls.size(); ++i)
        if (b.calls[i].pending && b.calls[i].runs_on == p.get())
          calls.push_back({make_call_id(generation, index, i), b.spec, std::move(requests[i]),
                           b.deadline, static_cast<bool>(b.deltas)});
    }
    if (!calls.empty()) {
      try {
        p->start(calls, sink);
      } catch (const std::exception& e) {
        // A provider that throws (out of memory for its reply) fails its calls, not the worker
        // every debate of this worker depends on.
        for (const auto& c : calls) {
          size_t call = 0;
          if (find(c.id, call))
            record(index, call, failed(c.request.key, debate::call_errc::provider_error,
                                       "the provider failed: " + describe(e)));
        }
      }
      auto& b = batches_[index];  // still this step's: only a flush or a cancel releases it
      for (const auto& c : calls) {
        auto& s = b.calls[static_cast<size_t>(c.id & 0xFF)];
        if (s.pending) s.tag = c.tag;
      }
    }
    calls.clear();
    to_start_ = std::move(calls);
  }
  if (batches_[index].pending > 0) {
    link_deadline(index);
    index_debate(index);
  }
}

namespace {

struct call_metrics {
  metrics::histogram_family& latency =
      metrics::process_histogram("aragora_agent_call_duration_seconds",
                                 "One agent call by provider, from its step's start to its outcome (a "
                                 "timeout counts at the deadline).",
                                 metrics::latency_buckets, {"provider"});
  metrics::counter_family& failures = metrics::process_counter(
      "aragora_agent_call_failures_total", "Agent calls that failed, by provider and error code.",
      {"provider", "code"});

  metrics::counter_family& tokens = metrics::process_counter(
      "aragora_agent_tokens_total",
      "Tokens of agent calls by provider and direction (in: prompts, out: replies); a CLI agent's "
      "are estimated.",
      {"provider", "direction"});
  metrics::counter_family& cost = metrics::process_counter(
      "aragora_agent_cost_usd_total", "What agent calls cost by provider, in USD (the mock's is simulated).",
      {"provider"});
  static constexpr std::array<double, 9> ratio_buckets{0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1};
  metrics::histogram& compression =
      metrics::process_histogram("aragora_context_compression_ratio",
                                 "Real agents' calls whose prompt carried a summary of the earlier debate: the "
                                 "share of the history's length kept.",
                                 ratio_buckets)
          .with({});
  struct usage_meters {
    metrics::histogram* latency;
    metrics::counter* in;
    metrics::counter* out;
    metrics::counter* usd;
    // One child per code, found once: failures may be most calls (benchmark --fail-rate).
    std::array<metrics::counter*, 256> failed{};
  };
  // Found once per provider and worker thread: a handful of names.
  usage_meters& usage(std::string_view provider) {
    thread_local std::vector<std::pair<std::string, std::unique_ptr<usage_meters>>> found;
    for (auto& [name, m] : found)
      if (name == provider) return *m;
    found.emplace_back(std::string{provider},
                       std::make_unique<usage_meters>(usage_meters{&latency.with({provider}), &tokens.with({provider, "in"}),
                                                                   &tokens.with({provider, "out"}), &cost.with({provider})}));
    return *found.back().second;
  }

  metrics::counter& failed(usage_meters& u, std::string_view provider, debate::call_errc code) {
    auto& cell = u.failed[static_cast<uint8_t>(code)];
    if (!cell) cell = &failures.with({provider, debate::to_string(code)});
    return *cell;
  }

  static call_metrics& get() {
    static call_metrics m;
    return m;
  }
};

}  // namespace

void call_runner::record(uint32_t index, size_t call, debate::call_outcome&& outcome) {
  auto& b = batches_[index];
  auto& s = b.calls[call];
  // The batch's deadline is its start plus the agent timeout (start()).
  auto& m = call_metrics::get();
  auto agent = s.key.agent;
  // A judge's or a synthesis call is keyed past the agents: it counts under "other".
  std::string_view provider = agent < b.spec->agents.size() ? std::string_view{b.spec->agents[agent].provider}
                                                            : std::string_view{"other"};
  auto& u = m.usage(provider);
  u.latency->observe(sched_.now() - (b.deadline - b.spec->agent_timeout));
  if (outcome.error) m.failed(u, provider, *outcome.error).inc();
  if (outcome.context_ratio > 0) m.compression.observe(outcome.context_ratio);
  if ((outcome.tokens_in | outcome.tokens_out) != 0 || outcome.cost_usd > 0) {
    if (agent < b.spec->agents.size()) {
      u.in->inc(outcome.tokens_in);
      u.out->inc(outcome.tokens_out);
      u.usd->add(outcome.cost_usd);
    }
  }
  s.pending = false;
  --b.pending;
  outcome.key = s.key;  // the runner's key, whatever the provider said
  if (b.out.items.empty()) b.out.items.reserve(b.pending + 1);  // all that can come this turn
  b.out.items.push_back(std::move(outcome));
  if (!b.queued) {
    b.queued = true;
    flush_.push_back({index, b.generation});
  }
  if (b.pending == 0) unlink_deadline(index);
}

void call_runner::on_delta(call_id id, std::string_view text) {
  size_t call = 0;
  auto* b = find(id, call);
  if (!b || !b->deltas) return;
  auto& s = b->calls[call];
  b->deltas(token_delta{s.key, s.deltas++, std::string{text}});
}

void call_runner::on_done(call_id id, debate::call_outcome&& outcome) {
  turn t{*this};
  size_t call = 0;
  auto* b = find(id, call);
  if (!b) return;  // cancelled, timed out or unknown: dropped
  auto index = static_cast<uint32_t>(b - batches_.data());
  record(index, call, std::move(outcome));
  // The step is complete: it goes now rather than at the end of the turn, so a provider that
  // answers many steps in one go (the mock, when a tick's worth comes due) holds none back.
  if (!in_start_ && b->pending == 0) send(index, b->generation);
}

void call_runner::expire(uint32_t index) {
  auto& b = batches_[index];
  auto generation = b.generation;
  auto message = "no reply within the agent timeout of " +
                 std::to_string(b.spec->agent_timeout.count()) + " ms";
  for (size_t i = 0; i < b.calls.size(); ++i) {
    if (!b.calls[i].pending) continue;
    record(index, i, failed(b.calls[i].key, debate::call_errc::timeout, message));
    // Cut off: the provider stops working on it, and whatever it says later is dropped.
    if (auto* p = b.calls[i].runs_on) p->cancel(make_call_id(generation, index, i), b.calls[i].tag);
  }
}

void call_runner::index_debate(uint32_t index) {
  if (indexed_ * 4 >= debate_index_.size()) {
    // A bucket for four batches: chains of one, so linking seldom touches another batch (cold by
    // then). Double the buckets and chain every batch again.
    debate_index_.assign(std::max<size_t>(64, debate_index_.size() * 2), npos);
    for (uint32_t i = 0; i < batches_.size(); ++i)
      if (batches_[i].indexed) chain_debate(i);
  }
  auto& b = batches_[index];
  b.debate = std::hash<std::string_view>{}(b.spec->id);
  b.indexed = true;
  ++indexed_;
  chain_debate(index);
}

void call_runner::chain_debate(uint32_t index) {
  auto& b = batches_[index];
  auto& head = debate_index_[b.debate & (debate_index_.size() - 1)];
  b.same_prev = npos;
  b.same_next = head;
  if (head != npos) batches_[head].same_prev = index;
  head = index;
}

void call_runner::unindex_debate(uint32_t index) {
  auto& b = batches_[index];
  if (!b.indexed) return;
  b.indexed = false;
  --indexed_;
  if (b.same_prev != npos)
    batches_[b.same_prev].same_next = b.same_next;
  else
    debate_index_[b.debate & (debate_index_.size() - 1)] = b.same_next;
  if (b.same_next != npos) batches_[b.same_next].same_prev = b.same_prev;
  b.same_prev = b.same_next = npos;
}

void call_runner::link_deadline(uint32_t index) {
  auto& b = batches_[index];
  auto timeout = b.spec->agent_timeout;
  uint32_t l = last_list_;
  if (l >= deadlines_.size() || deadlines_[l].timeout != timeout) {
    // The list of this timeout, else an empty one, else a new one.
    uint32_t empty = npos;
    for (l = 0; l < deadlines_.size(); ++l) {
      if (deadlines_[l].head != npos && deadlines_[l].timeout == timeout) break;
      if (deadlines_[l].head == npos && empty == npos) empty = l;
    }
    if (l == deadlines_.size()) {
      if (empty != npos)
        l = empty;
      else
        deadlines_.emplace_back();
    }
  }
  last_list_ = l;
  auto& list = deadlines_[l];
  list.timeout = timeout;
  b.list = l;
  b.prev = list.tail;
  b.next = npos;
  if (list.tail != npos)
    batches_[list.tail].next = index;
  else
    list.head = index;
  list.tail = index;
  ++linked_;
  if (timer_ == 0 || b.deadline < timer_due_) arm();
}

void call_runner::unlink_deadline(uint32_t index) {
  auto& b = batches_[index];
  if (b.list == npos) return;
  auto& list = deadlines_[b.list];
  if (b.prev != npos)
    batches_[b.prev].next = b.next;
  else
    list.head = b.next;
  if (b.next != npos)
    batches_[b.next].prev = b.prev;
  else
    list.tail = b.prev;
  b.list = b.prev = b.next = npos;
  // Nothing left to time out: no timer either. Otherwise it stays armed for a deadline that may
  // have been met, and finds the next one when it fires: cheaper than re-arming per step.
  if (--linked_ == 0 && timer_ != 0) {
    sched_.cancel(timer_);
    timer_ = 0;
  }
}

void call_runner::arm() {
  if (timer_ != 0) sched_.cancel(timer_);
  timer_ = 0;
  if (linked_ == 0) return;
  bool any = false;
  for (const auto& list : deadlines_) {
    if (list.head == npos) continue;
    auto d = batches_[list.head].deadline;
    if (!any || d < timer_due_) timer_due_ = d;
    any = true;
  }
  auto left = std::max(timer_due_ - sched_.now(), steady_clock::duration::zero());
  timer_ = sched_.after(left, [this] {
    turn t{*this};
    deadline_due();
  });
}

void call_runner::deadline_due() {
  timer_ = 0;  // fired
  auto now = sched_.now();
  for (auto& list : deadlines_)
    // Expiring a batch records its last pending call, which takes it out of the list.
    while (list.head != npos && batches_[list.head].deadline <= now) {
      auto head = list.head;
      expire(head);
      if (list.head == head) unlink_deadline(head);  // cannot happen: nothing is left pending
    }
  arm();
}

size_t call_runner::cancel_debate(std::string_view debate_id) {
  turn t{*this};
  size_t cancelled = 0;
  std::vector<uint32_t> ids;
  if (!debate_index_.empty()) {
    auto hash = std::hash<std::string_view>{}(debate_id);
    for (auto i = debate_index_[hash & (debate_index_.size() - 1)]; i != npos;
         i = batches_[i].same_next)
      if (batches_[i].debate == hash && batches_[i].spec->id == debate_id) ids.push_back(i);
  }
  // Steps answered as they started, their outcomes not sent yet (this turn).
  for (auto [i, generation] : flush_) {
    const auto& b = batches_[i];
    if (b.live && b.generation == generation && !b.indexed && b.spec->id == debate_id)
      ids.push_back(i);
  }
  for (auto index : ids) {
    auto& b = batches_[index];
    for (size_t i = 0; i < b.calls.size(); ++i) {
      if (!b.calls[i].pending) continue;
      ++cancelled;
      b.calls[i].pending = false;
      if (auto* p = b.calls[i].runs_on)
        p->cancel(make_call_id(b.generation, index, i), b.calls[i].tag);
    }
    release(index);  // a flush that lists it skips it
  }
  return cancelled;
}

void call_runner::send(uint32_t index, uint32_t generation) {
  auto* b = &batches_[index];
  if (!b->live || b->generation != generation) return;  // cancelled or sent meanwhile
  b->queued = false;
  if (!b->out.items.empty()) {
    auto out = std::move(b->out);
    b->out = {};
    b->reply(std::move(out));
    b = &batches_[index];  // a reply that calls back in may have changed the slab
    if (!b->live || b->generation != generation) return;
  }
  if (b->pending == 0) release(index);
}

void call_runner::flush() {
  std::vector<flush_ref> refs;
  while (!flush_.empty()) {
    refs.swap(flush_);
    for (auto [index, generation] : refs) send(index, generation);
    refs.clear();
  }
  if (refs.capacity() > flush_.capacity()) flush_.swap(refs);  // keep the buffer
}

}  // namespace aragora::agent
