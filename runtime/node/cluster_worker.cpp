#include "runtime/node/cluster_worker.hpp"

#include <caf/all.hpp>

#include <numeric>
#include <utility>
#include <vector>

#include "actors/debate/actor/messages.hpp"
#include "actors/debate/actor/wire_codec.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/store/persistence.hpp"
#include "net/wire/envelope.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/base/fault/atoms.hpp"
#include "runtime/base/log/log.hpp"
#include "runtime/base/supervision/atoms.hpp"
#include "runtime/node/cluster_messages.hpp"
#include "runtime/node/local_node.hpp"
#include "storage/storage_actors.hpp"
#include "storage/store.hpp"

namespace aragora::node {

caf::actor worker_link::edge_now() {
  std::lock_guard<std::mutex> lock{mtx};
  return edge;
}

uint64_t worker_link::epoch_of(const std::string& id) {
  std::lock_guard<std::mutex> lock{mtx};
  auto it = epochs.find(id);
  return it == epochs.end() ? 0 : it->second;
}

void worker_link::release(const std::string& id) {
  std::lock_guard<std::mutex> lock{mtx};
  epochs.erase(id);
}

namespace {

using wire::envelope;

// -- the replicating writer ---------------------------------------------------------------------

struct replicated_write {
  caf::actor requester;
  uint64_t token = 0;  // the requester's
  std::string debate;
  bool local_done = false;
  bool journal_done = false;
  std::optional<storage::store_error> local_error;
  std::optional<storage::store_error> journal_error;
};

struct replicating_state {
  // Declared, so the struct is no aggregate: CAF 0.17 builds a state from the actor's own
  // pointer when it can, and C++20 would aggregate-initialise the first member (an actor
  // handle) with it, making the actor its own local writer (agent_state and journal_state too).
  replicating_state() = default;
  caf::actor local;
  std::shared_ptr<worker_link> link;
  uint64_t next_token = 1;
  // One entry per debate's write in flight (each debate has at most one): bounded by the debates.
  std::unordered_map<uint64_t, replicated_write> pending;
  // Appends waiting for a batch (a subset of `pending`, so bounded alike) and batches on their way.
  std::vector<std::pair<uint64_t, v1::JournalAppend>> queued;
  uint32_t batches_in_flight = 0;
};

using replicating_self = caf::stateful_actor<replicating_state>*;

void finish_if_done(replicating_self self, uint64_t token) {
  auto& st = self->state;
  auto it = st.pending.find(token);
  if (it == st.pending.end() || !it->second.local_done || !it->second.journal_done) return;
  auto w = std::move(it->second);
  st.pending.erase(it);
  storage::persist_ack ack{w.token, std::nullopt};
  // Fenced first: the debate must stop, whatever else failed.
  if (w.journal_error && w.journal_error->code == storage::store_errc::fenced) {
    ack.error = w.journal_error;
    st.link->release(w.debate);
  } else if (w.local_error) {
    ack.error = w.local_error;
  } else if (w.journal_error) {
    ack.error = w.journal_error;
  }
  self->send(w.requester, std::move(ack));
}

void journal_answered(replicating_self self, uint64_t token, std::optional<storage::store_error> err) {
  auto it = self->state.pending.find(token);
  if (it == self->state.pending.end()) return;
  it->second.journal_done = true;
  it->second.journal_error = std::move(err);
  finish_if_done(self, token);
}

std::optional<storage::store_error> journal_error_of(const v1::JournalAck& a) {
  if (a.fenced())
    return storage::store_error{storage::store_errc::fenced, "the journal holds epoch " + std::to_string(a.epoch())};
  if (!a.error().empty())
    return storage::store_error{storage::store_errc::unavailable, "journal: " + a.error()};
  return std::nullopt;
}

/// Sends what is queued as one batch while fewer than the allowed batches are on their way: under
/// load the appends that became ready during a round trip travel together, one message each way
/// instead of one per step (the price of the cluster is per message, bench/RESULTS.md).
void flush(replicating_self self) {
  auto& st = self->state;
  while (!st.queued.empty() && st.batches_in_flight < defaults::journal_batches_in_flight) {
    auto edge = st.link->edge_now();
    if (!edge) {
      for (auto& [token, a] : std::exchange(st.queued, {}))
        journal_answered(self, token, storage::store_error{storage::store_errc::unavailable,
                                                           "the journal is unreachable (the edge is down); retrying"});
      return;
    }
    v1::Envelope e;
    auto& b = *e.mutable_journal_batch();
    std::vector<uint64_t> tokens;
    size_t bytes = 0, n = 0;
    for (; n < st.queued.size(); ++n) {
      auto size = st.queued[n].second.ByteSizeLong();
      if (n > 0 && (n >= defaults::journal_batch_appends || bytes + size > defaults::journal_batch_bytes)) break;
      bytes += size;
      tokens.push_back(st.queued[n].first);
      *b.add_appends() = std::move(st.queued[n].second);
    }
    st.queued.erase(st.queued.begin(), st.queued.begin() + static_cast<std::ptrdiff_t>(n));
    ++st.batches_in_flight;
    // The budget of one append, and as much again for a full batch (its appends may span
    // several of the journal's group commits).
    auto base = std::chrono::duration_cast<std::chrono::milliseconds>(defaults::journal_append_timeout);
    auto timeout = base + base * static_cast<int64_t>(tokens.size()) /
                              static_cast<int64_t>(defaults::journal_batch_appends);
    self->request(edge, timeout, append_atom::value, envelope{std::move(e)})
        .then(
            [=](envelope& reply) {
              --self->state.batches_in_flight;
              if (reply.kind() != v1::Envelope::kJournalAcks ||
                  reply->journal_acks().acks_size() != static_cast<int>(tokens.size())) {
                for (auto t : tokens)
                  journal_answered(self, t, storage::store_error{storage::store_errc::unavailable,
                                                                 "the journal answered " + std::string{wire::kind_name(reply.kind())} +
                                                                     " to a batch of " + std::to_string(tokens.size())});
              } else {
                for (size_t i = 0; i < tokens.size(); ++i)
                  journal_answered(self, tokens[i], journal_error_of(reply->journal_acks().acks(static_cast<int>(i))));
              }
              flush(self);
            },
            [=](caf::error& err) {
              --self->state.batches_in_flight;
              for (auto t : tokens)
                journal_answered(self, t, storage::store_error{storage::store_errc::unavailable,
                                                               "the journal did not answer: " + self->system().render(err)});
              flush(self);
            });
  }
}

caf::behavior replicating_writer(replicating_self self, caf::actor local,
                                 std::shared_ptr<worker_link> link) {
  self->state.local = local;
  self->state.link = std::move(link);
  self->link_to(local);
  return {
      [=](storage::persist_request& r) {
        auto& st = self->state;
        auto requester = caf::actor_cast<caf::actor>(self->current_sender());
        auto token = st.next_token++;
        replicated_write w;
        w.requester = requester;
        w.token = r.token;
        w.debate = r.debate_id;
        if (r.debate_id.empty()) {
          w.journal_done = true;  // not a debate's step: this node's only
        } else {
          auto epoch = st.link->epoch_of(r.debate_id);
          if (epoch == 0) {
            self->send(requester, storage::persist_ack{
                                      r.token, storage::store_error{storage::store_errc::fenced,
                                                                    "debate " + r.debate_id + " is not owned by this worker"}});
            return;
          }
          v1::JournalAppend a;
          a.set_debate_id(r.debate_id);
          a.set_epoch(epoch);
          a.set_sync(r.sync);
          for (const auto& op : r.batch.ops()) {
            auto& jw = *a.add_writes();
            jw.set_family(static_cast<uint32_t>(op.family));
            jw.set_erase(op.erase);
            jw.set_key(op.key);
            if (!op.erase) jw.set_value(op.value);
          }
          st.queued.emplace_back(token, std::move(a));
        }
        st.pending.emplace(token, std::move(w));
        self->send(st.local, storage::persist_request{std::move(r.batch), r.sync, token, std::move(r.debate_id)});
        flush(self);
      },
      [=](storage::persist_ack& ack) {
        auto it = self->state.pending.find(ack.token);
        if (it == self->state.pending.end()) return;
        it->second.local_done = true;
        it->second.local_error = std::move(ack.error);
        finish_if_done(self, ack.token);
      },
      [=](supervision::ping_atom) { return caf::ok_atom::value; },
      [=](fault::stall_atom s) { self->send(self->state.local, s); },
  };
}

// -- the worker agent ----------------------------------------------------------------------------

// A worker's breakers ride on every fourth heartbeat (they change rarely; a heartbeat is small).
constexpr uint64_t breakers_every_ticks = 4;

struct agent_state {
  agent_state() = default;  // no aggregate: see replicating_state
  caf::actor edge;
  uint64_t ticks = 0;
};

using agent_self = caf::stateful_actor<agent_state>*;

envelope hello_of(const std::string& name, worker_link& link) {
  v1::Envelope e;
  auto& h = *e.mutable_node_hello();
  h.set_node(name);
  std::lock_guard<std::mutex> lock{link.mtx};
  for (const auto& [id, epoch] : link.epochs) {
    auto& p = *h.add_running();
    p.set_debate_id(id);
    p.set_epoch(epoch);
    p.set_node(name);
  }
  return envelope{std::move(e)};
}

void release_all(local_node& node, worker_link& link, const google::protobuf::RepeatedPtrField<std::string>& ids) {
  for (const auto& id : ids) {
    link.release(id);
    // Its next write is refused here (no epoch): it stops without writing.
    (void)node.cancel(id, "moved to another node", "cluster");
  }
}

caf::behavior worker_agent(agent_self self, local_node* node, std::shared_ptr<storage::store> db,
                           std::shared_ptr<worker_link> link, worker_options opts) {
  self->set_down_handler([=](caf::down_msg& dm) {
    if (!self->state.edge || dm.source != self->state.edge.address()) return;
    self->state.edge = nullptr;
    {
      std::lock_guard<std::mutex> lock{link->mtx};
      link->edge = nullptr;
    }
    log::warn("cluster", opts.name, ": lost the edge (", self->system().render(dm.reason), "); reconnecting");
    if (opts.on_edge_lost) opts.on_edge_lost();
  });
  self->delayed_send(self, opts.heartbeat_interval, tick_atom::value);
  return {
      [=](connect_atom, caf::actor edge) {
        self->state.edge = edge;
        self->monitor(edge);
        {
          std::lock_guard<std::mutex> lock{link->mtx};
          link->edge = edge;
        }
        self->request(edge, std::chrono::seconds{10}, hello_atom::value, hello_of(opts.name, *link))
            .then(
                [=](envelope& w) {
                  if (w.kind() != v1::Envelope::kWelcome) return;
                  release_all(*node, *link, w->welcome().stop());
                  log::info("cluster", opts.name, ": joined ", w->welcome().node(),
                            w->welcome().stop_size() > 0
                                ? " (" + std::to_string(w->welcome().stop_size()) + " debates moved away: stopped)"
                                : std::string{});
                },
                [=](caf::error& err) {
                  // Unanswered or refused: ask again (still connected, so no new connection).
                  log::warn("cluster", opts.name, ": the edge did not let this node join (",
                            self->system().render(err), "); asking again in ",
                            defaults::join_retry_cap.count(), " s");
                  if (self->state.edge == edge)
                    self->delayed_send(self, defaults::join_retry_cap, connect_atom::value, edge);
                });
      },
      [=](tick_atom) {
        if (auto edge = self->state.edge) {
          v1::Envelope e;
          auto& hb = *e.mutable_heartbeat();
          hb.set_node(opts.name);
          hb.set_debates_in_flight(static_cast<uint32_t>(node->running_debates()));
          auto depths = node->queue_depths();
          hb.set_calls_pending(static_cast<uint32_t>(std::accumulate(depths.begin(), depths.end(), uint64_t{0})));
          if (opts.breakers && self->state.ticks++ % breakers_every_ticks == 0) {
            hb.set_has_breakers(true);
            for (auto& b : opts.breakers()) *hb.add_breakers() = std::move(b);
            // Over the edge's bound it would only be dropped there.
            if (opts.metrics)
              if (auto text = opts.metrics(); text.size() <= defaults::cluster_metrics_max_bytes)
                hb.set_metrics(std::move(text));
          }
          self->send(edge, heartbeat_atom::value, envelope{std::move(e)});
        }
        self->delayed_send(self, opts.heartbeat_interval, tick_atom::value);
      },
      [=](place_atom, envelope& e) -> caf::result<envelope> {
        if (e.kind() != v1::Envelope::kPlaceDebate)
          return wire::make_error(wire::wire_errc::envelope_malformed, "place takes place_debate");
        const auto& p = e->place_debate();
        bool moved = p.has_record();
        const auto& id = moved ? p.record().spec().id() : p.spec().id();
        if (id.empty() || p.epoch() == 0)
          return wire::make_error(wire::wire_errc::envelope_malformed, "a placement without a debate id or epoch");
        v1::Envelope reply;
        auto& placed = *reply.mutable_placement();
        placed.set_debate_id(id);
        placed.set_epoch(p.epoch());
        placed.set_node(opts.name);
        {
          std::lock_guard<std::mutex> lock{link->mtx};
          auto it = link->epochs.find(id);
          if (it != link->epochs.end()) {
            // Running here already (a placement sent again): it goes on at the newer epoch.
            it->second = std::max(it->second, p.epoch());
            return envelope{std::move(reply)};
          }
        }
        // Released here (it moved away) but its actor has not stopped yet: a new one now would
        // share the debate's epoch with it, and the old one could still write a step. The edge
        // places it again at its next tick.
        if (node->is_running(id))
          return wire::make_error(wire::wire_errc::unreadable_message,
                                  "debate " + id + " is still stopping on " + opts.name + "; place it again shortly");
        if (!moved) {
          auto spec = std::make_shared<const debate::debate_spec>(debate::from_proto(p.spec()));
          {
            std::lock_guard<std::mutex> lock{link->mtx};
            link->epochs[id] = p.epoch();
          }
          (void)node->start_debate(std::move(spec), caf::actor_cast<caf::actor>(self), {},
                                   debate::finish_report::summary);
          return envelope{std::move(reply)};
        }
        // A debate moved here: this store gets its log too (two copies of every step again),
        // then it goes on from its last committed step.
        debate::stored_debate log;
        log.record = p.record();
        log.events.assign(p.events().begin(), p.events().end());
        storage::write_batch batch;
        debate::add_record(batch, log.record, *db);
        auto expiry = db->expiry_for(storage::cf::debate_events);
        for (const auto& ev : log.events)
          batch.put_message(storage::cf::debate_events, debate::event_key(id, ev.seq()), ev, expiry);
        if (auto err = db->write(batch, false))
          return wire::make_error(wire::wire_errc::unreadable_message,
                                  "cannot store the log of " + id + ": " + err->message);
        {
          std::lock_guard<std::mutex> lock{link->mtx};
          link->epochs[id] = p.epoch();
        }
        if (auto why = node->resume_from(log, caf::actor_cast<caf::actor>(self), debate::finish_report::summary)) {
          link->release(id);
          return wire::make_error(wire::wire_errc::unreadable_message, "cannot resume " + id + ": " + *why);
        }
        log::info("cluster", opts.name, ": resumed ", id, " at epoch ", p.epoch(), " from event ",
                  log.events.empty() ? 0 : log.events.back().seq());
        return envelope{std::move(reply)};
      },
      [=](debate::debate_finished& done) {
        if (done.moved) return;  // its journal refused it: it moved (the link knows already)
        link->release(done.id);
        if (!done.error.empty())
          if (auto edge = self->state.edge) {
            v1::Envelope e;
            *e.mutable_debate_report() = debate::to_proto(done);
            self->send(edge, report_atom::value, envelope{std::move(e)});
          }
      },
      [=](release_atom, envelope& e) {
        if (e.kind() != v1::Envelope::kReleaseDebates) return;
        release_all(*node, *link, e->release_debates().debate_ids());
      },
      [=](cancel_atom, envelope& e) -> caf::result<envelope> {
        if (e.kind() != v1::Envelope::kCancelDebate)
          return wire::make_error(wire::wire_errc::envelope_malformed, "cancel takes cancel_debate");
        const auto& c = e->cancel_debate();
        v1::Envelope reply;
        reply.mutable_cancel_reply()->set_debate_id(c.debate_id());
        reply.mutable_cancel_reply()->set_was_running(node->cancel(c.debate_id(), c.reason(), c.by()));
        return envelope{std::move(reply)};
      },
  };
}

}  // namespace

caf::actor spawn_replicating_writer(caf::actor_system& sys, caf::actor local,
                                    std::shared_ptr<worker_link> link) {
  return sys.spawn(replicating_writer, std::move(local), std::move(link));
}

caf::actor spawn_worker_agent(caf::actor_system& sys, local_node& node,
                              std::shared_ptr<storage::store> db, std::shared_ptr<worker_link> link,
                              worker_options opts) {
  return sys.spawn<caf::detached>(worker_agent, &node, std::move(db), std::move(link), std::move(opts));
}

}  // namespace aragora::node
