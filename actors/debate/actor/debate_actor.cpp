#include "actors/debate/actor/debate_actor.hpp"

#include <caf/all.hpp>


#include "actors/agent/agent_actor.hpp"
#include "actors/critique/patterns.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/canonical.hpp"
#include "actors/debate/store/persistence.hpp"
#include "actors/debate/receipt.hpp"
#include "actors/memory/memory_tiers.hpp"
#include "actors/ranking/ranking.hpp"
#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/base/timer/timer_service.hpp"
#include "storage/storage_actors.hpp"
#include "runtime/base/text/utf8.hpp"
#include "runtime/base/log/log.hpp"

namespace aragora::debate {

/// Timer message: the write `token` has had no answer within the write timeout (named by the
/// debate's interface, interface.hpp).
struct write_deadline {
  uint64_t token;
};

}  // namespace aragora::debate

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::debate::write_deadline)

namespace aragora::debate {
namespace {

struct debate_state {
  static inline const char* name = "debate";
  std::string id;
  std::shared_ptr<const debate_services> services;
  std::shared_ptr<debate_machine> machine;
  caf::actor owner;
  finish_report report = finish_report::full;
  std::vector<caf::actor> subscribers;
  // A real model among the agents: only then are pieces of replies asked for (set at init).
  bool real_agents = false;
  // Read from their slots at start and again when a supervisor says it restarted them (a mutex
  // per step on one shared slot would be a contended lock on the hot path).
  agent::worker_actor agent;
  storage::writer_actor writer;
  size_t agent_index = 0;  // the pool slot of this debate's agent actor
  std::shared_ptr<supervision::typed_slot<agent::worker_actor>> agent_slot;
  // One pending deadline per debate, re-armed lazily when it fires for a step that has already
  // completed: a schedule and a cancel per step would put two timer-lock round trips on every
  // step of every debate.
  uint64_t deadline = 0;
  std::chrono::steady_clock::time_point step_started;
  // Persistence: what is on disk, the write in flight and its deadline (pure: write_tracker).
  std::optional<write_tracker> writes;
  uint64_t write_timer = 0;
  uint32_t dispatched_step = 0;
  std::optional<v1::Receipt> receipt;  // sealed once finished
  bool reported = false;
  uint32_t calls_sent = 0;
  // Memory: the entries recalled for this debate, a cancel that came before it started.
  std::vector<std::string> recalled;
  std::optional<std::string> early_cancel;
  std::string cancelled_by;  // who cancelled, for the audit log (empty: whoever started it)
};

using debate_self = debate_actor_type::stateful_base<debate_state>;

/// Sends as `self` to a dynamically typed actor (owner, subscribers, services that are not
/// typed): CAF 0.17 lets a typed actor send() only to typed ones. The sender is kept, as send()
/// keeps it.
template <class... Ts>
void tell(debate_self* self, const caf::actor& to, Ts&&... xs) {
  caf::unsafe_send_as(self, to, std::forward<Ts>(xs)...);
}

void publish(debate_self* self, std::span<const event_ref> events) {
  auto& st = self->state;
  if (st.subscribers.empty()) return;
  for (const auto& e : events) {
    auto ev = std::make_shared<v1::Event>();
    fill_event(*st.machine, e, *ev);
    event_ptr shared = std::move(ev);
    for (const auto& s : st.subscribers) tell(self, s, shared);
  }
}

void disarm(debate_self* self) {
  auto& st = self->state;
  if (st.deadline != 0) st.services->timers->cancel(st.deadline);
  st.deadline = 0;
}

std::chrono::steady_clock::duration step_limit(const debate_self* self) {
  return self->state.machine->spec().agent_timeout + self->state.services->phase_grace;
}

void arm(debate_self* self, std::chrono::steady_clock::duration delay) {
  auto& st = self->state;
  st.deadline = st.services->timers->schedule(delay, caf::actor_cast<caf::strong_actor_ptr>(self),
                                              caf::make_message(phase_deadline{st.machine->step()}));
}

void dispatch(debate_self* self) {
  auto& st = self->state;
  const auto& m = *st.machine;
  const auto& calls = m.calls();
  // Pieces of replies only when someone watches and a real model is among the agents: a debate
  // of mocks (benchmarks, tests) would multiply its messages for text that arrives at once.
  agent::agent_calls batch{m.spec_ptr(), {}, st.real_agents && st.services->stream_deltas && !st.subscribers.empty()};
  batch.requests.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i)
    if (m.pending(i)) batch.requests.push_back(calls[i]);
  st.dispatched_step = m.step();
  if (batch.requests.empty()) return;
  st.calls_sent += static_cast<uint32_t>(batch.requests.size());
  self->send(st.agent, std::move(batch));
  st.step_started = std::chrono::steady_clock::now();
  if (st.deadline == 0) arm(self, step_limit(self));
}

const v1::Receipt& seal(debate_self* self) {
  auto& st = self->state;
  if (!st.receipt) st.receipt = make_receipt(*st.machine, st.services->signing_key);
  return *st.receipt;
}

void report(debate_self* self) {
  auto& st = self->state;
  if (st.reported) return;
  st.reported = true;
  disarm(self);
  sealed_receipt sealed;
  if (st.receipt) {
    sealed.id = st.receipt->receipt_id();
    sealed.sha256 = st.receipt->sha256();
    if (st.receipt->has_signature())
      sealed.signature = receipt_signature{st.receipt->signature().key_id(),
                                           st.receipt->signature().value()};
  } else {
    sealed = seal_receipt(*st.machine, st.services->signing_key);
  }
  debate_finished done{st.machine->spec().id, summarize(*st.machine), std::move(sealed), nullptr,
                       {}};
  done.summary.calls_sent = st.calls_sent;
  if (st.report == finish_report::full) done.machine = st.machine;
  tell(self, st.owner, std::move(done));
  self->quit();
}

/// Writes what is not yet on disk: one step's events (and the record at the start and the end)
/// in one batch; the end is synced before it is reported.
void persist(debate_self* self) {
  auto& st = self->state;
  const auto& m = *st.machine;
  auto& db = *st.services->store;
  storage::write_batch batch;
  auto w = st.writes->begin(m.finished(), m.transcript().size());
  add_events(batch, m, st.writes->unsaved(), db.expiry_for(storage::cf::debate_events));
  if (w.record) add_record(batch, record_of(m, m.finished() ? &seal(self) : nullptr), db);
  const auto& who = m.spec().requested_by;
  // Every key below is the same when a write is sent again: a repeated write changes nothing.
  if (w.start_audit)
    add_audit(batch, db, m.started_at(), who, "debate.start", m.spec().id, m.spec().question);
  if (m.finished()) {
    add_consensus(batch, m, db);
    const auto& f = m.outcome();
    bool cancelled = f.status == debate_status::cancelled;
    const auto& actor = cancelled && !st.cancelled_by.empty() ? st.cancelled_by : who;
    add_audit(batch, db, f.at, actor, cancelled ? "debate.cancel" : "debate.end", m.spec().id,
              cancelled ? f.error
                        : std::string{to_string(f.status)} + ", " + std::string{to_string(f.decision)});
  }
  // A writer that never answers (dead, stalled, the ack lost) must not hold the debate forever.
  st.write_timer = st.services->timers->schedule(st.services->write_timeout,
                                                 caf::actor_cast<caf::strong_actor_ptr>(self),
                                                 caf::make_message(write_deadline{w.token}));
  if (st.writer) self->send(st.writer, storage::persist_request{std::move(batch), w.final, w.token, st.id});
}

/// Moves the debate on as far as it can: persist what is unsaved, then send the current step's
/// calls or report the end.
void advance(debate_self* self) {
  auto& st = self->state;
  // A failed write is retried by its backoff timer only; events arriving meanwhile wait for it.
  if (st.writes && st.writes->busy()) return;
  if (st.writes && st.writes->wants_write(st.machine->finished(), st.receipt.has_value())) {
    persist(self);
    return;
  }
  if (st.machine->finished())
    report(self);
  else if (st.dispatched_step != st.machine->step())
    dispatch(self);
}

void apply(debate_self* self, debate_machine::step_result r) {
  auto& st = self->state;
  publish(self, r.events);
  if (st.writes) st.writes->recorded(r.events);
  // Nothing stores this debate and its owner takes a summary: a text published at a step's end
  // is read by nobody but the machine's own phase state (which holds its own reference). The
  // store's path releases the same texts once they are on disk.
  else if (r.new_step && st.report == finish_report::summary && !st.machine->finished())
    st.machine->release_texts(st.machine->transcript().size());
  if (st.machine->finished()) disarm(self);
  // Ended over its budget mid-step: the step's other calls would go on spending for nobody.
  if (st.agent && st.machine->finished() && st.machine->outcome().status == debate_status::budget_exceeded &&
      std::any_of(r.events.begin(), r.events.end(), [](const event_ref& e) { return e.type == event_type::debate_end; }))
    self->send(st.agent, agent::cancel_calls{st.id});
  // Within a step, outcomes wait in memory: the step is persisted as one batch when it completes.
  if (r.new_step || st.machine->finished()) advance(self);
}

/// What this debate decided, as a memory entry; nothing for a debate that decided nothing.
std::optional<memory::entry> memory_of(const debate_machine& m, int64_t now_s) {
  const auto& f = m.outcome();
  if (f.status != debate_status::consensus_reached && f.status != debate_status::no_consensus)
    return std::nullopt;
  memory::entry e;
  e.id = "m-" + m.spec().id;
  e.debate_id = m.spec().id;
  e.topic = m.spec().question;
  std::string_view answer = f.final_answer ? std::string_view{*f.final_answer} : std::string_view{};
  char conf[16];
  std::snprintf(conf, sizeof conf, "%.2f", f.confidence);
  // Cut on character boundaries: a cut through one would make the entry unreadable.
  e.content = "on \"" + std::string{text::utf8_prefix(m.spec().question, 100)} +
              "\" the verdict was " + std::string{to_string(f.decision)} + " (confidence " + conf +
              "): " + std::string{text::utf8_prefix(answer, 240)};
  e.importance = f.reached ? std::max(0.3, f.confidence) : 0.3;
  e.surprise = 0.5 * (1.0 - f.confidence);
  e.created_s = e.updated_s = now_s;
  return e;
}

/// Tells memory how the recalled entries fared and what this debate decided, and the critique
/// store what was criticised. Both reconcile from the store if a message is lost.
void learn(debate_self* self) {
  auto& st = self->state;
  const auto& m = *st.machine;
  if (st.services->critiques) {
    critique::debate_critiques c{m.spec().id, m.spec().question, m.outcome().reached, {}};
    for (const auto& e : m.transcript())
      if (e.key.ph == phase::critique)
        for_each_issue(e.issues, [&](std::string_view issue) {
          c.issues.push_back({std::string{issue}, e.severity});
        });
    if (auto critiques = st.services->critiques->get()) tell(self, critiques, std::move(c));
  }
  if (!st.services->memory) return;
  auto memory = st.services->memory->get();
  if (!memory) return;
  bool held = st.machine->outcome().reached;
  for (const auto& id : st.recalled) tell(self, memory, memory::outcome{id, held});
  if (auto e = memory_of(*st.machine, st.services->store->now_s()))
    tell(self, memory, memory::remember{std::move(*e)});
}

void give_up(debate_self* self, const std::string& why);

/// What the writer said (or its silence) about the write in flight.
/// The cluster moved this debate to another node (its journal refused our epoch): stop at once,
/// writing nothing more, and tell the owner it moved (it is not a failure to report on).
void moved_away(debate_self* self, const std::string& why) {
  auto& st = self->state;
  if (st.reported) return;
  st.reported = true;
  disarm(self);
  if (st.write_timer != 0) st.services->timers->cancel(st.write_timer);
  st.write_timer = 0;
  if (st.agent) self->send(st.agent, agent::cancel_calls{st.id});
  log::warn("debate", st.id, ": moved to another node (", why, "); stopping here");
  debate_finished done;
  done.id = st.id;
  done.summary = summarize(*st.machine);
  done.moved = true;
  tell(self, st.owner, std::move(done));
  self->quit();
}

void on_write_outcome(debate_self* self, write_tracker::outcome o, const std::string& error) {
  auto& st = self->state;
  if (std::holds_alternative<write_tracker::stale>(o)) return;
  if (st.write_timer != 0) st.services->timers->cancel(st.write_timer);
  st.write_timer = 0;
  if (auto* f = std::get_if<write_tracker::failed>(&o)) {
    // Storage is failing: hold the step and retry with backoff; the breaker keeps retries cheap.
    // One line when the store starts failing and one when it recovers, not one per retry.
    if (f->first)
      log::warn("debate", st.id, ": ", error, "; holding the debate and retrying");
    if (f->give_up) {
      give_up(self, error);
      return;
    }
    st.services->timers->schedule(f->backoff, caf::actor_cast<caf::strong_actor_ptr>(self),
                                  caf::make_message(retry_atom::value));
    return;
  }
  auto& d = std::get<write_tracker::done>(o);
  if (d.recovered) log::info("debate", st.id, ": storage writes again; continuing");
  if (st.services->durability_observer && d.durable_seq)
    tell(self, st.services->durability_observer, debate_durable{st.id, *d.durable_seq});
  // The texts are on disk now; an owner that takes only a summary never needs them in memory.
  if (st.report == finish_report::summary && !d.final) st.machine->release_texts(d.transcript);
  if (d.final) {
    // Fire and forget: the ranking reconciles from the stored records if this is lost.
    if (st.services->ranking)
      if (auto ranking = st.services->ranking->get())
        // Built again rather than kept from persist(): holding a copy of the receipt through the
        // synced write costs ~7 KB per finishing debate (bench/RESULTS.md, target 3c).
        tell(self, ranking, ranking::record_match{record_of(*st.machine, &*st.receipt)});
    learn(self);
    report(self);
    return;
  }
  advance(self);
}

void on_persisted(debate_self* self, storage::persist_ack& ack) {
  auto& st = self->state;
  if (!st.writes) return;
  if (ack.error && ack.error->code == storage::store_errc::fenced) {
    moved_away(self, ack.error->message);
    return;
  }
  std::string error;
  if (ack.error) error = std::string{storage::to_string(ack.error->code)} + ": " + ack.error->message;
  on_write_outcome(self, st.writes->acked(ack.token, !ack.error, std::chrono::steady_clock::now()),
                   error);
}

debate_actor_type::behavior_type debate_behavior(debate_self* self) {
  return {
      [=](call_outcomes& batch) {
        auto& s = self->state;
        for (auto& o : batch.items) {
          if (s.machine->finished()) break;
          apply(self, s.machine->record(std::move(o), s.services->now()));
        }
      },
      [=](agent::token_delta& d) {
        // Live only: to the subscribers, not the machine or the store.
        auto& s = self->state;
        if (s.subscribers.empty() || !s.machine || s.machine->finished()) return;
        // Only for a call of the current step still pending: a step that expired while its calls
        // still streamed must not have their pieces shown after its errors.
        const auto& calls = s.machine->calls();
        bool current = false;
        for (size_t i = 0; i < calls.size() && !current; ++i)
          current = calls[i].key == d.key && s.machine->pending(i);
        if (!current) return;
        const auto& spec = s.machine->spec();
        auto ev = std::make_shared<v1::Event>();
        ev->set_debate_id(spec.id);
        ev->set_seq(s.machine->last_seq());
        ev->set_type(v1::EventType::token_delta);
        ev->set_round(d.key.round);
        if (d.key.agent < spec.agents.size()) ev->set_agent(spec.agents[d.key.agent].name);
        *ev->mutable_timestamp() = to_timestamp(s.services->now());
        auto* delta = ev->mutable_delta();
        delta->set_phase(static_cast<v1::Phase::Value>(d.key.ph));
        if (d.key.ph == phase::critique && d.key.target < spec.agents.size())
          delta->set_target(spec.agents[d.key.target].name);
        delta->set_index(d.seq);
        delta->set_text(std::move(d.text));
        event_ptr shared = std::move(ev);
        for (const auto& sub : s.subscribers) tell(self, sub, shared);
      },
      [=](phase_deadline) {
        // The one pending deadline may have been armed for an earlier step: only the time since
        // the current step's calls went out counts.
        auto& s = self->state;
        s.deadline = 0;
        if (!s.machine || s.machine->finished()) return;
        if (s.dispatched_step != s.machine->step()) {
          arm(self, step_limit(self));  // between steps (a write in flight): nothing to expire
          return;
        }
        auto left = s.step_started + step_limit(self) - std::chrono::steady_clock::now();
        if (left > std::chrono::steady_clock::duration::zero()) {
          arm(self, left);
          return;
        }
        apply(self, s.machine->expire(s.services->now()));
      },
      [=](cancel_atom, std::string& reason, std::string& by) {
        self->state.cancelled_by = std::move(by);
        self->send(self, cancel_atom::value, std::move(reason));
      },
      [=](cancel_atom, std::string& reason) {
        auto& s = self->state;
        if (!s.machine) {
          s.early_cancel = std::move(reason);  // still recalling: cancelled once it starts
          return;
        }
        // The agent stops working on this debate's calls in flight (provider seam, issue 8).
        if (s.agent) self->send(s.agent, agent::cancel_calls{s.id});
        apply(self, s.machine->cancel(s.services->now(), std::move(reason)));
      },
      [=](subscribe_atom, caf::actor& subscriber) {
        auto& s = self->state;
        if (s.services->registry) s.services->registry->subscribe(s.id, subscriber);
        s.subscribers.push_back(std::move(subscriber));
      },
      [=](storage::persist_ack& ack) { on_persisted(self, ack); },
      [=](write_deadline& d) {
        auto& s = self->state;
        if (!s.writes) return;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(s.services->write_timeout);
        s.write_timer = 0;
        on_write_outcome(self, s.writes->timed_out(d.token, std::chrono::steady_clock::now()),
                         "storage_unavailable: the writer did not answer within " +
                             std::to_string(ms.count()) + " ms");
      },
      [=](retry_atom) {
        if (!self->state.writes) return;
        self->state.writes->retry_due();
        advance(self);
      },
      [=](agent::agent_restarted_atom, uint64_t index) {
        // The pool member holding this step's calls died: they fail now, not at the deadline.
        auto& s = self->state;
        if (index != s.agent_index) return;
        s.agent = s.agent_slot->get();
        if (!s.machine || s.machine->finished()) return;
        if (s.dispatched_step != s.machine->step()) return;  // nothing sent yet
        const auto& calls = s.machine->calls();
        std::vector<call_outcome> failed;
        for (size_t i = 0; i < calls.size(); ++i) {
          if (!s.machine->pending(i)) continue;
          call_outcome o;
          o.key = calls[i].key;
          o.error = call_errc::provider_error;
          o.error_message = "the agent worker crashed (restarted)";
          failed.push_back(std::move(o));
        }
        for (auto& o : failed) {
          if (s.machine->finished()) break;
          apply(self, s.machine->record(std::move(o), s.services->now()));
        }
      },
      [=](writer_restarted_atom) {
        // A write in flight to the old writer will never be answered: send it again now.
        auto& s = self->state;
        if (s.services->writer) s.writer = s.services->writer->get();
        if (!s.writes || !s.writes->writer_replaced()) return;
        if (s.write_timer != 0) s.services->timers->cancel(s.write_timer);
        s.write_timer = 0;
        if (s.machine) advance(self);
      },
      [=](fault::stall_atom) {
        // The fault hook: answer nothing from now on, like an actor stuck in a call.
        fault::stall_forever(self);
      },
  };
}

std::string describe(const std::exception_ptr& x) {
  try {
    std::rethrow_exception(x);
  } catch (const std::bad_alloc&) {
    return "out of memory (std::bad_alloc)";
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

/// The debate cannot go on here: its owner hears that it failed instead of waiting forever.
void report_failure(debate_self* self, const std::string& what) {
  auto& st = self->state;
  if (st.reported) return;
  st.reported = true;
  disarm(self);
  // The system clock, not services->now: that may be what threw.
  auto done = failed_report(st.id, what,
                            st.machine ? std::optional{st.machine->started_at()} : std::nullopt);
  done.summary.calls_sent = st.calls_sent;
  tell(self, st.owner, std::move(done));
}

/// Writes have failed for the whole hold limit: the debate fails cleanly. What was written stays
/// on disk with status running, so `aragora resume` continues it once storage works again.
void give_up(debate_self* self, const std::string& why) {
  auto& st = self->state;
  auto limit = std::chrono::duration_cast<std::chrono::seconds>(st.services->write_options.hold_limit);
  log::warn("debate", st.id, ": ", why, "; gave up after ", limit.count(),
            " s of failed writes (the debate can be resumed)");
  report_failure(self, why + " (writes failed for " + std::to_string(limit.count()) +
                           " s; what was written can be resumed)");
  self->quit();
}

/// The actor threw (out of memory, a bug). CAF's default handler, which prints on stdout, never
/// runs; the actor exits with the description, and its supervisor restarts it from its log or
/// fails it to its owner. Without a registry (no supervisor), the owner is told here.
caf::error fail_on_exception(debate_self* self, std::exception_ptr& x) {
  auto& st = self->state;
  std::string what = "unknown exception";
  try {
    what = describe(x);
    log::error("debate", st.id, ": internal_error: ", what);
    if (!st.services || !st.services->registry) report_failure(self, what);
  } catch (...) {
    // Out of memory again: owners that monitor the debate still see it go down.
  }
  return caf::make_error(caf::sec::runtime_error, std::move(what));
}

void init(debate_self* self, std::shared_ptr<const debate_services> services,
          std::shared_ptr<const debate_spec> spec, caf::actor owner,
          std::vector<caf::actor> subscribers, finish_report report) {
  const auto& id = spec->id;
  auto& st = self->state;
  st.id = id;
  self->set_exception_handler(
      [self](caf::scheduled_actor*, std::exception_ptr& x) { return fail_on_exception(self, x); });
  st.services = std::move(services);
  if (auto* reg = st.services->registry) {
    if (auto cancel = reg->add(id, self->address(), owner, subscribers, report, spec))
      self->send(self, cancel_atom::value, std::move(cancel->reason), std::move(cancel->by));
    self->attach_functor([reg, id, addr = self->address()](const caf::error& reason) {
      reg->ended(id, addr, reason);
    });
  }
  if (auto* faults = st.services->faults) {
    auto name = "debate/" + id;
    faults->enroll(name, self->address());
    self->attach_functor([faults, name, addr = self->address()] { faults->leave(name, addr); });
  }
  if (st.services->writer) st.writes.emplace(st.services->write_options);
  st.agent_index = st.services->agents->index_of(id);
  st.agent_slot = st.services->agents->slot_of(id);
  st.agent = st.agent_slot->get();
  if (st.services->writer) st.writer = st.services->writer->get();
  st.owner = std::move(owner);
  st.subscribers = std::move(subscribers);
  st.report = report;
  const auto& agents = spec->agents;
  st.real_agents = std::any_of(agents.begin(), agents.end(), [](const agent_spec& a) { return a.provider != "mock"; });
}

void begin(debate_self* self, std::shared_ptr<const debate_spec> spec) {
  auto& st = self->state;
  st.machine = std::make_shared<debate_machine>(std::move(spec), st.services->options);
  apply(self, st.machine->start(st.services->now()));
  if (st.early_cancel)
    apply(self, st.machine->cancel(st.services->now(), std::move(*st.early_cancel)));
}

debate_actor_type::behavior_type debate_actor(debate_self* self,
                                              std::shared_ptr<const debate_services> services,
                                              std::shared_ptr<const debate_spec> spec,
                                              caf::actor owner,
                                              std::vector<caf::actor> subscribers,
                                              finish_report report) {
  init(self, std::move(services), spec, std::move(owner), std::move(subscribers), report);
  auto& st = self->state;
  auto memory = st.services->memory ? st.services->memory->get() : caf::actor{};
  if (!memory || !spec->context.empty()) {
    begin(self, std::move(spec));
    return debate_behavior(self);
  }
  // Prior decisions on the question become the agents' context; memory never holds a debate up
  // for long.
  self->request(memory, std::chrono::seconds{2}, memory::recall_atom::value,
                spec->question, st.services->recall_k)
      .then(
          [=](std::vector<memory::recalled>& hits) {
            if (hits.empty()) {
              begin(self, spec);
              return;
            }
            for (const auto& h : hits) self->state.recalled.push_back(h.e.id);
            auto with_context = std::make_shared<debate_spec>(*spec);
            with_context->context = memory::context_from(hits);
            begin(self, std::move(with_context));
          },
          [=](caf::error&) { begin(self, spec); });
  return debate_behavior(self);
}

debate_actor_type::behavior_type resumed_debate_actor(
    debate_self* self, std::shared_ptr<const debate_services> services,
    std::shared_ptr<debate_machine> machine, caf::actor owner,
    std::vector<caf::actor> subscribers, finish_report report) {
  init(self, std::move(services), machine->spec_ptr(), std::move(owner), std::move(subscribers),
       report);
  self->state.machine = std::move(machine);
  // Everything replayed is on disk already; only the pending calls of the current step remain.
  if (self->state.writes) self->state.writes.emplace(self->state.services->write_options, true);
  advance(self);
  return debate_behavior(self);
}

}  // namespace

std::optional<live_debates::cancellation> live_debates::add(
    const std::string& id, const caf::actor_addr& a, const caf::actor& owner,
    const std::vector<caf::actor>& subscribers, finish_report report,
    std::shared_ptr<const debate_spec> spec) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& e = running_[id];
  e.actor = a;
  e.spec = std::move(spec);
  e.owner = owner;
  e.subscribers = subscribers;
  e.report = report;
  return cancelled_;
}

void live_debates::subscribe(const std::string& id, const caf::actor& subscriber) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto it = running_.find(id); it != running_.end()) it->second.subscribers.push_back(subscriber);
}

namespace {

bool abnormal(const caf::error& reason) {
  return reason && reason != caf::exit_reason::normal && reason != caf::exit_reason::user_shutdown;
}

}  // namespace

void live_debates::ended(const std::string& id, const caf::actor_addr& a, const caf::error& reason) {
  crash_handler_actor sup;
  std::optional<entry> orphan;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto it = running_.find(id);
    // A restarted debate runs under another actor: the old one's end is not news.
    if (it == running_.end() || it->second.actor != a) return;
    if (!abnormal(reason)) {
      running_.erase(it);
      return;
    }
    sup = supervisor_;
    if (!sup) {
      orphan = std::move(it->second);
      running_.erase(it);
    }
  }
  auto why = caf::to_string(reason);
  if (reason.category() == caf::atom("system") && !reason.context().empty() &&
      reason.context().match_element<std::string>(0))
    why = reason.context().get_as<std::string>(0);
  if (sup) {
    caf::anon_send(sup, debate_crashed{id, std::move(why)});
    return;
  }
  // No supervisor to restart it: the owner hears that it failed instead of waiting forever.
  if (orphan->owner) caf::anon_send(orphan->owner, failed_report(id, why));
}

std::optional<live_debates::entry> live_debates::find(const std::string& id) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto it = running_.find(id);
  if (it == running_.end()) return std::nullopt;
  return it->second;
}

void live_debates::forget(const std::string& id) {
  std::lock_guard<std::mutex> guard{mtx_};
  running_.erase(id);
}

void live_debates::set_supervisor(crash_handler_actor sup) {
  std::lock_guard<std::mutex> guard{mtx_};
  supervisor_ = std::move(sup);
}

size_t live_debates::size() {
  std::lock_guard<std::mutex> guard{mtx_};
  return running_.size();
}

std::vector<caf::actor_addr> live_debates::actors_locked() const {
  std::vector<caf::actor_addr> all;
  all.reserve(running_.size());
  for (const auto& [id, e] : running_) all.push_back(e.actor);
  return all;
}

void live_debates::stop_all(caf::exit_reason reason) {
  std::vector<caf::actor_addr> all;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    supervisor_ = nullptr;  // shutting down: nothing is restarted
    all = actors_locked();
  }
  for (const auto& a : all) caf::anon_send_exit(a, reason);
}

void live_debates::broadcast(const caf::message& msg) {
  std::vector<caf::actor_addr> all;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    all = actors_locked();
  }
  for (const auto& a : all)
    if (auto h = caf::actor_cast<caf::actor>(a)) caf::anon_send(h, msg);
}

size_t live_debates::cancel_all(const std::string& reason, const std::string& by) {
  std::vector<caf::actor_addr> all;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    all = actors_locked();
    cancelled_ = cancellation{reason, by};
  }
  for (const auto& a : all)
    if (auto h = caf::actor_cast<debate_actor_type>(a))
      caf::anon_send(h, cancel_atom::value, reason, by);
  return all.size();
}

bool live_debates::cancel(const std::string& id, const std::string& reason, const std::string& by) {
  caf::actor_addr a;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto it = running_.find(id);
    if (it == running_.end()) return false;
    a = it->second.actor;
  }
  auto h = caf::actor_cast<debate_actor_type>(a);
  if (!h) return false;
  caf::anon_send(h, cancel_atom::value, reason, by);
  return true;
}

debate_actor_type spawn_debate(caf::actor_system& sys,
                               std::shared_ptr<const debate_services> services,
                               std::shared_ptr<const debate_spec> spec, caf::actor owner,
                               std::vector<caf::actor> subscribers, finish_report report) {
  return sys.spawn(debate_actor, std::move(services), std::move(spec), std::move(owner),
                   std::move(subscribers), report);
}

debate_actor_type resume_debate(caf::actor_system& sys,
                                std::shared_ptr<const debate_services> services,
                                std::shared_ptr<debate_machine> machine, caf::actor owner,
                                std::vector<caf::actor> subscribers, finish_report report) {
  return sys.spawn(resumed_debate_actor, std::move(services), std::move(machine), std::move(owner),
                   std::move(subscribers), report);
}

debate_summary summarize(const debate_machine& m) {
  debate_summary s;
  s.agent_calls = m.agent_calls();
  s.failed_calls = m.failed_calls();
  s.started_at = m.started_at();
  if (m.finished()) {
    const auto& f = m.outcome();
    s.status = f.status;
    s.reached = f.reached;
    s.finished_at = f.at;
  } else {
    // A debate stopped mid-way (moved to another node): it has no outcome to read.
    s.status = debate_status::running;
    s.finished_at = std::chrono::system_clock::now();
  }
  if (!m.transcript().empty()) s.first_message_at = m.transcript().front().at;
  return s;
}

}  // namespace aragora::debate
