#include "actors/debate/codec.hpp"

#include <google/protobuf/util/json_util.h>

#include "actors/debate/canonical.hpp"
#include "runtime/base/crypto/sha256.hpp"

namespace aragora::debate {

google::protobuf::Timestamp to_timestamp(time_point t) {
  google::protobuf::Timestamp ts;
  auto us = to_micros(t);
  auto secs = us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000;
  ts.set_seconds(secs);
  ts.set_nanos(static_cast<int32_t>((us - secs * 1'000'000) * 1000));
  return ts;
}

time_point from_timestamp(const google::protobuf::Timestamp& t) {
  return from_micros(timestamp_micros(t));
}

int64_t timestamp_micros(const google::protobuf::Timestamp& t) {
  auto us = static_cast<uint64_t>(t.seconds()) * 1'000'000u +
            static_cast<uint64_t>(static_cast<int64_t>(t.nanos() / 1000));
  return static_cast<int64_t>(us);
}

v1::DebateSpec to_proto(const debate_spec& spec) {
  v1::DebateSpec p;
  p.set_id(spec.id);
  p.set_question(spec.question);
  for (const auto& a : spec.agents) {
    auto* x = p.add_agents();
    x->set_name(a.name);
    x->set_provider(a.provider);
    x->set_option(a.option);
  }
  p.set_protocol(static_cast<v1::Protocol::Value>(spec.protocol));
  p.set_consensus(static_cast<v1::ConsensusMethod::Value>(spec.consensus));
  p.set_rounds(spec.rounds);
  p.set_early_stop(spec.early_stop);
  p.set_consensus_threshold(spec.consensus_threshold);
  p.set_seed(spec.seed);
  p.set_agent_timeout_ms(static_cast<uint32_t>(spec.agent_timeout.count()));
  p.set_context(spec.context);
  p.set_similarity(static_cast<v1::Similarity::Value>(spec.similarity));
  p.set_convergence_threshold(spec.convergence_threshold);
  p.set_max_judges(spec.max_judges);
  p.set_domain(spec.domain);
  p.set_requested_by(spec.requested_by);
  p.set_budget_usd(spec.budget_usd);
  return p;
}

debate_spec from_proto(const v1::DebateSpec& p) {
  debate_spec spec;
  spec.id = p.id();
  spec.question = p.question();
  for (const auto& a : p.agents()) spec.agents.push_back({a.name(), a.provider(), a.option()});
  if (p.protocol() != v1::Protocol::protocol_unspecified)
    spec.protocol = static_cast<protocol_kind>(p.protocol());
  if (p.consensus() != v1::ConsensusMethod::consensus_unspecified)
    spec.consensus = static_cast<consensus_method>(p.consensus());
  spec.rounds = p.rounds();
  spec.early_stop = p.early_stop();
  spec.consensus_threshold = p.consensus_threshold();
  spec.seed = p.seed();
  // `mock` (field 10) of records written before issue 8 is ignored: the mock's options are the
  // node's configuration now, so a resumed debate runs with the resuming node's.
  spec.agent_timeout = std::chrono::milliseconds{p.agent_timeout_ms()};
  spec.context = p.context();
  if (p.similarity() != v1::Similarity::similarity_unspecified)
    spec.similarity = static_cast<similarity_method>(p.similarity());
  spec.convergence_threshold = p.convergence_threshold();
  spec.max_judges = p.max_judges();
  if (!p.domain().empty()) spec.domain = p.domain();
  spec.requested_by = p.requested_by();
  spec.budget_usd = p.budget_usd();
  return spec;
}

v1::RuleOptions to_proto(const machine_options& o) {
  v1::RuleOptions r;
  r.set_supermajority(o.supermajority);
  r.set_min_participation(o.min_participation);
  r.set_participation_ratio(o.participation_ratio);
  r.set_divergence_threshold(o.divergence_threshold);
  r.set_approve_confidence(o.approve_confidence);
  r.set_review_confidence(o.review_confidence);
  r.set_min_rounds(o.min_rounds);
  return r;
}

machine_options from_proto(const v1::RuleOptions& r) {
  machine_options o;
  o.supermajority = r.supermajority();
  o.min_participation = r.min_participation();
  o.participation_ratio = r.participation_ratio();
  o.divergence_threshold = r.divergence_threshold();
  o.approve_confidence = r.approve_confidence();
  o.review_confidence = r.review_confidence();
  o.min_rounds = r.min_rounds();
  return o;
}

std::string join_issues(const google::protobuf::RepeatedPtrField<std::string>& issues) {
  std::string out;
  for (const auto& issue : issues) {
    if (!out.empty()) out += '\n';
    out += issue;
  }
  return out;
}

message_fields fields_of(const v1::Message& m, std::string_view issues) {
  return {m.round(),   static_cast<phase>(m.phase()), m.agent(),
          m.target(),  timestamp_micros(m.timestamp()),
          m.text(),    m.critique().severity(),
          issues,      m.vote().confidence()};
}

namespace {

void fill_message(const debate_machine& m, const transcript_entry& e, v1::Message& out) {
  out.set_round(e.key.round);
  out.set_phase(static_cast<v1::Phase::Value>(e.key.ph));
  out.set_agent(m.agent_name(e.key.agent));
  if (e.text) out.set_text(*e.text);  // released texts live in the store
  *out.mutable_timestamp() = to_timestamp(e.at);
  out.set_sha256(crypto::to_hex(e.sha256));
  out.set_tokens(e.tokens);
  out.set_tokens_in(e.tokens_in);
  out.set_cost_usd(e.cost_usd);
  out.set_context_ratio(e.context_ratio);
  switch (e.key.ph) {
    case phase::critique: {
      out.set_target(std::string{m.name_or_empty(e.key.target)});
      auto* c = out.mutable_critique();
      c->set_severity(e.severity);
      for_each_issue(e.issues, [&](std::string_view issue) { c->add_issues(std::string{issue}); });
      break;
    }
    case phase::vote:
    case phase::judge: {
      out.set_target(std::string{m.name_or_empty(e.choice)});
      auto* v = out.mutable_vote();
      v->set_agent(m.agent_name(e.key.agent));
      v->set_choice(std::string{m.name_or_empty(e.choice)});
      v->set_confidence(e.confidence);
      break;
    }
    default:
      break;
  }
}

void fill_convergence(const debate_machine& m, const convergence_report& r, v1::Convergence& out) {
  out.set_status(static_cast<v1::ConvergenceStatus::Value>(r.status));
  out.set_min_similarity(canonical_double(r.min_similarity));
  out.set_avg_similarity(canonical_double(r.avg_similarity));
  out.set_round(r.round);
  for (const auto& a : r.per_agent)
    (*out.mutable_per_agent())[m.agent_name(a.agent)] = canonical_double(a.value);
}

}  // namespace

// Every field written here is in the result digest: machine_views in receipt.cpp reads the same
// machine state the same way (a test compares the two).
void fill_result(const debate_machine& m, const sealed_receipt* receipt, v1::DebateResult& out) {
  const auto& spec = m.spec();
  out.set_id(spec.id);
  out.set_question(spec.question);
  out.set_protocol(static_cast<v1::Protocol::Value>(spec.protocol));
  out.set_consensus(static_cast<v1::ConsensusMethod::Value>(spec.consensus));
  out.set_seed(spec.seed);
  out.set_rounds_used(m.rounds_used());
  out.set_agent_calls(m.agent_calls());
  out.set_failed_calls(m.failed_calls());
  *out.mutable_created_at() = to_timestamp(m.started_at());
  if (m.finished()) {
    const auto& f = m.outcome();
    out.set_status(static_cast<v1::Status::Value>(f.status));
    out.set_verdict(static_cast<v1::Verdict::Value>(f.decision));
    out.set_confidence(f.confidence);
    out.set_consensus_reached(f.reached);
    out.set_winner(std::string{m.name_or_empty(f.winner)});
    out.set_judge(std::string{m.name_or_empty(f.judge)});
    if (f.final_answer) out.set_final_answer(*f.final_answer);
    out.set_method_used(f.method_used);
    out.set_error(f.error);
    *out.mutable_completed_at() = to_timestamp(f.at);
    out.set_duration_ms(duration_ms(m.started_at(), f.at));
    for (const auto& b : f.ballots) {
      auto* v = out.add_votes();
      v->set_agent(m.agent_name(b.voter));
      v->set_choice(m.agent_name(b.choice));
      v->set_confidence(b.confidence);
      if (f.winner != no_agent && b.choice != f.winner) {
        auto* d = out.add_dissenting_views();
        d->set_agent(m.agent_name(b.voter));
        d->set_choice(m.agent_name(b.choice));
        if (const auto* vote = m.final_vote(b.voter); vote && vote->text)
          d->set_reasoning(*vote->text);
      }
    }
  } else {
    out.set_status(v1::Status::running);
  }
  uint32_t tokens_in = 0, tokens_out = 0;
  double cost = 0;
  for (size_t i = 0; i < spec.agents.size(); ++i) {
    const auto& a = spec.agents[i];
    const auto& s = m.stats()[i];
    auto* r = out.add_agents();
    r->set_name(a.name);
    r->set_provider(a.provider);
    r->set_option(a.option);
    r->set_calls(s.calls);
    r->set_failures(s.failures);
    r->set_contributing(s.contributed);
    r->set_tokens_in(s.tokens_in);
    r->set_tokens_out(s.tokens_out);
    r->set_cost_usd(canonical_double(s.cost_usd));
    out.add_agents_requested(a.name);
    if (s.failures > 0) out.add_agents_failed(a.name);
    if (s.contributed) out.add_agents_contributing(a.name);
    tokens_in += s.tokens_in;
    tokens_out += s.tokens_out;
    cost += s.cost_usd;
  }
  out.set_tokens_in(tokens_in);
  out.set_tokens_out(tokens_out);
  out.set_cost_usd(canonical_double(cost));
  out.set_compressed_calls(m.compressed_calls());
  out.set_compression_ratio(canonical_double(m.compression_ratio()));
  if (!m.convergence().empty()) {
    fill_convergence(m, m.convergence().back().report, *out.mutable_convergence());
  } else {
    out.mutable_convergence()->set_status(v1::ConvergenceStatus::not_checked);
  }
  for (auto idx : m.canonical_order()) fill_message(m, m.transcript()[idx], *out.add_messages());
  if (receipt) {
    out.mutable_receipt()->set_id(receipt->id);
    out.mutable_receipt()->set_sha256(receipt->sha256);
  }
}

void fill_event(const debate_machine& m, const event_ref& e, v1::Event& out) {
  const auto& spec = m.spec();
  out.set_debate_id(spec.id);
  out.set_seq(e.seq);
  out.set_type(static_cast<v1::EventType::Value>(e.type));
  out.set_round(e.round);
  switch (e.type) {
    case event_type::debate_start: {
      *out.mutable_timestamp() = to_timestamp(m.started_at());
      auto* s = out.mutable_start();
      s->set_question(spec.question);
      for (const auto& a : spec.agents) {
        auto* x = s->add_agents();
        x->set_name(a.name);
        x->set_provider(a.provider);
        x->set_option(a.option);
      }
      s->set_protocol(static_cast<v1::Protocol::Value>(spec.protocol));
      s->set_consensus(static_cast<v1::ConsensusMethod::Value>(spec.consensus));
      s->set_rounds(spec.rounds);
      break;
    }
    case event_type::round_start:
      break;
    case event_type::agent_message:
    case event_type::critique:
    case event_type::vote: {
      const auto& t = m.transcript()[e.index];
      out.set_agent(m.agent_name(t.key.agent));
      *out.mutable_timestamp() = to_timestamp(t.at);
      fill_message(m, t, *out.mutable_message());
      break;
    }
    case event_type::agent_error: {
      const auto& err = m.errors()[e.index];
      out.set_agent(m.agent_name(err.key.agent));
      *out.mutable_timestamp() = to_timestamp(err.at);
      auto* x = out.mutable_error();
      x->set_code(std::string{to_string(err.code)});
      x->set_message(err.message);
      x->set_recoverable(err.code != call_errc::cancelled);
      x->set_phase(static_cast<v1::Phase::Value>(err.key.ph));
      if (err.key.ph == phase::critique)
        x->set_target(std::string{m.name_or_empty(err.key.target)});
      if (err.key.ph == phase::judge) x->set_attempt(err.key.target);
      x->set_tokens_in(err.tokens_in);
      x->set_tokens_out(err.tokens_out);
      x->set_cost_usd(err.cost_usd);
      break;
    }
    case event_type::consensus: {
      const auto& c = m.checks()[e.index];
      *out.mutable_timestamp() = to_timestamp(c.at);
      auto* x = out.mutable_consensus();
      x->set_reached(c.decision.reached);
      x->set_confidence(canonical_double(c.decision.confidence));
      if (c.decision.reached) x->set_winner(std::string{m.name_or_empty(c.decision.leader)});
      x->set_method(c.method);
      x->set_votes(c.decision.votes);
      x->set_quorum(c.decision.quorum);
      x->set_status(!c.decision.quorum_met ? v1::Status::insufficient_participation
                    : c.decision.reached   ? v1::Status::consensus_reached
                                           : v1::Status::no_consensus);
      break;
    }
    case event_type::convergence: {
      const auto& c = m.convergence()[e.index];
      *out.mutable_timestamp() = to_timestamp(c.at);
      fill_convergence(m, c.report, *out.mutable_convergence());
      break;
    }
    case event_type::debate_end: {
      const auto& f = m.outcome();
      *out.mutable_timestamp() = to_timestamp(f.at);
      auto* x = out.mutable_end();
      x->set_status(static_cast<v1::Status::Value>(f.status));
      x->set_verdict(static_cast<v1::Verdict::Value>(f.decision));
      x->set_confidence(f.confidence);
      x->set_rounds_used(m.rounds_used());
      x->set_duration_ms(duration_ms(m.started_at(), f.at));
      x->set_winner(std::string{m.name_or_empty(f.winner)});
      x->set_error(f.error);
      break;
    }
    case event_type::token_delta:
    case event_type::heartbeat:
      break;
  }
}

std::string to_json(const google::protobuf::Message& msg, bool pretty) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  opts.always_print_primitive_fields = true;
  opts.add_whitespace = pretty;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(msg, &out, opts);
  if (!status.ok()) return "{}";
  return out;
}

bool from_json(const std::string& json, google::protobuf::Message& out, std::string& error) {
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(json, &out, opts);
  if (!status.ok()) {
    error = std::string{status.message()};
    return false;
  }
  return true;
}

}  // namespace aragora::debate
