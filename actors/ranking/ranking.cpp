#include "actors/ranking/ranking.hpp"

#include <caf/all.hpp>

#include <algorithm>

#include "actors/debate/store/persistence.hpp"
#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/base/supervision/supervisor.hpp"
#include "runtime/base/log/log.hpp"

namespace aragora::ranking {

namespace {

std::string agent_key(const std::string& name) {
  return "agent/" + name;
}

std::string match_key(const std::string& debate_id) {
  return "match/" + debate_id;
}

v1::AgentRating to_proto(const rating& r, const elo_params& p) {
  v1::AgentRating out;
  out.set_name(r.name);
  out.set_elo(r.elo);
  for (const auto& [d, e] : r.domain_elo) (*out.mutable_domain_elo())[d] = e;
  out.set_wins(r.wins);
  out.set_losses(r.losses);
  out.set_draws(r.draws);
  out.set_debates(r.debates);
  auto* c = out.mutable_calibration();
  c->set_predictions(r.calib.predictions);
  c->set_correct(r.calib.correct);
  c->set_brier_sum(r.calib.brier_sum);
  c->set_score(calibration_score(r.calib, p.calibration_min));
  return out;
}

rating from_proto(const v1::AgentRating& in) {
  rating r;
  r.name = in.name();
  r.elo = in.elo();
  for (const auto& [d, e] : in.domain_elo()) r.domain_elo[d] = e;
  r.wins = in.wins();
  r.losses = in.losses();
  r.draws = in.draws();
  r.debates = in.debates();
  r.calib = {in.calibration().predictions(), in.calibration().correct(),
             in.calibration().brier_sum()};
  return r;
}

}  // namespace

std::optional<match_input> match_from(const v1::DebateRecord& record) {
  if (record.status() != v1::Status::consensus_reached &&
      record.status() != v1::Status::no_consensus)
    return std::nullopt;
  match_input m;
  m.debate_id = record.spec().id();
  m.domain = record.spec().domain().empty() ? "general" : record.spec().domain();
  for (const auto& a : record.receipt().agents())
    if (a.contributing()) m.participants.push_back(a.name());
  if (m.participants.size() < 2) return std::nullopt;
  m.consensus_reached = record.status() == v1::Status::consensus_reached;
  if (m.consensus_reached && !record.winner().empty()) m.winner = record.winner();
  m.confidence = record.confidence();
  for (const auto& v : record.receipt().votes())
    m.votes.push_back({v.agent(), v.choice(), v.confidence()});
  return m;
}

storage::result<rating_table> load_ratings(storage::store& db) {
  rating_table table;
  auto err = storage::scan_messages<v1::AgentRating>(
      db, storage::cf::elo, agent_key(""),
      [&](std::string_view, v1::AgentRating&& r) { table[r.name()] = from_proto(r); });
  if (err) return *err;
  return table;
}

v1::Leaderboard leaderboard(const rating_table& table, const std::string& domain,
                            const elo_params& p) {
  v1::Leaderboard out;
  out.set_domain(domain);
  std::vector<const rating*> rows;
  for (const auto& [name, r] : table)
    if (domain.empty() || r.domain_elo.count(domain)) rows.push_back(&r);
  auto score = [&](const rating* r) {
    return domain.empty() ? r->elo : r->domain_elo.at(domain);
  };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const rating* a, const rating* b) { return score(a) > score(b); });
  for (const auto* r : rows) *out.add_agents() = to_proto(*r, p);
  return out;
}

storage::result<bool> record_debate(storage::store& db, rating_table& table,
                                    const v1::DebateRecord& record, const elo_params& p) {
  auto m = match_from(record);
  if (!m) return false;
  auto existing = db.get(storage::cf::elo, match_key(m->debate_id));
  if (!existing.ok()) return existing.error();
  if (existing.value()) return false;
  auto updated = table;
  auto changes = apply_match(updated, *m, p);
  if (db.read_only()) {
    // A reader (`aragora leaderboard` beside a running node, or on read-only media) counts the
    // debate for its answer; the node's ranking records it.
    table = std::move(updated);
    return true;
  }
  v1::MatchRecord mr;
  mr.set_debate_id(m->debate_id);
  if (m->winner) mr.set_winner(*m->winner);
  for (const auto& a : m->participants) mr.add_participants(a);
  mr.set_domain(m->domain);
  for (const auto& [a, d] : changes) (*mr.mutable_elo_changes())[a] = d;
  mr.set_weight(m->weight());
  mr.mutable_recorded_at()->set_seconds(db.now_s());
  storage::write_batch batch;
  const auto now = db.now_s();
  const auto expiry = db.expiry_for(storage::cf::elo);
  for (const auto& a : m->participants) {
    auto proto = to_proto(updated[a], p);
    proto.mutable_updated_at()->set_seconds(now);
    batch.put_message(storage::cf::elo, agent_key(a), proto, expiry);
  }
  batch.put_message(storage::cf::elo, match_key(m->debate_id), mr, expiry);
  if (auto err = db.write(batch, false)) return *err;
  table = std::move(updated);
  return true;
}

storage::result<uint32_t> reconcile(storage::store& db, rating_table& table, const elo_params& p) {
  auto finished = debate::finished_without_marker(db, storage::cf::elo, match_key(""));
  if (!finished.ok()) return finished.error();
  uint32_t recorded = 0;
  for (const auto& r : finished.value()) {
    auto done = record_debate(db, table, r, p);
    if (!done.ok()) return done.error();
    recorded += done.value() ? 1 : 0;
  }
  return recorded;
}

namespace {

struct ranking_state {
  static inline const char* name = "ranking";
  std::shared_ptr<storage::store> db;
  rating_table table;
  elo_params params;
  bool loaded = false;
};

/// Loads the stored ratings (and reconciles) once; until then nothing is recorded, since
/// recording over an empty table would overwrite the stored ratings.
bool ensure_loaded(ranking_state& st) {
  if (st.loaded) return true;
  auto loaded = load_ratings(*st.db);
  if (!loaded.ok()) {
    log::error("ranking", "cannot load ratings: ", loaded.error().message);
    return false;
  }
  st.table = std::move(loaded.value());
  st.loaded = true;
  if (auto r = reconcile(*st.db, st.table, st.params); !r.ok())
    log::warn("ranking", "reconcile failed: ", r.error().message);
  return true;
}

caf::behavior ranking_actor(caf::stateful_actor<ranking_state>* self,
                            std::shared_ptr<storage::store> db, elo_params p) {
  auto& st = self->state;
  st.db = std::move(db);
  st.params = p;
  (void)ensure_loaded(st);
  return {
      [=](record_match& m) -> bool {
        auto& s = self->state;
        if (!ensure_loaded(s)) return false;  // the stored record is reconciled later
        auto r = record_debate(*s.db, s.table, m.record, s.params);
        if (!r.ok()) {
          // The debate's record is on disk: the next reconcile records it.
          log::warn("ranking", storage::to_string(r.error().code), ": ", r.error().message);
          return false;
        }
        return r.value();
      },
      [=](leaderboard_atom, const std::string& domain) {
        (void)ensure_loaded(self->state);
        return leaderboard(self->state.table, domain, self->state.params);
      },
      [=](supervision::ping_atom) { return caf::ok_atom::value; },
      [=](fault::stall_atom) { fault::stall_forever(self); },
  };
}

}  // namespace

caf::actor spawn_ranking(caf::actor_system& sys, std::shared_ptr<storage::store> db,
                         elo_params p) {
  return sys.spawn<caf::detached>(ranking_actor, std::move(db), p);
}

}  // namespace aragora::ranking
