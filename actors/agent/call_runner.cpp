#include "actors/agent/call_runner.hpp"

#include <algorithm>
#include <new>

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
  // Pending deadlines would call into a runner that is gone.
  for (auto& [id, b] : batches_)
    if (b.deadline != 0) sched_.cancel(b.deadline);
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
  for (const auto& [id, b] : batches_) n += b.pending;
  return n;
}

void call_runner::start(std::shared_ptr<const debate::debate_spec> spec,
                        std::vector<debate::call_request> requests, reply_fn reply,
                        delta_fn deltas) {
  if (requests.empty()) return;
  turn t{*this};
  auto id = ++next_batch_;
  auto [it, inserted] = batches_.try_emplace(id);
  auto& b = it->second;
  b.spec = std::move(spec);
  b.reply = std::move(reply);
  b.deltas = std::move(deltas);
  b.calls.reserve(requests.size());
  by_debate_.emplace(b.spec->id, id);
  auto deadline = sched_.now() + b.spec->agent_timeout;
  bool stream = static_cast<bool>(b.deltas);

  // Calls grouped by provider, each group started at once; almost always there is one group.
  std::vector<std::pair<provider*, std::vector<provider_call>>> groups;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& key = requests[i].key;
    const auto& name = b.spec->agents[key.agent].provider;
    auto* p = find_provider(name);
    b.calls.push_back({key, p, true, 0});
    ++b.pending;
    if (!p) {
      record(id, b, i, failed(key, debate::call_errc::provider_error,
                              "no provider '" + name + "' on this node"));
      continue;
    }
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.first == p; });
    if (g == groups.end()) g = groups.emplace(groups.end(), p, std::vector<provider_call>{});
    g->second.push_back({make_call_id(id, i), b.spec, std::move(requests[i]), deadline, stream});
  }
  auto sink = sink_;  // a provider reporting synchronously cannot swap it under us
  for (auto& [p, calls] : groups) {
    try {
      p->start(calls, sink);
    } catch (const std::exception& e) {
      // A provider that throws (out of memory for its reply) fails its calls, not the worker
      // every debate of this worker depends on.
      auto where = batches_.find(id);
      if (where == batches_.end()) break;
      for (const auto& c : calls) {
        auto index = static_cast<size_t>(c.id & 0xFFFF);
        if (where->second.calls[index].pending)
          record(id, where->second, index,
                 failed(c.request.key, debate::call_errc::provider_error,
                        "the provider failed: " + describe(e)));
      }
    }
  }
  auto where = batches_.find(id);
  if (where == batches_.end() || where->second.pending == 0) return;
  auto left = std::max(deadline - sched_.now(), steady_clock::duration::zero());
  where->second.deadline = sched_.after(left, [this, id] {
    turn t{*this};
    expire(id);
  });
}

void call_runner::record(uint64_t batch_id, batch& b, size_t index, debate::call_outcome&& outcome) {
  auto& s = b.calls[index];
  s.pending = false;
  --b.pending;
  outcome.key = s.key;  // the runner's key, whatever the provider said
  b.out.items.push_back(std::move(outcome));
  if (!b.queued) {
    b.queued = true;
    flush_.push_back(batch_id);
  }
  if (b.pending == 0 && b.deadline != 0) {
    sched_.cancel(b.deadline);
    b.deadline = 0;
  }
}

void call_runner::on_delta(call_id id, std::string_view text) {
  auto it = batches_.find(id >> 16);
  if (it == batches_.end()) return;
  auto& b = it->second;
  auto index = static_cast<size_t>(id & 0xFFFF);
  if (index >= b.calls.size() || !b.calls[index].pending || !b.deltas) return;
  auto& s = b.calls[index];
  b.deltas(token_delta{s.key, s.deltas++, std::string{text}});
}

void call_runner::on_done(call_id id, debate::call_outcome outcome) {
  turn t{*this};
  auto it = batches_.find(id >> 16);
  if (it == batches_.end()) return;  // cancelled, timed out or unknown: dropped
  auto index = static_cast<size_t>(id & 0xFFFF);
  if (index >= it->second.calls.size() || !it->second.calls[index].pending) return;
  record(it->first, it->second, index, std::move(outcome));
}

void call_runner::expire(uint64_t batch_id) {
  auto it = batches_.find(batch_id);
  if (it == batches_.end()) return;
  auto& b = it->second;
  b.deadline = 0;  // fired
  auto message = "no reply within the agent timeout of " +
                 std::to_string(b.spec->agent_timeout.count()) + " ms";
  for (size_t i = 0; i < b.calls.size(); ++i) {
    if (!b.calls[i].pending) continue;
    // Cut off: the provider stops working on it, and whatever it says later is dropped.
    if (auto* p = b.calls[i].runs_on) p->cancel(make_call_id(batch_id, i));
    record(batch_id, b, i, failed(b.calls[i].key, debate::call_errc::timeout, message));
  }
}

size_t call_runner::cancel_debate(std::string_view debate_id) {
  turn t{*this};
  size_t cancelled = 0;
  auto [from, to] = by_debate_.equal_range(debate_id);
  std::vector<uint64_t> ids;
  for (auto i = from; i != to; ++i) ids.push_back(i->second);
  for (auto id : ids) {
    auto it = batches_.find(id);
    if (it == batches_.end()) continue;
    auto& b = it->second;
    for (size_t i = 0; i < b.calls.size(); ++i) {
      if (!b.calls[i].pending) continue;
      ++cancelled;
      b.calls[i].pending = false;
      if (auto* p = b.calls[i].runs_on) p->cancel(make_call_id(id, i));
    }
    erase(it);
  }
  return cancelled;
}

void call_runner::erase(std::unordered_map<uint64_t, batch>::iterator it) {
  auto& b = it->second;
  if (b.deadline != 0) sched_.cancel(b.deadline);
  auto [from, to] = by_debate_.equal_range(b.spec->id);
  for (auto i = from; i != to; ++i)
    if (i->second == it->first) {
      by_debate_.erase(i);
      break;
    }
  batches_.erase(it);  // a flush that lists it skips it
}

void call_runner::flush() {
  while (!flush_.empty()) {
    std::vector<uint64_t> ids;
    ids.swap(flush_);
    for (auto id : ids) {
      auto it = batches_.find(id);
      if (it == batches_.end()) continue;
      auto& b = it->second;
      b.queued = false;
      if (!b.out.items.empty()) {
        auto out = std::move(b.out);
        b.out = {};
        b.reply(std::move(out));
        it = batches_.find(id);  // a reply that calls back in may have changed the table
        if (it == batches_.end()) continue;
      }
      if (it->second.pending == 0) erase(it);
    }
  }
}

}  // namespace aragora::agent
