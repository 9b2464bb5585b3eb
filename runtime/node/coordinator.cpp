#include "runtime/node/coordinator.hpp"

#include <caf/all.hpp>

#include <unordered_map>
#include <unordered_set>

#include "actors/debate/actor/messages.hpp"
#include "actors/debate/actor/wire_codec.hpp"
#include "net/edge/stream_hub.hpp"
#include "net/edge/views.hpp"
#include "net/wire/envelope.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/base/log/log.hpp"
#include "runtime/cluster/placement.hpp"
#include "runtime/node/cluster_messages.hpp"

namespace aragora::node {

namespace {

using wire::envelope;
using clock = std::chrono::steady_clock;

constexpr auto handover_timeout = std::chrono::seconds{30};
constexpr uint32_t max_move_attempts = 20;  // at one try per tick: about 5 s
constexpr auto place_timeout = std::chrono::seconds{10};

struct worker_entry {
  caf::actor handle;
  std::vector<std::string> moved_away;  // its debates that moved while it was lost
  std::vector<v1::BreakerStatus> breakers;  // from its last heartbeat that carried them
  std::string metrics;                       // likewise: its /metrics
  bool metrics_refused = false;              // too large, said once
};

struct coordinator_state {
  coordinator_options opts;
  cluster::placement pl;
  std::unordered_map<std::string, worker_entry> workers;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  std::unordered_set<std::string> moving;  // handovers in flight
  std::unordered_set<std::string> retry;   // moves to try again at the next tick
  // Moves that failed, per debate (erased when one succeeds or the debate ends): bounded by the
  // debates placed. A debate whose log cannot be handed over (its worker died before its first
  // step reached the journal, or the log does not load) ends failed after max_move_attempts.
  std::unordered_map<std::string, uint32_t> failed_moves;
  caf::actor sink;
  clock::time_point started;
  bool grace_over = false;
};

using self_ptr = caf::stateful_actor<coordinator_state>*;

caf::error cluster_error(std::string what) {
  return wire::make_error(wire::wire_errc::unreadable_message, std::move(what));
}

void notice(edge::stream_hub* hub, const std::string& id, const std::string& from,
            const std::string& to, uint64_t epoch) {
  if (!hub) return;
  std::string data = "{\"node\":\"" + from + "\",\"resumed_on\":\"" + to +
                     "\",\"epoch\":" + std::to_string(epoch) + ",\"debate_id\":\"" + id + "\"}";
  hub->publish_notice(id, edge::stream_hub::make_frame(edge::control_frame("node_down", data, id),
                                                      edge::binary_notice_frame("node_down", id, data)));
}

void move(self_ptr self, cluster::assignment a, std::string from, caf::actor journal,
          edge::stream_hub* hub) {
  auto& st = self->state;
  if (!st.moving.insert(a.debate).second) return;
  st.retry.erase(a.debate);
  self->request(journal, handover_timeout, handover_atom::value, a.debate, a.epoch)
      .then(
          [=](envelope& log) {
            auto& st = self->state;
            auto now_at = st.pl.where(a.debate);
            // Ended meanwhile: nothing to send. Moved again (its target was lost too): that move
            // found this one in flight and returned, so it is made at the next tick.
            if (!now_at || now_at->node != a.node) {
              st.moving.erase(a.debate);
              if (now_at && !now_at->node.empty()) st.retry.insert(a.debate);
              return;
            }
            auto epoch = log->place_debate().epoch();
            if (epoch != now_at->epoch) st.pl.adopt(a.debate, a.node, epoch);
            auto w = st.workers.find(a.node);
            if (w == st.workers.end() || !w->second.handle) {
              st.moving.erase(a.debate);
              st.retry.insert(a.debate);
              return;
            }
            self->request(w->second.handle, place_timeout, place_atom::value, log)
                .then(
                    [=](envelope&) {
                      auto& st = self->state;
                      st.moving.erase(a.debate);
                      st.failed_moves.erase(a.debate);
                      log::info("cluster", "debate ", a.debate, " resumed on ", a.node, " (epoch ",
                                epoch, ", from ", from, ")");
                      notice(hub, a.debate, from, a.node, epoch);
                      // Lost again while it was being placed there: its new place gets it next.
                      auto now = st.pl.where(a.debate);
                      if (now && now->node != a.node && !now->node.empty()) st.retry.insert(a.debate);
                    },
                    [=](caf::error& err) {
                      self->state.moving.erase(a.debate);
                      self->state.retry.insert(a.debate);
                      log::warn("cluster", "debate ", a.debate, " not taken by ", a.node, ": ",
                                self->system().render(err), "; retrying");
                    });
          },
          [=](caf::error& err) {
            auto& st = self->state;
            st.moving.erase(a.debate);
            if (++st.failed_moves[a.debate] >= max_move_attempts) {
              st.failed_moves.erase(a.debate);
              (void)st.pl.finished(a.debate);
              log::error("cluster", "debate ", a.debate, " could not be handed over ", max_move_attempts,
                         " times (", self->system().render(err), "): it ends failed");
              self->send(st.sink, debate::failed_report(a.debate, "its worker was lost and its log could not be "
                                                                  "handed over: " + self->system().render(err)));
              return;
            }
            st.retry.insert(a.debate);
            log::warn("cluster", "handover of ", a.debate, " failed: ", self->system().render(err),
                      "; retrying");
          });
}

void lose(self_ptr self, const std::string& name, const std::string& why, caf::actor journal,
          edge::stream_hub* hub) {
  auto& st = self->state;
  auto had = st.pl.debates_on(name);
  auto moves = st.pl.node_lost(name);
  auto& w = st.workers[name];
  w.moved_away.insert(w.moved_away.end(), had.begin(), had.end());
  w.breakers.clear();  // what they were says nothing of a node that is down
  w.metrics.clear();
  log::warn("cluster", "worker ", name, " lost (", why, "): ", had.size(), " debate",
            had.size() == 1 ? "" : "s", " move, ", moves.size(), " placed now");
  for (auto& a : moves) move(self, a, name, journal, hub);
}

void place_orphans(self_ptr self, caf::actor journal, edge::stream_hub* hub) {
  auto& st = self->state;
  if (!st.grace_over) return;
  for (auto& a : st.pl.place_orphans()) move(self, a, "", journal, hub);
}

/// A worker that was lost and speaks again: it takes new work, and stops what moved away.
void revived(self_ptr self, const std::string& name, caf::actor journal, edge::stream_hub* hub) {
  auto& w = self->state.workers[name];
  if (!w.moved_away.empty() && w.handle) {
    v1::Envelope e;
    for (auto& id : w.moved_away) e.mutable_release_debates()->add_debate_ids(id);
    self->send(w.handle, release_atom::value, envelope{std::move(e)});
  }
  w.moved_away.clear();
  log::info("cluster", "worker ", name, " is up");
  place_orphans(self, journal, hub);
}

caf::behavior coordinator(self_ptr self, coordinator_options opts, caf::actor journal,
                          caf::actor sink, edge::stream_hub* hub) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.sink = sink;
  st.started = clock::now();
  for (const auto& n : st.opts.cluster.nodes)
    if (n.has("worker")) st.pl.add_node(n.name);
  for (const auto& [id, epoch] : st.opts.unfinished) st.pl.adopt(id, "", epoch);
  self->monitor(journal);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == journal.address()) {
      log::error("cluster", "the journal stopped: ", self->system().render(dm.reason));
      self->quit(dm.reason);
      return;
    }
    auto it = st.by_addr.find(dm.source);
    if (it == st.by_addr.end()) return;
    auto name = it->second;
    st.by_addr.erase(it);
    auto& w = st.workers[name];
    if (w.handle.address() != dm.source) return;  // an older connection of a worker that rejoined
    w.handle = nullptr;
    lose(self, name, "connection lost: " + self->system().render(dm.reason), journal, hub);
  });
  auto interval = st.opts.cluster.heartbeat_interval;
  self->delayed_send(self, interval, tick_atom::value);
  return {
      [=](hello_atom, envelope& e) -> caf::result<envelope> {
        auto& st = self->state;
        if (e.kind() != v1::Envelope::kNodeHello) return cluster_error("hello takes node_hello");
        const auto& h = e->node_hello();
        auto known = st.opts.cluster.find(h.node());
        if (!known || !known->has("worker"))
          return cluster_error("'" + h.node() + "' is not a worker of this cluster's file");
        auto handle = caf::actor_cast<caf::actor>(self->current_sender());
        if (!handle) return cluster_error("a hello without a sender");
        auto& w = st.workers[h.node()];
        if (w.handle && w.handle != handle) {
          self->demonitor(w.handle);
          st.by_addr.erase(w.handle.address());
        }
        w.handle = handle;
        st.by_addr[handle.address()] = h.node();
        self->monitor(handle);
        v1::Envelope reply;
        auto& welcome = *reply.mutable_welcome();
        welcome.set_node(st.opts.self_name);
        welcome.set_heartbeat_interval_ms(static_cast<uint32_t>(interval.count()));
        for (const auto& r : h.running()) {
          auto at = st.pl.where(r.debate_id());
          if (at && at->epoch == r.epoch() && (at->node == h.node() || at->node.empty())) {
            if (at->node.empty()) st.pl.adopt(r.debate_id(), h.node(), r.epoch());
            continue;
          }
          welcome.add_stop(r.debate_id());  // moved, ended, or unknown here
        }
        auto was = st.pl.node(h.node());
        bool was_down = was && was->state == cluster::node_state::down;
        st.pl.heartbeat(h.node(), 0, clock::now());
        log::info("cluster", "worker ", h.node(), " joined (", h.running_size(), " debates running, ",
                  welcome.stop_size(), " to stop)");
        if (was_down) revived(self, h.node(), journal, hub);
        return envelope{std::move(reply)};
      },
      [=](heartbeat_atom, envelope& e) {
        auto& st = self->state;
        if (e.kind() != v1::Envelope::kHeartbeat) return;
        const auto& hb = e->heartbeat();
        auto w = st.workers.find(hb.node());
        auto sender = caf::actor_cast<caf::actor>(self->current_sender());
        if (w == st.workers.end() || w->second.handle != sender) return;  // not joined (yet)
        auto was = st.pl.node(hb.node());
        bool was_down = was && was->state == cluster::node_state::down;
        st.pl.heartbeat(hb.node(), hb.calls_pending(), clock::now());
        if (hb.has_breakers()) w->second.breakers.assign(hb.breakers().begin(), hb.breakers().end());
        if (!hb.metrics().empty()) {
          if (hb.metrics().size() <= defaults::cluster_metrics_max_bytes) {
            w->second.metrics = hb.metrics();
          } else if (!w->second.metrics.empty() || !w->second.metrics_refused) {
            // Bounded: the edge holds at most this much of each worker's metrics.
            log::warn("cluster", "worker ", hb.node(), "'s metrics (", hb.metrics().size(),
                      " bytes) exceed cluster_metrics_max_bytes: not served");
            w->second.metrics.clear();
            w->second.metrics_refused = true;
          }
        }
        if (was_down) revived(self, hb.node(), journal, hub);
      },
      [=](tick_atom) {
        auto& st = self->state;
        auto now = clock::now();
        for (const auto& name : st.pl.expire(now, st.opts.cluster.heartbeat_timeout))
          lose(self, name,
               "silent for more than " + std::to_string(st.opts.cluster.heartbeat_timeout.count()) + " ms",
               journal, hub);
        // The grace: a worker retrying its connection (at most join_retry_cap apart) has had
        // time to come back and claim its debates before they are moved.
        if (!st.grace_over && now - st.started >= st.opts.cluster.heartbeat_timeout + defaults::join_retry_cap) {
          st.grace_over = true;
          if (st.pl.orphans() > 0)
            log::info("cluster", st.pl.orphans(), " debates unclaimed by their workers: moving them");
          place_orphans(self, journal, hub);
        }
        auto again = std::move(st.retry);
        st.retry.clear();
        for (const auto& id : again)
          if (auto at = st.pl.where(id); at && !at->node.empty()) move(self, *at, at->node, journal, hub);
        self->delayed_send(self, interval, tick_atom::value);
      },
      [=](append_atom a, envelope& e) { return self->delegate(journal, a, std::move(e)); },
      [=](ended_atom, const std::string& id) {
        self->state.pl.finished(id);
        self->state.retry.erase(id);
        self->state.failed_moves.erase(id);
      },
      [=](report_atom, envelope& e) {
        // A worker's debate died without its end reaching the journal: it ends failed.
        if (e.kind() != v1::Envelope::kDebateReport) return;
        auto done = debate::from_proto(e->debate_report());
        if (!done.ok()) return;
        const auto& d = done.value();
        // Only from the worker it is placed on: a worker that woke up after its debates moved
        // must not fail one that runs elsewhere now.
        auto& st = self->state;
        auto from = st.by_addr.find(self->current_sender() ? self->current_sender()->address() : caf::actor_addr{});
        auto at = st.pl.where(d.id);
        if (from == st.by_addr.end() || !at || at->node != from->second) return;
        if (self->state.pl.finished(d.id))
          self->send(sink, debate::failed_report(d.id, d.error.empty() ? "its worker failed it" : d.error));
      },
      [=](place_atom, envelope& e) -> caf::result<envelope> {
        auto& st = self->state;
        if (e.kind() != v1::Envelope::kStartDebate) return cluster_error("place takes start_debate");
        const auto& id = e->start_debate().spec().id();
        auto a = st.pl.place(id);
        if (!a) return cluster_error("no worker is up to run the debate");
        auto w = st.workers.find(a->node);
        if (w == st.workers.end() || !w->second.handle) {
          (void)st.pl.finished(id);
          return cluster_error("worker " + a->node + " is not connected");
        }
        v1::Envelope place;
        place.mutable_place_debate()->set_epoch(a->epoch);
        *place.mutable_place_debate()->mutable_spec() = e->start_debate().spec();
        auto promise = self->make_response_promise<envelope>();
        self->request(w->second.handle, place_timeout, place_atom::value, envelope{std::move(place)})
            .then([promise](envelope& placed) mutable { promise.deliver(std::move(placed)); },
                  [=](caf::error& err) mutable {
                    // It may have started there all the same: fence it before giving up.
                    // A request, not a send: an error answering a send would reach this actor's
                    // default error handler, which stops it.
                    (void)self->state.pl.finished(id);
                    self->request(journal, handover_timeout, handover_atom::value, id, uint64_t{2})
                        .then([](envelope&) {},
                              [=](caf::error& fence_err) {
                                log::warn("cluster", "fencing ", id, " after a failed placement: ",
                                          self->system().render(fence_err));
                              });
                    promise.deliver(cluster_error("worker " + a->node + " did not take the debate: " +
                                                  self->system().render(err)));
                  });
        return promise;
      },
      [=](cancel_atom a, envelope& e) -> caf::result<envelope> {
        auto& st = self->state;
        if (e.kind() != v1::Envelope::kCancelDebate) return cluster_error("cancel takes cancel_debate");
        auto at = st.pl.where(e->cancel_debate().debate_id());
        if (!at) {
          v1::Envelope reply;
          reply.mutable_cancel_reply()->set_debate_id(e->cancel_debate().debate_id());
          reply.mutable_cancel_reply()->set_was_running(false);
          return envelope{std::move(reply)};
        }
        auto w = st.workers.find(at->node);
        if (at->node.empty() || w == st.workers.end() || !w->second.handle)
          return cluster_error("the debate is moving between workers; cancel again in a moment");
        self->delegate(w->second.handle, a, std::move(e));
        return caf::delegated<envelope>{};
      },
      [=](drain_atom, const std::string& name, bool on) {
        auto ok = self->state.pl.drain(name, on);
        if (ok) log::info("cluster", "worker ", name, on ? " draining" : " takes new debates again");
        return ok;
      },
      [=](status_atom, bool want_metrics) {
        auto& st = self->state;
        cluster_status out;
        out.orphans = st.pl.orphans();
        auto now = clock::now();
        for (const auto& n : st.opts.cluster.nodes) {
          node_status s;
          s.name = n.name;
          s.roles = n.roles;
          s.address = n.host + ":" + std::to_string(n.actor_port);
          if (auto v = st.pl.node(n.name)) {
            s.status = std::string{cluster::to_string(v->state)};
            s.debates_in_flight = v->debates;
            s.calls_pending = v->pending_calls;
            if (v->last_heartbeat)
              s.since_heartbeat = std::chrono::duration_cast<std::chrono::milliseconds>(now - *v->last_heartbeat);
            if (auto w = st.workers.find(n.name); w != st.workers.end()) {
              s.breakers = w->second.breakers;
              if (want_metrics) s.metrics = w->second.metrics;
            }
          } else {
            s.status = "up";  // this node: it answers
          }
          out.nodes.push_back(std::move(s));
        }
        return out;
      },
  };
}

}  // namespace

caf::actor spawn_coordinator(caf::actor_system& sys, coordinator_options opts, caf::actor journal,
                             caf::actor sink, edge::stream_hub* hub) {
  return sys.spawn(coordinator, std::move(opts), std::move(journal), std::move(sink), hub);
}

}  // namespace aragora::node
