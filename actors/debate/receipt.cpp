#include "actors/debate/receipt.hpp"

#include <cstdlib>

#include "actors/debate/canonical.hpp"
#include "actors/debate/codec.hpp"
#include "runtime/crypto/sha256.hpp"

namespace aragora::debate {

std::string_view to_string(verify_errc x) {
  switch (x) {
    case verify_errc::digest_mismatch: return "digest_mismatch";
    case verify_errc::signature_mismatch: return "signature_mismatch";
    case verify_errc::missing_key: return "missing_key";
    case verify_errc::unsupported_algorithm: return "unsupported_algorithm";
    case verify_errc::missing_signature: return "missing_signature";
    case verify_errc::transcript_mismatch: return "transcript_mismatch";
  }
  return "unknown";
}

void write_canonical(const receipt_view& r, canonical_writer& w) {
  w.field("receipt", "v1");
  w.field("algorithm", r.algorithm);
  w.field("receipt_id", r.receipt_id);
  w.field("debate_id", r.debate_id);
  w.field("question", r.question);
  w.field("protocol", r.protocol);
  w.field("consensus", r.consensus);
  w.field("status", r.status);
  w.field("verdict", r.verdict);
  w.field("confidence", r.confidence);
  w.field("consensus_reached", r.consensus_reached);
  w.field("winner", r.winner);
  w.field("final_answer_sha256", r.final_answer_sha256);
  w.field("rounds_used", uint64_t{r.rounds_used});
  w.field("agent_calls", uint64_t{r.agent_calls});
  w.field("agents", uint64_t{r.agents.size()});
  for (const auto& a : r.agents) {
    w.field("agent.name", a.name);
    w.field("agent.provider", a.provider);
    w.field("agent.calls", uint64_t{a.calls});
    w.field("agent.failures", uint64_t{a.failures});
    w.field("agent.contributing", a.contributing);
  }
  w.field("votes", uint64_t{r.votes.size()});
  for (const auto& v : r.votes) {
    w.field("vote.agent", v.agent);
    w.field("vote.choice", v.choice);
    w.field("vote.confidence", v.confidence);
  }
  w.field("messages", uint64_t{r.messages.size()});
  for (const auto& m : r.messages) {
    w.field("message.round", uint64_t{m.round});
    w.field("message.phase", m.phase);
    w.field("message.agent", m.agent);
    w.field("message.target", m.target);
    w.field("message.sha256", m.sha256_hex);
  }
  w.field("created_at_us", r.created_at_us);
  w.field("completed_at_us", r.completed_at_us);
}

namespace {

uint64_t micros(const google::protobuf::Timestamp& t) {
  return static_cast<uint64_t>(to_micros(from_timestamp(t)));
}

std::string key_id(const std::string& key) {
  return crypto::to_hex(crypto::sha256(key)).substr(0, 16);
}

receipt_view view_of(const v1::Receipt& r) {
  receipt_view v;
  v.algorithm = r.algorithm();
  v.receipt_id = r.receipt_id();
  v.debate_id = r.debate_id();
  v.question = r.question();
  v.protocol = v1::Protocol::Value_Name(r.protocol());
  v.consensus = v1::ConsensusMethod::Value_Name(r.consensus());
  v.status = v1::Status::Value_Name(r.status());
  v.verdict = v1::Verdict::Value_Name(r.verdict());
  v.confidence = r.confidence();
  v.consensus_reached = r.consensus_reached();
  v.winner = r.winner();
  v.final_answer_sha256 = r.final_answer_sha256();
  v.rounds_used = r.rounds_used();
  v.agent_calls = r.agent_calls();
  for (const auto& a : r.agents())
    v.agents.push_back({a.name(), a.provider(), a.calls(), a.failures(), a.contributing()});
  for (const auto& x : r.votes()) v.votes.push_back({x.agent(), x.choice(), x.confidence()});
  for (const auto& m : r.messages())
    v.messages.push_back(
        {m.round(), v1::Phase::Value_Name(m.phase()), m.agent(), m.target(), m.sha256()});
  v.created_at_us = micros(r.created_at());
  v.completed_at_us = micros(r.completed_at());
  return v;
}

/// A receipt view of a finished machine, with the strings it points to.
struct machine_receipt {
  std::string id;
  std::string answer_sha256;
  std::vector<std::array<char, 64>> message_hex;
  std::vector<uint32_t> order;  // transcript indices of view.messages
  receipt_view view;

  explicit machine_receipt(const debate_machine& m) : order(m.canonical_order()) {
    const auto& spec = m.spec();
    const auto& f = m.outcome();
    auto name = [&](uint8_t i) { return m.name_or_empty(i); };
    id = "DR-" + spec.id;
    if (f.final_answer) answer_sha256 = crypto::to_hex(crypto::sha256(*f.final_answer));
    auto& v = view;
    v.algorithm = receipt_algorithm;
    v.receipt_id = id;
    v.debate_id = spec.id;
    v.question = spec.question;
    v.protocol = to_string(spec.protocol);
    v.consensus = to_string(spec.consensus);
    v.status = to_string(f.status);
    v.verdict = to_string(f.decision);
    v.confidence = canonical_double(f.confidence);
    v.consensus_reached = f.reached;
    v.winner = name(f.winner);
    v.final_answer_sha256 = answer_sha256;
    v.rounds_used = m.rounds_used();
    v.agent_calls = m.agent_calls();
    v.agents.reserve(spec.agents.size());
    for (size_t i = 0; i < spec.agents.size(); ++i) {
      const auto& s = m.stats()[i];
      v.agents.push_back(
          {spec.agents[i].name, spec.agents[i].provider, s.calls, s.failures, s.contributed});
    }
    for (const auto& b : f.ballots)
      v.votes.push_back({name(b.voter), name(b.choice), canonical_double(b.confidence)});
    message_hex.reserve(order.size());
    v.messages.reserve(order.size());
    for (auto idx : order) {
      const auto& e = m.transcript()[idx];
      auto& hex = message_hex.emplace_back();
      crypto::to_hex(e.sha256.data(), e.sha256.size(), hex.data());
      v.messages.push_back({e.key.round, to_string(e.key.ph), name(e.key.agent),
                            name(message_target(e)), std::string_view{hex.data(), hex.size()}});
    }
    v.created_at_us = static_cast<uint64_t>(to_micros(m.started_at()));
    v.completed_at_us = static_cast<uint64_t>(to_micros(f.at));
  }
};

sealed_receipt seal(const receipt_view& view, std::string id,
                    const std::optional<std::string>& signing_key) {
  sealed_receipt out;
  out.id = std::move(id);
  if (!signing_key) {
    crypto::sha256_hasher h;
    canonical_writer w{h};
    write_canonical(view, w);
    w.flush();
    out.sha256 = crypto::to_hex(h.finish());
    return out;
  }
  canonical_writer w;
  write_canonical(view, w);
  out.sha256 = crypto::to_hex(crypto::sha256(w.bytes()));
  out.signature = receipt_signature{key_id(*signing_key),
                                    crypto::to_hex(crypto::hmac_sha256(*signing_key, w.bytes()))};
  return out;
}

}  // namespace

std::string canonical_receipt(const v1::Receipt& r) {
  canonical_writer w;
  write_canonical(view_of(r), w);
  return w.bytes();
}

sealed_receipt seal_receipt(const debate_machine& m,
                            const std::optional<std::string>& signing_key) {
  machine_receipt mr{m};
  return seal(mr.view, mr.id, signing_key);
}

v1::Receipt make_receipt(const debate_machine& m, const std::optional<std::string>& signing_key) {
  machine_receipt mr{m};
  auto sealed = seal(mr.view, mr.id, signing_key);
  const auto& v = mr.view;
  const auto& spec = m.spec();
  const auto& f = m.outcome();
  v1::Receipt r;
  r.set_algorithm(std::string{v.algorithm});
  r.set_receipt_id(mr.id);
  r.set_debate_id(spec.id);
  r.set_question(spec.question);
  r.set_protocol(static_cast<v1::Protocol::Value>(spec.protocol));
  r.set_consensus(static_cast<v1::ConsensusMethod::Value>(spec.consensus));
  r.set_status(static_cast<v1::Status::Value>(f.status));
  r.set_verdict(static_cast<v1::Verdict::Value>(f.decision));
  r.set_confidence(v.confidence);
  r.set_consensus_reached(v.consensus_reached);
  r.set_winner(std::string{v.winner});
  r.set_final_answer_sha256(mr.answer_sha256);
  r.set_rounds_used(v.rounds_used);
  r.set_agent_calls(v.agent_calls);
  for (const auto& a : v.agents) {
    auto* x = r.add_agents();
    x->set_name(std::string{a.name});
    x->set_provider(std::string{a.provider});
    x->set_calls(a.calls);
    x->set_failures(a.failures);
    x->set_contributing(a.contributing);
  }
  for (const auto& b : v.votes) {
    auto* x = r.add_votes();
    x->set_agent(std::string{b.agent});
    x->set_choice(std::string{b.choice});
    x->set_confidence(b.confidence);
  }
  for (size_t i = 0; i < v.messages.size(); ++i) {
    const auto& mv = v.messages[i];
    auto* d = r.add_messages();
    d->set_round(mv.round);
    d->set_phase(static_cast<v1::Phase::Value>(m.transcript()[mr.order[i]].key.ph));
    d->set_agent(std::string{mv.agent});
    d->set_target(std::string{mv.target});
    d->set_sha256(std::string{mv.sha256_hex});
  }
  *r.mutable_created_at() = to_timestamp(m.started_at());
  *r.mutable_completed_at() = to_timestamp(f.at);
  r.set_sha256(sealed.sha256);
  if (sealed.signature) {
    auto* s = r.mutable_signature();
    s->set_algorithm(signature_algorithm);
    s->set_key_id(sealed.signature->key_id);
    s->set_value(sealed.signature->value);
  }
  return r;
}

verify_result verify_receipt(const v1::Receipt& r, const std::optional<std::string>& signing_key) {
  verify_result out;
  if (r.algorithm() != receipt_algorithm) {
    out.error = verify_errc::unsupported_algorithm;
    out.detail = "unsupported receipt algorithm '" + r.algorithm() + "'";
    return out;
  }
  auto canonical = canonical_receipt(r);
  auto digest = crypto::to_hex(crypto::sha256(canonical));
  if (!crypto::constant_time_equal(digest, r.sha256())) {
    out.error = verify_errc::digest_mismatch;
    out.detail = "content digest mismatch: the receipt says " + r.sha256() +
                 ", its content hashes to " + digest;
    return out;
  }
  if (!r.has_signature()) {
    // Where receipts are signed, an unsigned one may be a signed one with its signature cut off.
    if (signing_key) {
      out.error = verify_errc::missing_signature;
      out.detail = std::string{"the receipt is unsigned but "} + signing_key_env +
                   " is set: signed receipts are expected";
      return out;
    }
    out.detail = "digest ok (unsigned receipt)";
    return out;
  }
  if (r.signature().algorithm() != signature_algorithm) {
    out.error = verify_errc::unsupported_algorithm;
    out.detail = "unsupported signature algorithm '" + r.signature().algorithm() + "'";
    return out;
  }
  if (!signing_key) {
    out.error = verify_errc::missing_key;
    out.detail = std::string{"the receipt is signed; set "} + signing_key_env +
                 " to the signing key to verify it";
    return out;
  }
  auto expected = crypto::to_hex(crypto::hmac_sha256(*signing_key, canonical));
  out.signature_checked = true;
  if (!crypto::constant_time_equal(expected, r.signature().value())) {
    out.error = verify_errc::signature_mismatch;
    out.detail = "signature mismatch (key id " + key_id(*signing_key) + ", receipt signed with " +
                 r.signature().key_id() + ")";
    return out;
  }
  out.detail = "digest and signature ok";
  return out;
}

namespace {

std::string message_digest_hex(const v1::Message& m) {
  auto issues = join_issues(m.critique().issues());
  return crypto::to_hex(message_digest(fields_of(m, issues)));
}

/// Why the transcript of a result is not exactly the messages the receipt lists, or empty.
std::string transcript_problem(const v1::Receipt& receipt, const v1::DebateResult& result) {
  if (result.id() != receipt.debate_id())
    return "the result is debate " + result.id() + ", the receipt covers " + receipt.debate_id();
  if (result.messages_size() != receipt.messages_size())
    return "the result has " + std::to_string(result.messages_size()) +
           " messages, the receipt lists " + std::to_string(receipt.messages_size());
  for (int i = 0; i < result.messages_size(); ++i) {
    auto digest = message_digest_hex(result.messages(i));
    if (digest != receipt.messages(i).sha256())
      return "message " + std::to_string(i + 1) + " (" + result.messages(i).agent() + ", " +
             v1::Phase::Value_Name(result.messages(i).phase()) + ", round " +
             std::to_string(result.messages(i).round()) + ") does not match its receipt digest";
  }
  auto answer = result.final_answer().empty()
                    ? std::string{}
                    : crypto::to_hex(crypto::sha256(result.final_answer()));
  if (answer != receipt.final_answer_sha256()) return "the final answer does not match the receipt";
  return {};
}

}  // namespace

verify_result check_result(const v1::Receipt& r, const v1::DebateResult& result) {
  verify_result out;
  if (auto problem = transcript_problem(r, result); !problem.empty()) {
    out.error = verify_errc::transcript_mismatch;
    out.detail = std::move(problem);
    return out;
  }
  out.detail = "transcript of " + std::to_string(result.messages_size()) + " messages matches";
  return out;
}

signing_key_result signing_key_from_env() {
  signing_key_result out;
  const char* hex = std::getenv(signing_key_env);
  if (!hex || !*hex) return out;
  auto key = crypto::from_hex(hex);
  if (!key || key->size() < 16) {
    out.error = std::string{signing_key_env} + " must be at least 32 hex digits";
    return out;
  }
  out.key = std::move(key);
  return out;
}

}  // namespace aragora::debate
