#include "actors/debate/store/persistence.hpp"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "actors/debate/canonical.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/store/list_index.hpp"
#include "actors/debate/replay.hpp"
#include "runtime/base/crypto/sha256.hpp"
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
  for (const auto& e : events) {
    v1::Event ev;
    fill_event(m, e, ev);
    batch.put_message(storage::cf::debate_events, event_key(m.spec().id, e.seq), ev, expiry_s);
  }
}

v1::DebateRecord record_of(const debate_machine& m, const v1::Receipt* receipt) {
  v1::DebateRecord r;
  *r.mutable_spec() = to_proto(m.spec());
  *r.mutable_rules() = to_proto(m.options());
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

void add_record(storage::write_batch& batch, const v1::DebateRecord& record,
                const storage::store& db) {
  // Active debates are kept indefinitely; a finished one for the debates retention.
  auto expiry = record.status() != v1::Status::running ? db.expiry_for(storage::cf::debates) : 0;
  batch.put_message(storage::cf::debates, record.spec().id(), record, expiry);
  add_index(batch, record, expiry);
}

std::string consensus_strength(double c) {
  if (c >= 0.9) return "unanimous";
  if (c >= 0.8) return "strong";
  if (c >= 0.6) return "moderate";
  if (c >= 0.5) return "weak";
  return "split";
}

std::string topic_hash(std::string_view topic) {
  std::set<std::string> words;
  std::string w;
  for (char c : topic) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) {
      w.push_back(static_cast<char>(std::tolower(u)));
    } else if (!w.empty()) {
      words.insert(std::move(w));
      w.clear();
    }
  }
  if (!w.empty()) words.insert(std::move(w));
  std::string joined;
  for (const auto& x : words) {
    if (!joined.empty()) joined.push_back(' ');
    joined += x;
  }
  return crypto::to_hex(crypto::sha256(joined)).substr(0, 16);
}

std::optional<v1::ConsensusRecord> consensus_of(const debate_machine& m) {
  if (!m.finished()) return std::nullopt;
  const auto& f = m.outcome();
  if (f.status != debate_status::consensus_reached && f.status != debate_status::no_consensus)
    return std::nullopt;
  const auto& spec = m.spec();
  v1::ConsensusRecord r;
  r.set_debate_id(spec.id);
  r.set_topic(spec.question);
  r.set_topic_hash(topic_hash(spec.question));
  if (f.final_answer) r.set_conclusion(*f.final_answer);
  r.set_confidence(f.confidence);
  r.set_strength(f.reached ? consensus_strength(f.confidence) : "split");
  r.set_status(static_cast<v1::Status::Value>(f.status));
  r.set_domain(spec.domain);
  r.set_rounds(m.rounds_used());
  *r.mutable_decided_at() = to_timestamp(f.at);
  for (size_t i = 0; i < spec.agents.size(); ++i)
    if (m.stats()[i].contributed) r.add_participating(spec.agents[i].name);
  // The reasoning of each final vote.
  for (const auto& b : f.ballots) {
    const auto& voter = m.agent_name(b.voter);
    bool agrees = f.winner != no_agent && b.choice == f.winner;
    if (agrees) {
      r.add_agreeing(voter);
      continue;
    }
    r.add_dissenting(voter);
    auto* d = r.add_dissents();
    d->set_agent(voter);
    d->set_choice(m.agent_name(b.choice));
    d->set_confidence(b.confidence);
    if (const auto* vote = m.final_vote(b.voter); vote && vote->text) d->set_reasoning(*vote->text);
  }
  return r;
}

void add_consensus(storage::write_batch& batch, const debate_machine& m, const storage::store& db) {
  if (auto r = consensus_of(m))
    batch.put_message(storage::cf::consensus, m.spec().id, *r, db.expiry_for(storage::cf::consensus));
}

void add_audit(storage::write_batch& batch, const storage::store& db, time_point at,
               std::string_view actor, std::string_view action, std::string_view debate_id,
               std::string_view detail) {
  v1::AuditEntry e;
  *e.mutable_at() = to_timestamp(at);
  e.set_actor(std::string{actor});
  e.set_action(std::string{action});
  e.set_debate_id(std::string{debate_id});
  e.set_detail(std::string{detail});
  std::string key;
  storage::append_be64(key, static_cast<uint64_t>(to_micros(at)));
  key.append(debate_id);
  key.push_back('/');
  key.append(action);
  batch.put_message(storage::cf::audit, std::move(key), e, db.expiry_for(storage::cf::audit));
}

storage::result<std::vector<v1::AuditEntry>> load_audit(storage::store& db) {
  std::vector<v1::AuditEntry> out;
  auto err = storage::scan_messages<v1::AuditEntry>(
      db, storage::cf::audit, "",
      [&](std::string_view, v1::AuditEntry&& e) { out.push_back(std::move(e)); });
  if (err) return *err;
  return out;
}

storage::result<std::optional<v1::DebateRecord>> load_record(storage::store& db,
                                                             std::string_view id) {
  auto rec = db.get(storage::cf::debates, id);
  if (!rec.ok()) return rec.error();
  if (!rec.value()) return std::optional<v1::DebateRecord>{};
  v1::DebateRecord r;
  if (!r.ParseFromString(*rec.value()))
    return storage::store_error{storage::store_errc::corrupt_record,
                                "debate record " + std::string{id} + " does not parse"};
  return std::optional<v1::DebateRecord>{std::move(r)};
}

storage::result<std::optional<stored_debate>> load_debate(storage::store& db, std::string_view id) {
  auto rec = load_record(db, id);
  if (!rec.ok()) return rec.error();
  if (!rec.value()) return std::optional<stored_debate>{};
  stored_debate d;
  d.record = std::move(*rec.value());
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
  storage::scan_report report;
  if (auto err = load_records(db, out, report)) return *err;
  if (report.unreadable > 0) return storage::unreadable_error(storage::cf::debates, report);
  return out;
}

std::optional<storage::store_error> load_records(storage::store& db,
                                                 std::vector<v1::DebateRecord>& out,
                                                 storage::scan_report& report) {
  return storage::scan_messages<v1::DebateRecord>(
      db, storage::cf::debates, "",
      [&](std::string_view, v1::DebateRecord&& r) { out.push_back(std::move(r)); }, &report);
}

storage::result<std::vector<v1::DebateRecord>> finished_without_marker(
    storage::store& db, storage::cf marker_family, std::string_view marker_prefix) {
  std::unordered_set<std::string> marked;
  auto err = db.scan(marker_family, marker_prefix, [&](std::string_view key, std::string_view) {
    marked.emplace(key.substr(marker_prefix.size()));
    return true;
  });
  if (err) return *err;
  std::vector<v1::DebateRecord> out;
  err = db.scan(storage::cf::debates, "", [&](std::string_view id, std::string_view payload) {
    if (marked.count(std::string{id})) return true;
    v1::DebateRecord r;
    if (!r.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      // It cannot be taken in; the others can. Counted and logged, not skipped in silence.
      db.note_unreadable(storage::cf::debates, id, 1);
      return true;
    }
    if (r.status() != v1::Status::running) out.push_back(std::move(r));
    return true;
  });
  if (err) return *err;
  return out;
}

std::variant<std::unique_ptr<debate_machine>, std::string> rebuild(
    const stored_debate& d, const machine_options& options) {
  auto spec = std::make_shared<const debate_spec>(from_proto(d.record.spec()));
  // The rules the debate started with, so a changed configuration cannot change its course.
  auto rules = d.record.has_rules() ? from_proto(d.record.rules()) : options;
  return replay(std::move(spec), rules, d.events);
}

}  // namespace aragora::debate
