#include "actors/debate/receipt.hpp"

#include <cstdlib>

#include "actors/debate/canonical.hpp"
#include "runtime/crypto/sha256.hpp"

namespace aragora::debate {

std::string_view to_string(verify_errc x) {
  switch (x) {
    case verify_errc::digest_mismatch: return "digest_mismatch";
    case verify_errc::signature_mismatch: return "signature_mismatch";
    case verify_errc::missing_key: return "missing_key";
    case verify_errc::unsupported_algorithm: return "unsupported_algorithm";
  }
  return "unknown";
}

namespace {

uint64_t micros(const google::protobuf::Timestamp& t) {
  return static_cast<uint64_t>(to_micros(from_timestamp(t)));
}

std::string key_id(const std::string& key) {
  return crypto::to_hex(crypto::sha256(key)).substr(0, 16);
}

}  // namespace

std::string canonical_receipt(const v1::Receipt& r) {
  canonical_writer w;
  w.field("receipt", "v1");
  w.field("algorithm", std::string_view{r.algorithm()});
  w.field("receipt_id", std::string_view{r.receipt_id()});
  w.field("debate_id", std::string_view{r.debate_id()});
  w.field("question", std::string_view{r.question()});
  w.field("protocol", v1::Protocol::Value_Name(r.protocol()));
  w.field("consensus", v1::ConsensusMethod::Value_Name(r.consensus()));
  w.field("status", v1::Status::Value_Name(r.status()));
  w.field("verdict", v1::Verdict::Value_Name(r.verdict()));
  w.field("confidence", r.confidence());
  w.field("consensus_reached", r.consensus_reached());
  w.field("winner", std::string_view{r.winner()});
  w.field("final_answer_sha256", std::string_view{r.final_answer_sha256()});
  w.field("rounds_used", uint64_t{r.rounds_used()});
  w.field("agent_calls", uint64_t{r.agent_calls()});
  w.field("agents", uint64_t(r.agents_size()));
  for (const auto& a : r.agents()) {
    w.field("agent.name", std::string_view{a.name()});
    w.field("agent.provider", std::string_view{a.provider()});
    w.field("agent.calls", uint64_t{a.calls()});
    w.field("agent.failures", uint64_t{a.failures()});
    w.field("agent.contributing", a.contributing());
  }
  w.field("votes", uint64_t(r.votes_size()));
  for (const auto& v : r.votes()) {
    w.field("vote.agent", std::string_view{v.agent()});
    w.field("vote.choice", std::string_view{v.choice()});
    w.field("vote.confidence", v.confidence());
  }
  w.field("messages", uint64_t(r.messages_size()));
  for (const auto& m : r.messages()) {
    w.field("message.round", uint64_t{m.round()});
    w.field("message.phase", v1::Phase::Value_Name(m.phase()));
    w.field("message.agent", std::string_view{m.agent()});
    w.field("message.target", std::string_view{m.target()});
    w.field("message.sha256", std::string_view{m.sha256()});
  }
  w.field("created_at_us", micros(r.created_at()));
  w.field("completed_at_us", micros(r.completed_at()));
  return w.bytes();
}

v1::Receipt make_receipt(const debate_machine& m, const std::optional<std::string>& signing_key) {
  const auto& spec = m.spec();
  const auto& f = m.outcome();
  v1::Receipt r;
  r.set_algorithm(receipt_algorithm);
  r.set_receipt_id("DR-" + spec.id);
  r.set_debate_id(spec.id);
  r.set_question(spec.question);
  r.set_protocol(static_cast<v1::Protocol::Value>(spec.protocol));
  r.set_consensus(static_cast<v1::ConsensusMethod::Value>(spec.consensus));
  r.set_status(static_cast<v1::Status::Value>(f.status));
  r.set_verdict(static_cast<v1::Verdict::Value>(f.decision));
  r.set_confidence(canonical_double(f.confidence));
  r.set_consensus_reached(f.reached);
  if (f.winner != no_agent) r.set_winner(m.agent_name(f.winner));
  if (f.final_answer) r.set_final_answer_sha256(crypto::to_hex(crypto::sha256(*f.final_answer)));
  r.set_rounds_used(m.rounds_used());
  r.set_agent_calls(m.agent_calls());
  for (size_t i = 0; i < spec.agents.size(); ++i) {
    auto* a = r.add_agents();
    a->set_name(spec.agents[i].name);
    a->set_provider(spec.agents[i].provider);
    a->set_calls(m.stats()[i].calls);
    a->set_failures(m.stats()[i].failures);
    a->set_contributing(m.stats()[i].contributed);
  }
  for (const auto& b : f.ballots) {
    auto* v = r.add_votes();
    v->set_agent(m.agent_name(b.voter));
    v->set_choice(m.agent_name(b.choice));
    v->set_confidence(canonical_double(b.confidence));
  }
  for (auto idx : m.canonical_order()) {
    const auto& e = m.transcript()[idx];
    auto* d = r.add_messages();
    d->set_round(e.key.round);
    d->set_phase(static_cast<v1::Phase::Value>(e.key.ph));
    d->set_agent(m.agent_name(e.key.agent));
    auto target = e.key.ph == phase::critique ? e.key.target
                  : (e.key.ph == phase::vote || e.key.ph == phase::judge) ? e.choice
                                                                         : no_agent;
    if (target != no_agent) d->set_target(m.agent_name(target));
    d->set_sha256(crypto::to_hex(e.sha256));
  }
  *r.mutable_created_at() = to_timestamp(m.started_at());
  *r.mutable_completed_at() = to_timestamp(f.at);
  auto canonical = canonical_receipt(r);
  r.set_sha256(crypto::to_hex(crypto::sha256(canonical)));
  if (signing_key) {
    auto* s = r.mutable_signature();
    s->set_algorithm(signature_algorithm);
    s->set_key_id(key_id(*signing_key));
    s->set_value(crypto::to_hex(crypto::hmac_sha256(*signing_key, canonical)));
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
