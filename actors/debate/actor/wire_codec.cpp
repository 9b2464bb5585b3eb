#include "actors/debate/actor/wire_codec.hpp"

#include <algorithm>
#include <unordered_map>

#include "actors/debate/codec.hpp"

namespace aragora::debate {

std::string_view to_string(decode_errc x) {
  switch (x) {
    case decode_errc::bad_phase: return "bad_phase";
    case decode_errc::index_out_of_range: return "index_out_of_range";
    case decode_errc::bad_reference: return "bad_reference";
    case decode_errc::unknown_error_code: return "unknown_error_code";
    case decode_errc::bad_status: return "bad_status";
    case decode_errc::bad_spec: return "bad_spec";
    case decode_errc::debate_id_mismatch: return "debate_id_mismatch";
  }
  return "unknown";
}

namespace {

decode_error refuse(decode_errc code, std::string message) {
  return {code, std::move(message)};
}

decode_error out_of_range(std::string_view what, uint64_t value, uint64_t limit) {
  return refuse(decode_errc::index_out_of_range, std::string{what} + " " + std::to_string(value) +
                                                     " is not below " + std::to_string(limit));
}

/// An index that must fit a uint8_t other than no_agent (and be below `limit` when one is set).
std::optional<decode_error> check_index(std::string_view what, uint32_t value, size_t limit) {
  if (value >= limit) return out_of_range(what, value, limit);
  return std::nullopt;
}

constexpr size_t any_index = no_agent;  // fits a uint8_t and is not no_agent

}  // namespace

// -- calls --------------------------------------------------------------------------------------

v1::CallKey to_proto(const call_key& key) {
  v1::CallKey p;
  p.set_phase(static_cast<v1::Phase::Value>(key.ph));
  p.set_round(key.round);
  p.set_agent(key.agent);
  if (key.target != no_agent) p.set_target(key.target);
  return p;
}

decoded<call_key> from_proto(const v1::CallKey& p) {
  auto ph = static_cast<int>(p.phase());
  if (ph < static_cast<int>(phase::propose) || ph > static_cast<int>(phase::judge))
    return refuse(decode_errc::bad_phase, "call phase " + std::to_string(ph) + " is not a phase");
  // Round 255 fits a uint8_t, unlike an agent or target of 255 (no_agent).
  if (p.round() > 255) return out_of_range("round", p.round(), 256);
  if (auto e = check_index("agent", p.agent(), any_index)) return *e;
  if (p.has_target())
    if (auto e = check_index("target", p.target(), any_index)) return *e;
  call_key key;
  key.ph = static_cast<phase>(ph);
  key.round = static_cast<uint8_t>(p.round());
  key.agent = static_cast<uint8_t>(p.agent());
  key.target = p.has_target() ? static_cast<uint8_t>(p.target()) : no_agent;
  return key;
}

namespace {

/// Builds AgentCalls' tables: one entry per distinct text or list (by identity, as the machine
/// shares them).
class table_writer {
public:
  explicit table_writer(v1::AgentCalls& out) : out_(out) {}

  uint32_t text(const text_ptr& t) {
    auto [it, fresh] = texts_.try_emplace(t.get(), static_cast<uint32_t>(out_.texts_size()));
    if (fresh) out_.add_texts(*t);
    return it->second;
  }

  uint32_t critiques(const critique_list& list) {
    auto [it, fresh] = critiques_.try_emplace(list.get(), out_.critique_lists_size());
    if (fresh) {
      auto* l = out_.add_critique_lists();
      for (const auto& c : *list) {
        auto* x = l->add_items();
        x->set_critic(c.critic);
        if (c.text) x->set_text(text(c.text));
        x->set_severity(c.severity);
      }
    }
    return it->second;
  }

  uint32_t proposals(const proposal_list& list) {
    auto [it, fresh] = proposals_.try_emplace(list.get(), out_.proposal_lists_size());
    if (fresh) {
      auto* l = out_.add_proposal_lists();
      for (const auto& p : *list) {
        auto* x = l->add_items();
        x->set_agent(p.agent);
        if (p.text) x->set_text(text(p.text));
      }
    }
    return it->second;
  }

  uint32_t ballots(const ballot_list& list) {
    auto [it, fresh] = ballots_.try_emplace(list.get(), out_.ballot_lists_size());
    if (fresh) {
      auto* l = out_.add_ballot_lists();
      for (const auto& b : *list) {
        auto* x = l->add_items();
        x->set_voter(b.voter);
        x->set_choice(b.choice);
        x->set_confidence(b.confidence);
      }
    }
    return it->second;
  }

  uint32_t history(const history_list& list) {
    auto [it, fresh] = histories_.try_emplace(list.get(), out_.history_lists_size());
    if (fresh) {
      auto* l = out_.add_history_lists();
      for (const auto& h : *list) {
        auto* x = l->add_items();
        x->set_round(h.round);
        x->set_phase(static_cast<v1::Phase::Value>(h.ph));
        x->set_agent(h.agent);
        if (h.target != no_agent) x->set_target(h.target);
        if (h.text) x->set_text(text(h.text));
      }
    }
    return it->second;
  }

private:
  v1::AgentCalls& out_;
  std::unordered_map<const void*, uint32_t> histories_;
  std::unordered_map<const std::string*, uint32_t> texts_;
  std::unordered_map<const void*, uint32_t> critiques_;
  std::unordered_map<const void*, uint32_t> proposals_;
  std::unordered_map<const void*, uint32_t> ballots_;
};

/// Reads AgentCalls' tables into shared texts and lists, checking every index.
class table_reader {
public:
  table_reader(const v1::AgentCalls& in, size_t agent_count) : in_(in), agents_(agent_count) {}

  std::optional<decode_error> read() {
    texts_.reserve(static_cast<size_t>(in_.texts_size()));
    for (const auto& t : in_.texts()) texts_.push_back(make_text(t));
    for (const auto& l : in_.critique_lists()) {
      std::vector<critique_ref> items;
      items.reserve(static_cast<size_t>(l.items_size()));
      for (const auto& c : l.items()) {
        if (auto e = check_index("critic", c.critic(), agents_)) return e;
        text_ptr t;
        if (c.has_text())
          if (auto e = text(c.text(), t)) return e;
        items.push_back({static_cast<uint8_t>(c.critic()), std::move(t), c.severity()});
      }
      critiques_.push_back(std::make_shared<const std::vector<critique_ref>>(std::move(items)));
    }
    for (const auto& l : in_.proposal_lists()) {
      std::vector<proposal_ref> items;
      items.reserve(static_cast<size_t>(l.items_size()));
      for (const auto& p : l.items()) {
        if (auto e = check_index("proposal agent", p.agent(), agents_)) return e;
        text_ptr t;
        if (p.has_text())
          if (auto e = text(p.text(), t)) return e;
        items.push_back({static_cast<uint8_t>(p.agent()), std::move(t)});
      }
      proposals_.push_back(std::make_shared<const std::vector<proposal_ref>>(std::move(items)));
    }
    for (const auto& l : in_.ballot_lists()) {
      std::vector<ballot> items;
      items.reserve(static_cast<size_t>(l.items_size()));
      for (const auto& b : l.items()) {
        if (auto e = check_index("voter", b.voter(), agents_)) return e;
        if (auto e = check_index("ballot choice", b.choice(), agents_)) return e;
        items.push_back(
            {static_cast<uint8_t>(b.voter()), static_cast<uint8_t>(b.choice()), b.confidence()});
      }
      ballots_.push_back(std::make_shared<const std::vector<ballot>>(std::move(items)));
    }
    for (const auto& l : in_.history_lists()) {
      std::vector<history_item> items;
      items.reserve(static_cast<size_t>(l.items_size()));
      for (const auto& h : l.items()) {
        auto ph = static_cast<int>(h.phase());
        if (ph != static_cast<int>(phase::propose) && ph != static_cast<int>(phase::critique) &&
            ph != static_cast<int>(phase::revise))
          return refuse(decode_errc::bad_phase, "history phase " + std::to_string(ph));
        if (h.round() > 255) return out_of_range("history round", h.round(), 256);
        if (auto e = check_index("history agent", h.agent(), agents_)) return e;
        if (h.has_target())
          if (auto e = check_index("history target", h.target(), agents_)) return e;
        text_ptr t;
        if (h.has_text())
          if (auto e = text(h.text(), t)) return e;
        items.push_back({static_cast<uint8_t>(h.round()), static_cast<phase>(ph), static_cast<uint8_t>(h.agent()),
                         h.has_target() ? static_cast<uint8_t>(h.target()) : no_agent, std::move(t)});
      }
      histories_.push_back(std::make_shared<const std::vector<history_item>>(std::move(items)));
    }
    return std::nullopt;
  }

  std::optional<decode_error> text(uint32_t index, text_ptr& out) const {
    return pick("text", texts_, index, out);
  }

  template <class T>
  std::optional<decode_error> pick(std::string_view what, const std::vector<T>& table,
                                   uint32_t index, T& out) const {
    if (index >= table.size())
      return refuse(decode_errc::bad_reference, std::string{what} + " " + std::to_string(index) +
                                                    " of a table of " +
                                                    std::to_string(table.size()));
    out = table[index];
    return std::nullopt;
  }

  const std::vector<critique_list>& critiques() const { return critiques_; }
  const std::vector<proposal_list>& proposals() const { return proposals_; }
  const std::vector<ballot_list>& ballots() const { return ballots_; }
  const std::vector<history_list>& histories() const { return histories_; }

private:
  const v1::AgentCalls& in_;
  size_t agents_;
  std::vector<text_ptr> texts_;
  std::vector<critique_list> critiques_;
  std::vector<proposal_list> proposals_;
  std::vector<ballot_list> ballots_;
  std::vector<history_list> histories_;
};

}  // namespace

void add_calls(std::span<const call_request> calls, v1::AgentCalls& out) {
  table_writer tables{out};
  out.mutable_calls()->Reserve(static_cast<int>(calls.size()));
  for (const auto& r : calls) {
    auto* c = out.add_calls();
    *c->mutable_key() = to_proto(r.key);
    if (r.target_text) c->set_target_text(tables.text(r.target_text));
    if (r.critiques) c->set_critiques(tables.critiques(r.critiques));
    if (r.proposals) c->set_proposals(tables.proposals(r.proposals));
    if (r.ballots) c->set_ballots(tables.ballots(r.ballots));
    if (r.history) c->set_history(tables.history(r.history));
  }
}

decoded<std::vector<call_request>> calls_from_proto(const v1::AgentCalls& in, size_t agent_count) {
  agent_count = std::min(agent_count, any_index);
  table_reader tables{in, agent_count};
  if (auto e = tables.read()) return *e;
  std::vector<call_request> calls;
  calls.reserve(static_cast<size_t>(in.calls_size()));
  for (const auto& c : in.calls()) {
    auto key = from_proto(c.key());
    if (!key) return std::move(key).error();
    call_request r;
    r.key = *key;
    if (auto e = check_index("agent", r.key.agent, agent_count)) return *e;
    // A critique's target is an agent; a judge call's is its attempt number.
    if (r.key.ph == phase::critique) {
      if (r.key.target == no_agent)
        return refuse(decode_errc::index_out_of_range, "a critique call names no target");
      if (auto e = check_index("critique target", r.key.target, agent_count)) return *e;
    }
    if (c.has_target_text())
      if (auto e = tables.text(c.target_text(), r.target_text)) return *e;
    if (c.has_critiques())
      if (auto e = tables.pick("critique list", tables.critiques(), c.critiques(), r.critiques))
        return *e;
    if (c.has_proposals())
      if (auto e = tables.pick("proposal list", tables.proposals(), c.proposals(), r.proposals))
        return *e;
    if (c.has_ballots())
      if (auto e = tables.pick("ballot list", tables.ballots(), c.ballots(), r.ballots)) return *e;
    if (c.has_history())
      if (auto e = tables.pick("history list", tables.histories(), c.history(), r.history)) return *e;
    calls.push_back(std::move(r));
  }
  return calls;
}

// -- outcomes ------------------------------------------------------------------------------------

v1::AgentOutcome to_proto(const call_outcome& o) {
  v1::AgentOutcome p;
  *p.mutable_key() = to_proto(o.key);
  if (o.error) {
    p.set_error(std::string{to_string(*o.error)});
    p.set_error_message(o.error_message);
  }
  if (o.text) p.set_text(*o.text);
  p.set_severity(o.severity);
  p.set_issues(o.issues);
  if (o.choice != no_agent) p.set_choice(o.choice);
  p.set_confidence(o.confidence);
  p.set_tokens_in(o.tokens_in);
  p.set_tokens_out(o.tokens_out);
  p.set_cost_usd(o.cost_usd);
  p.set_context_ratio(o.context_ratio);
  return p;
}

decoded<call_outcome> from_proto(const v1::AgentOutcome& p) {
  auto key = from_proto(p.key());
  if (!key) return std::move(key).error();
  call_outcome o;
  o.key = *key;
  if (!p.error().empty()) {
    auto code = parse_call_errc(p.error());
    if (!code)
      return refuse(decode_errc::unknown_error_code, "call error code \"" + p.error() + "\"");
    o.error = *code;
    o.error_message = p.error_message();
  }
  if (p.has_text()) o.text = make_text(p.text());
  o.severity = p.severity();
  o.issues = p.issues();
  if (p.has_choice()) {
    if (auto e = check_index("choice", p.choice(), any_index)) return *e;
    o.choice = static_cast<uint8_t>(p.choice());
  }
  o.confidence = p.confidence();
  o.tokens_in = p.tokens_in();
  o.tokens_out = p.tokens_out();
  o.cost_usd = p.cost_usd();
  o.context_ratio = p.context_ratio();
  return o;
}

v1::AgentOutcomes to_proto(std::string_view debate_id, std::span<const call_outcome> outcomes) {
  v1::AgentOutcomes p;
  p.set_debate_id(std::string{debate_id});
  p.mutable_outcomes()->Reserve(static_cast<int>(outcomes.size()));
  for (const auto& o : outcomes) *p.add_outcomes() = to_proto(o);
  return p;
}

decoded<std::vector<call_outcome>> from_proto(const v1::AgentOutcomes& p) {
  std::vector<call_outcome> out;
  out.reserve(static_cast<size_t>(p.outcomes_size()));
  for (const auto& o : p.outcomes()) {
    auto one = from_proto(o);
    if (!one) return std::move(one).error();
    out.push_back(std::move(one).value());
  }
  return out;
}

// -- the finished debate ---------------------------------------------------------------------------

v1::SealedReceipt to_proto(const sealed_receipt& r) {
  v1::SealedReceipt p;
  p.set_id(r.id);
  p.set_sha256(r.sha256);
  if (r.signature) {
    auto* s = p.mutable_signature();
    s->set_algorithm("HMAC-SHA256");
    s->set_key_id(r.signature->key_id);
    s->set_value(r.signature->value);
  }
  return p;
}

sealed_receipt from_proto(const v1::SealedReceipt& p) {
  sealed_receipt r;
  r.id = p.id();
  r.sha256 = p.sha256();
  if (p.has_signature()) r.signature = receipt_signature{p.signature().key_id(), p.signature().value()};
  return r;
}

v1::DebateReport to_proto(const debate_finished& f) {
  v1::DebateReport p;
  p.set_debate_id(f.id);
  const auto& s = f.summary;
  p.set_status(static_cast<v1::Status::Value>(s.status));
  p.set_reached(s.reached);
  p.set_agent_calls(s.agent_calls);
  p.set_failed_calls(s.failed_calls);
  *p.mutable_started_at() = to_timestamp(s.started_at);
  *p.mutable_finished_at() = to_timestamp(s.finished_at);
  if (s.first_message_at) *p.mutable_first_message_at() = to_timestamp(*s.first_message_at);
  p.set_calls_sent(s.calls_sent);
  *p.mutable_receipt() = to_proto(f.receipt);
  if (f.machine) fill_result(*f.machine, &f.receipt, *p.mutable_result());
  p.set_error(f.error);
  return p;
}

decoded<debate_finished> from_proto(const v1::DebateReport& p) {
  auto st = static_cast<int>(p.status());
  if (st < static_cast<int>(debate_status::running) ||
      st > static_cast<int>(debate_status::budget_exceeded))
    return refuse(decode_errc::bad_status, "debate status " + std::to_string(st));
  debate_finished f;
  f.id = p.debate_id();
  auto& s = f.summary;
  s.status = static_cast<debate_status>(st);
  s.reached = p.reached();
  s.agent_calls = p.agent_calls();
  s.failed_calls = p.failed_calls();
  s.started_at = from_timestamp(p.started_at());
  s.finished_at = from_timestamp(p.finished_at());
  if (p.has_first_message_at()) s.first_message_at = from_timestamp(p.first_message_at());
  s.calls_sent = p.calls_sent();
  f.receipt = from_proto(p.receipt());
  f.error = p.error();
  return f;
}

}  // namespace aragora::debate
