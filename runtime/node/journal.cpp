#include "runtime/node/journal.hpp"

#include <caf/all.hpp>

#include <unordered_map>

#include "actors/debate/actor/messages.hpp"
#include "actors/debate/store/list_index.hpp"
#include "actors/debate/store/persistence.hpp"
#include "actors/ranking/ranking.hpp"
#include "net/wire/envelope.hpp"
#include "runtime/base/log/log.hpp"
#include "runtime/node/cluster_messages.hpp"
#include "storage/record.hpp"
#include "storage/storage_actors.hpp"
#include "storage/store.hpp"

namespace aragora::node {

namespace {

using wire::envelope;

/// The answer to one request: a single append's ack, or a batch's acks once every one is in.
struct pending_reply {
  caf::response_promise promise;
  bool single = false;
  v1::Envelope acks;  // JournalAcks, one slot per append
  size_t outstanding = 0;
};

struct pending_append {
  std::shared_ptr<pending_reply> reply;
  int slot = 0;
  std::string debate;
  uint64_t epoch = 0;
  std::vector<debate::event_ptr> events;
  std::optional<v1::DebateRecord> record;
};

struct pending_handover {
  caf::response_promise promise;
  std::string debate;
  uint64_t epoch = 0;
};

struct journal_state {
  journal_state() = default;  // no aggregate: see replicating_state (cluster_worker.cpp)
  caf::actor coordinator;
  epoch_table epochs;
  storage::writer_actor writer;
  caf::actor reader;
  uint64_t next_token = 1;
  std::unordered_map<uint64_t, pending_append> appends;
  std::unordered_map<uint64_t, pending_handover> handovers;
};

v1::JournalAck ack(const std::string& id, uint64_t epoch, bool fenced, std::string error = {}) {
  v1::JournalAck a;
  a.set_debate_id(id);
  a.set_epoch(epoch);
  a.set_fenced(fenced);
  a.set_error(std::move(error));
  return a;
}

/// Fills one slot; the last one answers the request.
void answer(pending_reply& r, int slot, v1::JournalAck a) {
  *r.acks.mutable_journal_acks()->mutable_acks(slot) = std::move(a);
  if (--r.outstanding > 0) return;
  if (!r.single) return r.promise.deliver(envelope{std::move(r.acks)});
  v1::Envelope e;
  *e.mutable_journal_ack() = std::move(*r.acks.mutable_journal_acks()->mutable_acks(0));
  r.promise.deliver(envelope{std::move(e)});
}

/// The families a debate's step writes (debate_actor persist()); nothing else may be appended.
bool debate_family(storage::cf f) {
  using storage::cf;
  return f == cf::debates || f == cf::debate_events || f == cf::debate_index || f == cf::audit ||
         f == cf::consensus;
}

/// The append as a write batch, with its events and record read back for the stream; an error
/// says what is wrong with it.
std::optional<std::string> unpack(const v1::JournalAppend& a, storage::write_batch& batch,
                                  pending_append& p) {
  const auto& id = a.debate_id();
  if (id.empty() || id.size() > 64) return "a debate id of 1..64 characters";
  auto events_prefix = debate::events_prefix(id);
  for (const auto& w : a.writes()) {
    if (w.family() >= storage::cf_count) return "an unknown column family " + std::to_string(w.family());
    auto family = static_cast<storage::cf>(w.family());
    if (!debate_family(family))
      return "a write to " + std::string{storage::name(family)} + ", which debates do not write";
    if (w.key().empty() || w.key().size() > 1024) return "a key of 1..1024 bytes";
    if ((family == storage::cf::debates || family == storage::cf::consensus) && w.key() != id)
      return "a record of another debate";
    if (family == storage::cf::debate_events && w.key().rfind(events_prefix, 0) != 0)
      return "an event of another debate";
    if (w.erase()) {
      batch.erase(family, w.key());
      continue;
    }
    auto rec = storage::unframe_record(w.value());
    if (!rec) return "a value that is not a framed record";
    if (family == storage::cf::debate_events) {
      auto ev = std::make_shared<v1::Event>();
      if (!ev->ParseFromArray(rec->payload.data(), static_cast<int>(rec->payload.size())) ||
          ev->debate_id() != id)
        return "an event that does not parse";
      p.events.push_back(std::move(ev));
    } else if (family == storage::cf::debates) {
      v1::DebateRecord r;
      if (!r.ParseFromArray(rec->payload.data(), static_cast<int>(rec->payload.size())))
        return "a debate record that does not parse";
      p.record = std::move(r);
    }
    batch.put_framed(family, w.key(), w.value());
  }
  return std::nullopt;
}

void add_placement(storage::write_batch& batch, const storage::store& db, const std::string& id,
                   uint64_t epoch) {
  v1::Placement p;
  p.set_debate_id(id);
  p.set_epoch(epoch);
  batch.put_message(storage::cf::placements, id, p, db.expiry_for(storage::cf::placements));
}

/// Reads a debate's log for a handover (detached: it reads the disk).
caf::behavior journal_reader(caf::event_based_actor*, std::shared_ptr<storage::store> db) {
  return {
      [db](load_atom, const std::string& id) -> caf::result<envelope> {
        auto stored = debate::load_debate(*db, id);
        if (!stored.ok())
          return wire::make_error(wire::wire_errc::unreadable_message,
                                  "the journal cannot read debate " + id + ": " + stored.error().message);
        if (!stored.value())
          return wire::make_error(wire::wire_errc::unreadable_message, "the journal has no debate " + id);
        v1::Envelope e;
        auto& place = *e.mutable_place_debate();
        *place.mutable_record() = std::move(stored.value()->record);
        for (auto& ev : stored.value()->events) *place.add_events() = std::move(ev);
        return envelope{std::move(e)};
      },
  };
}

caf::behavior journal(caf::stateful_actor<journal_state>* self, std::shared_ptr<storage::store> db,
                      epoch_table epochs, journal_links links) {
  auto& st = self->state;
  st.epochs = std::move(epochs);
  st.writer = storage::spawn_writer(self->system(), db);
  st.reader = self->system().spawn<caf::detached>(journal_reader, db);
  self->link_to(caf::actor_cast<caf::actor>(st.writer));
  self->link_to(st.reader);
  auto finished = [self, links](const std::string& id, const v1::DebateRecord& record) {
    if (links.ranking)
      if (auto ranking = links.ranking()) caf::anon_send(ranking, ranking::record_match{record});
    debate::debate_finished done;
    done.id = id;
    done.receipt.id = record.receipt().receipt_id();
    if (record.status() == v1::Status::failed) done.summary.status = debate::debate_status::failed;
    self->send(links.sink, std::move(done));
    if (auto& c = self->state.coordinator) self->send(c, ended_atom::value, id);
  };
  st.coordinator = links.coordinator;
  return {
      [=](connect_atom, caf::actor coordinator) { self->state.coordinator = std::move(coordinator); },
      [=](append_atom, envelope& e) -> caf::result<envelope> {
        auto& st = self->state;
        std::vector<const v1::JournalAppend*> appends;
        if (e.kind() == v1::Envelope::kJournalAppend) {
          appends.push_back(&e->journal_append());
        } else if (e.kind() == v1::Envelope::kJournalBatch) {
          for (const auto& a : e->journal_batch().appends()) appends.push_back(&a);
        } else {
          return wire::make_error(wire::wire_errc::envelope_malformed,
                                  "the journal takes journal_append or journal_batch, got " +
                                      std::string{wire::kind_name(e.kind())});
        }
        auto reply = std::make_shared<pending_reply>();
        reply->single = e.kind() == v1::Envelope::kJournalAppend;
        reply->outstanding = appends.size();
        auto* acks = reply->acks.mutable_journal_acks();
        for (size_t i = 0; i < appends.size(); ++i) acks->add_acks();
        if (appends.empty()) return envelope{std::move(reply->acks)};
        reply->promise = self->make_response_promise();
        auto promise = reply->promise;
        // Each append on its own: a stale or malformed one is refused, the others go on (the
        // writer commits them together).
        for (size_t i = 0; i < appends.size(); ++i) {
          const auto& a = *appends[i];
          const auto& id = a.debate_id();
          auto slot = static_cast<int>(i);
          auto verdict = st.epochs.check(id, a.epoch());
          if (verdict == epoch_table::verdict::stale) {
            answer(*reply, slot, ack(id, st.epochs.of(id), true));
            continue;
          }
          pending_append p;
          storage::write_batch batch;
          if (auto why = unpack(a, batch, p)) {
            log::warn("journal", "refused an append of ", id, ": ", *why);
            answer(*reply, slot, ack(id, st.epochs.of(id), false, "journal_refused: " + *why));
            continue;
          }
          if (verdict == epoch_table::verdict::newer) add_placement(batch, *db, id, a.epoch());
          p.reply = reply;
          p.slot = slot;
          p.debate = id;
          p.epoch = a.epoch();
          auto token = st.next_token++;
          st.appends.emplace(token, std::move(p));
          self->send(st.writer, storage::persist_request{std::move(batch), a.sync(), token, id});
        }
        return promise;
      },
      [=](handover_atom, const std::string& id, uint64_t at_least) -> caf::result<envelope> {
        auto& st = self->state;
        // From here on the old owner's appends are refused; the new epoch is on disk before the
        // log is read and handed over.
        auto epoch = st.epochs.advance(id, at_least);
        storage::write_batch batch;
        add_placement(batch, *db, id, epoch);
        auto token = st.next_token++;
        auto promise = self->make_response_promise();
        st.handovers.emplace(token, pending_handover{promise, id, epoch});
        self->send(st.writer, storage::persist_request{std::move(batch), true, token, {}});
        return promise;
      },
      [=](storage::persist_ack& r) {
        auto& st = self->state;
        if (auto h = st.handovers.find(r.token); h != st.handovers.end()) {
          auto ho = std::move(h->second);
          st.handovers.erase(h);
          if (r.error) {
            ho.promise.deliver(wire::make_error(wire::wire_errc::unreadable_message,
                                                "the journal could not store the new epoch: " + r.error->message));
            return;
          }
          self->request(st.reader, std::chrono::seconds{30}, load_atom::value, ho.debate)
              .then(
                  [ho](envelope& log) mutable {
                    v1::Envelope e = *log;
                    e.mutable_place_debate()->set_epoch(ho.epoch);
                    ho.promise.deliver(envelope{std::move(e)});
                  },
                  [ho](caf::error& err) mutable { ho.promise.deliver(std::move(err)); });
          return;
        }
        auto it = st.appends.find(r.token);
        if (it == st.appends.end()) return;
        auto p = std::move(it->second);
        st.appends.erase(it);
        if (r.error) {
          answer(*p.reply, p.slot, ack(p.debate, p.epoch, false,
                                       std::string{storage::to_string(r.error->code)} + ": " + r.error->message));
          return;
        }
        answer(*p.reply, p.slot, ack(p.debate, st.epochs.of(p.debate), false));
        // Committed: what subscribers see is what a resumed debate continues from.
        uint32_t last = 0;
        for (auto& ev : p.events) {
          last = std::max(last, ev->seq());
          self->send(links.sink, debate::event_ptr{std::move(ev)});
        }
        if (last > 0) self->send(links.sink, debate::debate_durable{p.debate, last});
        if (p.record && p.record->status() != v1::Status::running) finished(p.debate, *p.record);
      },
  };
}

}  // namespace

std::vector<std::pair<std::string, uint64_t>> unfinished_debates(storage::store& db,
                                                                 const epoch_table& epochs) {
  std::vector<std::pair<std::string, uint64_t>> out;
  std::vector<std::pair<std::string, std::string>> unreadable;
  // Through the running index: one damaged record must not leave every other debate unadopted.
  for (const auto& r : debate::running_records(db, unreadable))
    out.emplace_back(r.spec().id(), epochs.of(r.spec().id()));
  for (const auto& [key, why] : unreadable) log::warn("journal", "reading the debates (", key, "): ", why);
  return out;
}

epoch_table load_epochs(storage::store& db) {
  epoch_table t;
  auto err = storage::scan_messages<v1::Placement>(db, storage::cf::placements, "",
                                                   [&](std::string_view, v1::Placement&& p) {
                                                     t.set(p.debate_id(), p.epoch());
                                                     return true;
                                                   });
  if (err) log::warn("journal", "reading the placements: ", err->message);
  return t;
}

caf::actor spawn_journal(caf::actor_system& sys, std::shared_ptr<storage::store> db,
                         epoch_table epochs, journal_links links) {
  return sys.spawn(journal, std::move(db), std::move(epochs), std::move(links));
}

}  // namespace aragora::node
