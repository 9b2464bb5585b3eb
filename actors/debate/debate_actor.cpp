#include "actors/debate/debate_actor.hpp"

#include <caf/all.hpp>

#include <iostream>

#include "actors/agent/agent_actor.hpp"
#include "actors/critique/patterns.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/canonical.hpp"
#include "actors/debate/persistence.hpp"
#include "actors/debate/receipt.hpp"
#include "actors/memory/memory_tiers.hpp"
#include "actors/ranking/ranking.hpp"
#include "runtime/timer/timer_service.hpp"
#include "storage/storage_actors.hpp"
#include "runtime/text/utf8.hpp"

namespace aragora::debate {

namespace {

using retry_atom = caf::atom_constant<caf::atom("retry")>;

// A failed persist is retried with backoff up to this delay; the debate holds its step meanwhile.
constexpr auto max_persist_backoff = std::chrono::seconds{30};

struct debate_state {
  static inline const char* name = "debate";
  std::string id;
  std::shared_ptr<const debate_services> services;
  std::shared_ptr<debate_machine> machine;
  caf::actor owner;
  finish_report report = finish_report::full;
  std::vector<caf::actor> subscribers;
  caf::actor agent;
  // One pending deadline per debate, re-armed lazily when it fires for a step that has already
  // completed: a schedule and a cancel per step would put two timer-lock round trips on every
  // step of every debate.
  uint64_t deadline = 0;
  std::chrono::steady_clock::time_point step_started;
  // Persistence: events recorded but not yet acknowledged by the writer, at most one write in
  // flight, the step whose calls went out, whether the record was written once.
  std::vector<event_ref> unsaved;
  bool persisting = false;
  size_t inflight_events = 0;  // the first events of `unsaved` the write in flight carries
  bool inflight_final = false; // the write in flight ends the debate
  size_t inflight_transcript = 0;  // transcript entries the write in flight covers
  bool record_written = false;
  uint32_t dispatched_step = 0;
  uint64_t persist_token = 0;
  std::chrono::milliseconds backoff{0};
  bool retry_pending = false;  // a failed write waits for its backoff timer
  std::optional<v1::Receipt> receipt;  // sealed once finished
  bool reported = false;
  uint32_t calls_sent = 0;
  // Memory: the entries recalled for this debate, a cancel that came before it started.
  std::vector<std::string> recalled;
  std::optional<std::string> early_cancel;
  std::string cancelled_by;  // who cancelled, for the audit log (empty: whoever started it)
};

using debate_self = caf::stateful_actor<debate_state>;

void publish(debate_self* self, std::span<const event_ref> events) {
  auto& st = self->state;
  if (st.subscribers.empty()) return;
  for (const auto& e : events) {
    auto ev = std::make_shared<v1::Event>();
    fill_event(*st.machine, e, *ev);
    event_ptr shared = std::move(ev);
    for (const auto& s : st.subscribers) self->send(s, shared);
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
  agent::agent_calls batch{m.spec_ptr(), {}};
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
  self->send(st.owner, std::move(done));
  self->quit();
}

/// Writes what is not yet on disk: one step's events (and the record at the start and the end)
/// in one batch; the end is synced before it is reported.
void persist(debate_self* self) {
  auto& st = self->state;
  const auto& m = *st.machine;
  auto& db = *st.services->store;
  storage::write_batch batch;
  add_events(batch, m, st.unsaved, db.expiry_for(storage::cf::debate_events));
  if (!st.record_written || m.finished())
    add_record(batch, record_of(m, m.finished() ? &seal(self) : nullptr), db);
  const auto& who = m.spec().requested_by;
  if (!st.record_written)
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
  st.persisting = true;
  st.inflight_events = st.unsaved.size();
  st.inflight_final = m.finished();
  st.inflight_transcript = m.transcript().size();
  self->send(st.services->writer,
             storage::persist_request{std::move(batch), m.finished(), ++st.persist_token});
}

/// Moves the debate on as far as it can: persist what is unsaved, then send the current step's
/// calls or report the end.
void advance(debate_self* self) {
  auto& st = self->state;
  // A failed write is retried by its backoff timer only; events arriving meanwhile wait for it.
  if (st.persisting || st.retry_pending) return;
  bool durable = st.services->writer != nullptr;
  if (durable && (!st.unsaved.empty() || !st.record_written ||
                  (st.machine->finished() && !st.receipt))) {
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
  if (st.services->writer) st.unsaved.insert(st.unsaved.end(), r.events.begin(), r.events.end());
  if (st.machine->finished()) disarm(self);
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
    self->send(st.services->critiques, std::move(c));
  }
  if (!st.services->memory) return;
  bool held = st.machine->outcome().reached;
  for (const auto& id : st.recalled) self->send(st.services->memory, memory::outcome{id, held});
  if (auto e = memory_of(*st.machine, st.services->store->now_s()))
    self->send(st.services->memory, memory::remember{std::move(*e)});
}

void on_persisted(debate_self* self, storage::persist_ack& ack) {
  auto& st = self->state;
  if (ack.token != st.persist_token) return;
  st.persisting = false;
  if (ack.error) {
    // Storage is failing: hold the step and retry with backoff; the breaker keeps retries cheap.
    bool first = st.backoff.count() == 0;
    st.backoff = std::min<std::chrono::milliseconds>(
        std::max(st.backoff * 2, std::chrono::milliseconds{100}), max_persist_backoff);
    // One line when the store starts failing and one when it recovers, not one per retry.
    if (first)
      std::cerr << "debate " << st.machine->spec().id << ": " << storage::to_string(ack.error->code)
                << ": " << ack.error->message << "; holding the debate and retrying\n";
    st.retry_pending = true;
    st.services->timers->schedule(st.backoff, caf::actor_cast<caf::strong_actor_ptr>(self),
                                  caf::make_message(retry_atom::value));
    return;
  }
  if (st.backoff.count() != 0)
    std::cerr << "debate " << st.machine->spec().id << ": storage writes again; continuing\n";
  st.backoff = std::chrono::milliseconds{0};
  // Events recorded while the write was on its way stay unsaved for the next one.
  auto written = std::min(st.inflight_events, st.unsaved.size());
  if (st.services->durability_observer && written > 0)
    self->send(st.services->durability_observer,
               debate_durable{st.machine->spec().id, st.unsaved[written - 1].seq});
  st.unsaved.erase(st.unsaved.begin(), st.unsaved.begin() + static_cast<std::ptrdiff_t>(written));
  st.record_written = true;
  // The texts are on disk now; an owner that takes only a summary never needs them in memory.
  if (st.report == finish_report::summary && !st.inflight_final)
    st.machine->release_texts(st.inflight_transcript);
  if (st.inflight_final) {
    // Fire and forget: the ranking reconciles from the stored records if this is lost.
    if (st.services->ranking)
      // Built again rather than kept from persist(): holding a copy of the receipt through the
      // synced write costs ~7 KB per finishing debate (bench/RESULTS.md, target 3c).
      self->send(st.services->ranking, ranking::record_match{record_of(*st.machine, &*st.receipt)});
    learn(self);
    report(self);
    return;
  }
  advance(self);
}

caf::behavior debate_behavior(debate_self* self) {
  return {
      [=](call_outcomes& batch) {
        auto& s = self->state;
        for (auto& o : batch.items) {
          if (s.machine->finished()) break;
          apply(self, s.machine->record(std::move(o), s.services->now()));
        }
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
        self->state.subscribers.push_back(std::move(subscriber));
      },
      [=](storage::persist_ack& ack) { on_persisted(self, ack); },
      [=](retry_atom) {
        self->state.retry_pending = false;
        advance(self);
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

/// The actor threw (out of memory, a bug): the debate cannot go on. Its owner hears that it failed
/// instead of waiting forever, and CAF's default handler, which prints on stdout, never runs.
caf::error fail_on_exception(debate_self* self, std::exception_ptr& x) {
  auto& st = self->state;
  try {
    auto what = describe(x);
    std::cerr << "debate " << st.id << ": internal_error: " << what << "; the debate failed\n";
    if (!st.reported) {
      st.reported = true;
      disarm(self);
      debate_finished done;
      done.id = st.id;
      done.summary.status = debate_status::failed;
      done.summary.finished_at = std::chrono::system_clock::now();  // not services->now: it may be what threw
      done.summary.started_at = st.machine ? st.machine->started_at() : done.summary.finished_at;
      done.summary.calls_sent = st.calls_sent;
      done.error = "debate " + st.id + " failed: " + what;
      self->send(st.owner, std::move(done));
    }
  } catch (...) {
    // Out of memory again: owners that monitor the debate still see it go down.
  }
  return caf::make_error(caf::sec::runtime_error);
}

void init(debate_self* self, std::shared_ptr<const debate_services> services,
          const std::string& id, caf::actor owner, std::vector<caf::actor> subscribers,
          finish_report report) {
  auto& st = self->state;
  st.id = id;
  self->set_exception_handler(
      [self](caf::scheduled_actor*, std::exception_ptr& x) { return fail_on_exception(self, x); });
  st.services = std::move(services);
  if (auto* reg = st.services->registry) {
    if (auto cancel = reg->add(self->address()))
      self->send(self, cancel_atom::value, std::move(cancel->reason), std::move(cancel->by));
    self->attach_functor([reg, addr = self->address()] { reg->remove(addr); });
  }
  st.agent = st.services->agents->pick(id);
  st.owner = std::move(owner);
  st.subscribers = std::move(subscribers);
  st.report = report;
}

void begin(debate_self* self, std::shared_ptr<const debate_spec> spec) {
  auto& st = self->state;
  st.machine = std::make_shared<debate_machine>(std::move(spec), st.services->options);
  apply(self, st.machine->start(st.services->now()));
  if (st.early_cancel)
    apply(self, st.machine->cancel(st.services->now(), std::move(*st.early_cancel)));
}

caf::behavior debate_actor(debate_self* self, std::shared_ptr<const debate_services> services,
                           std::shared_ptr<const debate_spec> spec, caf::actor owner,
                           std::vector<caf::actor> subscribers, finish_report report) {
  init(self, std::move(services), spec->id, std::move(owner), std::move(subscribers), report);
  auto& st = self->state;
  if (!st.services->memory || !spec->context.empty()) {
    begin(self, std::move(spec));
    return debate_behavior(self);
  }
  // Prior decisions on the question become the agents' context; memory never holds a debate up
  // for long.
  self->request(st.services->memory, std::chrono::seconds{2}, memory::recall_atom::value,
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

caf::behavior resumed_debate_actor(debate_self* self,
                                   std::shared_ptr<const debate_services> services,
                                   std::shared_ptr<debate_machine> machine, caf::actor owner,
                                   std::vector<caf::actor> subscribers, finish_report report) {
  init(self, std::move(services), machine->spec().id, std::move(owner), std::move(subscribers),
       report);
  self->state.machine = std::move(machine);
  // Everything replayed is on disk already; only the pending calls of the current step remain.
  self->state.record_written = true;
  advance(self);
  return debate_behavior(self);
}

}  // namespace

std::optional<live_debates::cancellation> live_debates::add(const caf::actor_addr& a) {
  std::lock_guard<std::mutex> guard{mtx_};
  running_.insert(a);
  return cancelled_;
}

void live_debates::remove(const caf::actor_addr& a) {
  std::lock_guard<std::mutex> guard{mtx_};
  running_.erase(a);
}

void live_debates::stop_all(caf::exit_reason reason) {
  std::vector<caf::actor_addr> all;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    all.assign(running_.begin(), running_.end());
  }
  for (const auto& a : all) caf::anon_send_exit(a, reason);
}

size_t live_debates::cancel_all(const std::string& reason, const std::string& by) {
  std::vector<caf::actor_addr> all;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    all.assign(running_.begin(), running_.end());
    cancelled_ = cancellation{reason, by};
  }
  for (const auto& a : all)
    if (auto h = caf::actor_cast<caf::actor>(a)) caf::anon_send(h, cancel_atom::value, reason, by);
  return all.size();
}

caf::actor spawn_debate(caf::actor_system& sys, std::shared_ptr<const debate_services> services,
                        std::shared_ptr<const debate_spec> spec, caf::actor owner,
                        std::vector<caf::actor> subscribers, finish_report report) {
  return sys.spawn(debate_actor, std::move(services), std::move(spec), std::move(owner),
                   std::move(subscribers), report);
}

caf::actor resume_debate(caf::actor_system& sys, std::shared_ptr<const debate_services> services,
                         std::shared_ptr<debate_machine> machine, caf::actor owner,
                         std::vector<caf::actor> subscribers, finish_report report) {
  return sys.spawn(resumed_debate_actor, std::move(services), std::move(machine), std::move(owner),
                   std::move(subscribers), report);
}

debate_summary summarize(const debate_machine& m) {
  debate_summary s;
  const auto& f = m.outcome();
  s.status = f.status;
  s.reached = f.reached;
  s.agent_calls = m.agent_calls();
  s.failed_calls = m.failed_calls();
  s.started_at = m.started_at();
  s.finished_at = f.at;
  if (!m.transcript().empty()) s.first_message_at = m.transcript().front().at;
  return s;
}

}  // namespace aragora::debate
