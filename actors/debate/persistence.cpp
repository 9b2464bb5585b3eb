#include "actors/debate/persistence.hpp"

#include "actors/debate/codec.hpp"
#include "actors/debate/replay.hpp"
#include "storage/record.hpp"

namespace aragora::debate {

std::string event_key(std::string_view debate_id, uint32_t seq) {
  auto key = events_prefix(debate_id);
  storage::append_be32(key, seq);
  return key;
}

std::string events_prefix(std::string_view debate_id) {
  std::string key;
  key.reserve(debate_id.size() + 5);
  key.append(debate_id);
  key.push_back('/');
  return key;
}

void add_events(storage::write_batch& batch, const debate_machine& m,
                std::span<const event_ref> events, int64_t expiry_s) {
  std::string bytes;
  for (const auto& e : events) {
    v1::Event ev;
    fill_event(m, e, ev);
    bytes.clear();
    ev.SerializeToString(&bytes);
    batch.put(storage::cf::debate_events, event_key(m.spec().id, e.seq), bytes, expiry_s);
  }
}

v1::DebateRecord record_of(const debate_machine& m, const v1::Receipt* receipt) {
  v1::DebateRecord r;
  *r.mutable_spec() = to_proto(m.spec());
  *r.mutable_created_at() = to_timestamp(m.started_at());
  r.set_last_seq(m.last_seq());
  r.set_rounds_used(m.rounds_used());
  r.set_agent_calls(m.agent_calls());
  if (!m.finished()) {
    r.set_status(v1::Status::running);
    *r.mutable_updated_at() = to_timestamp(std::chrono::system_clock::now());
    return r;
  }
  const auto& f = m.outcome();
  r.set_status(static_cast<v1::Status::Value>(f.status));
  r.set_verdict(static_cast<v1::Verdict::Value>(f.decision));
  r.set_confidence(f.confidence);
  if (f.winner != no_agent) r.set_winner(m.agent_name(f.winner));
  r.set_error(f.error);
  *r.mutable_completed_at() = to_timestamp(f.at);
  *r.mutable_updated_at() = to_timestamp(f.at);
  if (receipt) *r.mutable_receipt() = *receipt;
  return r;
}

void add_record(storage::write_batch& batch, const debate_machine& m, const v1::Receipt* receipt,
                const storage::store& db) {
  auto record = record_of(m, receipt);
  // Active debates are kept indefinitely; a finished one for the debates retention.
  auto expiry = m.finished() ? db.expiry_for(storage::cf::debates) : 0;
  batch.put(storage::cf::debates, m.spec().id, record.SerializeAsString(), expiry);
}

storage::result<std::optional<stored_debate>> load_debate(storage::store& db, std::string_view id) {
  auto rec = db.get(storage::cf::debates, id);
  if (!rec.ok()) return rec.error();
  if (!rec.value()) return std::optional<stored_debate>{};
  stored_debate d;
  if (!d.record.ParseFromString(*rec.value()))
    return storage::store_error{storage::store_errc::corrupt_record,
                                "debate record " + std::string{id} + " does not parse"};
  bool bad = false;
  auto err = db.scan(storage::cf::debate_events, events_prefix(id),
                     [&](std::string_view, std::string_view payload) {
                       v1::Event e;
                       if (!e.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
                         bad = true;
                         return false;
                       }
                       d.events.push_back(std::move(e));
                       return true;
                     });
  if (err) return *err;
  if (bad)
    return storage::store_error{storage::store_errc::corrupt_record,
                                "an event of debate " + std::string{id} + " does not parse"};
  return std::optional<stored_debate>{std::move(d)};
}

storage::result<std::vector<v1::DebateRecord>> load_records(storage::store& db) {
  std::vector<v1::DebateRecord> out;
  auto err = db.scan(storage::cf::debates, "", [&](std::string_view, std::string_view payload) {
    v1::DebateRecord r;
    if (r.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
      out.push_back(std::move(r));
    return true;
  });
  if (err) return *err;
  return out;
}

std::variant<std::unique_ptr<debate_machine>, std::string> rebuild(
    const stored_debate& d, const machine_options& options) {
  auto spec = std::make_shared<const debate_spec>(from_proto(d.record.spec()));
  return replay(std::move(spec), options, d.events);
}

}  // namespace aragora::debate
