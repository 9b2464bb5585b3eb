#include "actors/debate/receipt.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "actors/debate/canonical.hpp"
#include "actors/debate/codec.hpp"
#include "runtime/base/crypto/sha256.hpp"

namespace aragora::debate {

std::string_view to_string(verify_errc x) {
  switch (x) {
    case verify_errc::digest_mismatch: return "digest_mismatch";
    case verify_errc::signature_mismatch: return "signature_mismatch";
    case verify_errc::missing_key: return "missing_key";
    case verify_errc::unsupported_algorithm: return "unsupported_algorithm";
    case verify_errc::missing_signature: return "missing_signature";
    case verify_errc::transcript_mismatch: return "transcript_mismatch";
    case verify_errc::non_finite_number: return "non_finite_number";
    case verify_errc::non_canonical_value: return "non_canonical_value";
    case verify_errc::result_mismatch: return "result_mismatch";
  }
  return "unknown";
}

std::string_view to_string(signing_key_errc x) {
  switch (x) {
    case signing_key_errc::malformed: return "bad_signing_key";
  }
  return "unknown";
}

void write_canonical(const receipt_view& r, canonical_writer& w) {
  w.field("receipt", "v2");
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
  w.field("result_sha256", r.result_sha256);
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
    w.field("vote.reasoning", v.reasoning);
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
  w.field("signature.algorithm", r.signature_algorithm);
  w.field("signature.key_id", r.signature_key_id);
}

void write_canonical(const result_view& r, canonical_writer& w) {
  auto names = [&](std::string_view list, const std::vector<std::string_view>& xs) {
    w.field(list, uint64_t{xs.size()});
    for (auto x : xs) w.field("name", x);
  };
  w.field("result", "v2");
  w.field("id", r.id);
  w.field("question", r.question);
  w.field("protocol", r.protocol);
  w.field("consensus", r.consensus);
  w.field("status", r.status);
  w.field("verdict", r.verdict);
  w.field("confidence", r.confidence);
  w.field("consensus_reached", r.consensus_reached);
  w.field("winner", r.winner);
  w.field("final_answer_sha256", r.final_answer_sha256);
  w.field("method_used", r.method_used);
  w.field("judge", r.judge);
  w.field("dissenting_views", uint64_t{r.dissenting_views.size()});
  for (const auto& d : r.dissenting_views) {
    w.field("dissent.agent", d.agent);
    w.field("dissent.choice", d.choice);
    w.field("dissent.reasoning", d.reasoning);
  }
  w.field("agents", uint64_t{r.agents.size()});
  for (const auto& a : r.agents) {
    w.field("agent.name", a.name);
    w.field("agent.provider", a.provider);
    w.field("agent.option", a.option);
    w.field("agent.calls", uint64_t{a.calls});
    w.field("agent.failures", uint64_t{a.failures});
    w.field("agent.contributing", a.contributing);
    w.field("agent.tokens_in", uint64_t{a.tokens_in});
    w.field("agent.tokens_out", uint64_t{a.tokens_out});
    w.field("agent.cost_usd", a.cost_usd);
  }
  names("agents_requested", r.agents_requested);
  names("agents_failed", r.agents_failed);
  names("agents_contributing", r.agents_contributing);
  w.field("rounds_used", uint64_t{r.rounds_used});
  w.field("agent_calls", uint64_t{r.agent_calls});
  w.field("failed_calls", uint64_t{r.failed_calls});
  w.field("tokens_in", uint64_t{r.tokens_in});
  w.field("tokens_out", uint64_t{r.tokens_out});
  w.field("cost_usd", r.cost_usd);
  w.field("duration_ms", r.duration_ms);
  w.field("convergence.status", r.convergence_status);
  w.field("convergence.min_similarity", r.min_similarity);
  w.field("convergence.avg_similarity", r.avg_similarity);
  w.field("convergence.per_agent", uint64_t{r.per_agent.size()});
  for (const auto& s : r.per_agent) {
    w.field("similarity.agent", s.agent);
    w.field("similarity.value", s.similarity);
  }
  w.field("convergence.round", uint64_t{r.convergence_round});
  // Added with context compression: absent from (so not changing) the digests of results
  // without it. A ratio without calls is encoded too, so no edit of either goes unseen.
  if (r.compressed_calls != 0 || r.compression_ratio != 0) {
    w.field("compressed_calls", uint64_t{r.compressed_calls});
    w.field("compression_ratio", r.compression_ratio);
  }
  w.field("messages", uint64_t{r.messages.size()});
  for (const auto& m : r.messages) {
    // One field per message, "<digest>,<tokens>,<tokens_in>,<cost_usd>[,<context_ratio>]" (the
    // ratio only when not 0): a result has many
    // messages and sealing is on the hot path. Digits and hex have no commas.
    char buf[64 + 2 * 11 + 2 * max_canonical_double_chars + 5];
    std::string longer;  // a digest view is 64 hex digits; anything longer still encodes exactly
    char* start = buf;
    if (m.sha256_hex.size() > 64) {
      longer.resize(m.sha256_hex.size() + sizeof buf);
      start = longer.data();
    }
    char* p = start;
    if (!m.sha256_hex.empty()) std::memcpy(p, m.sha256_hex.data(), m.sha256_hex.size());
    p += m.sha256_hex.size();
    *p++ = ',';
    p = std::to_chars(p, p + 10, m.tokens).ptr;
    *p++ = ',';
    p = std::to_chars(p, p + 10, m.tokens_in).ptr;
    *p++ = ',';
    p = format_canonical_double(m.cost_usd, p);
    if (m.context_ratio != 0) {
      *p++ = ',';
      p = format_canonical_double(m.context_ratio, p);
    }
    w.field("message", std::string_view{start, static_cast<size_t>(p - start)});
  }
  w.field("votes", uint64_t{r.votes.size()});
  for (const auto& v : r.votes) {
    w.field("vote.agent", v.agent);
    w.field("vote.choice", v.choice);
    w.field("vote.confidence", v.confidence);
    w.field("vote.reasoning", v.reasoning);
  }
  w.field("created_at_us", r.created_at_us);
  w.field("completed_at_us", r.completed_at_us);
  w.field("seed", uint64_t{r.seed});
  w.field("error", r.error);
}

std::string answer_sha256_hex(std::string_view answer) {
  return answer.empty() ? std::string{} : crypto::to_hex(crypto::sha256(answer));
}

namespace {

using hex_digest = std::array<char, 64>;

std::string_view hex_view(const hex_digest& h) { return {h.data(), h.size()}; }

hex_digest hex_of(const digest& d) {
  hex_digest out;
  crypto::to_hex(d.data(), d.size(), out.data());
  return out;
}

std::string key_id(const std::string& key) {
  return crypto::to_hex(crypto::sha256(key)).substr(0, 16);
}

template <class View>
hex_digest digest_of(const View& v) {
  crypto::sha256_hasher h;
  {
    canonical_writer w{h};
    write_canonical(v, w);
    w.flush();
  }
  return hex_of(h.finish());
}

// -- values a canonical encoding can represent ---------------------------------------------------

struct value_problem {
  verify_errc code;
  std::string detail;
};

// google.protobuf.Timestamp's documented range: 0001-01-01 to 9999-12-31.
constexpr int64_t min_timestamp_seconds = -62'135'596'800;
constexpr int64_t max_timestamp_seconds = 253'402'300'799;

/// The first value of `msg` (depth first) that the canonical encodings cannot tell from another:
/// a non-finite or over-precise double, -0, an enum number with no name, a time that is not a
/// whole microsecond. Protobuf reflection, so fields added to the schema are checked too.
std::optional<value_problem> first_bad_value(const google::protobuf::Message& msg,
                                             const std::string& path) {
  using FD = google::protobuf::FieldDescriptor;
  const auto* d = msg.GetDescriptor();
  const auto* refl = msg.GetReflection();
  if (d->full_name() == google::protobuf::Timestamp::descriptor()->full_name()) {
    auto seconds = refl->GetInt64(msg, d->FindFieldByName("seconds"));
    auto nanos = refl->GetInt32(msg, d->FindFieldByName("nanos"));
    if (seconds < min_timestamp_seconds || seconds > max_timestamp_seconds || nanos < 0 ||
        nanos > 999'999'999 || nanos % 1000 != 0)
      return value_problem{verify_errc::non_canonical_value,
                           path + " is not a time in whole microseconds (" +
                               std::to_string(seconds) + " s, " + std::to_string(nanos) + " ns)"};
    return std::nullopt;
  }
  auto number = [&](double x, const std::string& where) -> std::optional<value_problem> {
    if (!std::isfinite(x))
      return value_problem{verify_errc::non_finite_number,
                           where + " is " + (std::isnan(x) ? "NaN" : "infinite")};
    if (!is_canonical_double(x))
      return value_problem{verify_errc::non_canonical_value,
                           where + " has more than six decimals or is -0"};
    return std::nullopt;
  };
  auto enumerator = [&](const FD* f, int v, const std::string& where)
      -> std::optional<value_problem> {
    if (f->enum_type()->FindValueByNumber(v)) return std::nullopt;
    return value_problem{verify_errc::non_canonical_value,
                         where + " is " + std::to_string(v) + ", which names no value"};
  };
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    auto name = path + f->name();
    if (f->is_repeated()) {
      int n = refl->FieldSize(msg, f);
      for (int j = 0; j < n; ++j) {
        auto where = name + "[" + std::to_string(j) + "]";
        std::optional<value_problem> p;
        switch (f->cpp_type()) {
          case FD::CPPTYPE_DOUBLE: p = number(refl->GetRepeatedDouble(msg, f, j), where); break;
          case FD::CPPTYPE_FLOAT: p = number(refl->GetRepeatedFloat(msg, f, j), where); break;
          case FD::CPPTYPE_ENUM: p = enumerator(f, refl->GetRepeatedEnumValue(msg, f, j), where); break;
          case FD::CPPTYPE_MESSAGE:
            p = first_bad_value(refl->GetRepeatedMessage(msg, f, j), where + ".");
            break;
          default: break;
        }
        if (p) return p;
      }
      continue;
    }
    std::optional<value_problem> p;
    switch (f->cpp_type()) {
      case FD::CPPTYPE_DOUBLE: p = number(refl->GetDouble(msg, f), name); break;
      case FD::CPPTYPE_FLOAT: p = number(refl->GetFloat(msg, f), name); break;
      case FD::CPPTYPE_ENUM: p = enumerator(f, refl->GetEnumValue(msg, f), name); break;
      case FD::CPPTYPE_MESSAGE:
        if (refl->HasField(msg, f)) p = first_bad_value(refl->GetMessage(msg, f), name + ".");
        break;
      default: break;
    }
    if (p) return p;
  }
  return std::nullopt;
}

verify_result refused(verify_errc code, std::string detail) {
  verify_result out;
  out.error = code;
  out.detail = std::move(detail);
  return out;
}

// -- views of the protobuf messages --------------------------------------------------------------

std::string_view phase_name(v1::Phase::Value p) { return v1::Phase::Value_Name(p); }

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
  v.result_sha256 = r.result_sha256();
  v.rounds_used = r.rounds_used();
  v.agent_calls = r.agent_calls();
  v.agents.reserve(r.agents_size());
  for (const auto& a : r.agents())
    v.agents.push_back({a.name(), a.provider(), a.calls(), a.failures(), a.contributing()});
  v.votes.reserve(r.votes_size());
  for (const auto& x : r.votes())
    v.votes.push_back({x.agent(), x.choice(), x.confidence(), x.reasoning()});
  v.messages.reserve(r.messages_size());
  for (const auto& m : r.messages())
    v.messages.push_back({m.round(), phase_name(m.phase()), m.agent(), m.target(), m.sha256()});
  v.created_at_us = timestamp_micros(r.created_at());
  v.completed_at_us = timestamp_micros(r.completed_at());
  if (r.has_signature()) {
    v.signature_algorithm = r.signature().algorithm();
    v.signature_key_id = r.signature().key_id();
  }
  return v;
}

/// The digest of a stored or transmitted message's content (not the `sha256` it carries).
hex_digest content_digest(const v1::Message& m) {
  auto issues = join_issues(m.critique().issues());
  return hex_of(message_digest(fields_of(m, issues)));
}

/// A result view of a parsed result, with the strings it points to.
struct proto_result {
  std::string answer_sha256;
  std::vector<hex_digest> message_hex;  // content digests, in transcript order
  result_view view;

  explicit proto_result(const v1::DebateResult& r) : answer_sha256(answer_sha256_hex(r.final_answer())) {
    auto& v = view;
    v.id = r.id();
    v.question = r.question();
    v.protocol = v1::Protocol::Value_Name(r.protocol());
    v.consensus = v1::ConsensusMethod::Value_Name(r.consensus());
    v.status = v1::Status::Value_Name(r.status());
    v.verdict = v1::Verdict::Value_Name(r.verdict());
    v.confidence = r.confidence();
    v.consensus_reached = r.consensus_reached();
    v.winner = r.winner();
    v.final_answer_sha256 = answer_sha256;
    v.method_used = r.method_used();
    v.judge = r.judge();
    for (const auto& d : r.dissenting_views())
      v.dissenting_views.push_back({d.agent(), d.choice(), d.reasoning()});
    for (const auto& a : r.agents())
      v.agents.push_back({a.name(), a.provider(), a.option(), a.calls(), a.failures(),
                          a.contributing(), a.tokens_in(), a.tokens_out(), a.cost_usd()});
    v.agents_requested.assign(r.agents_requested().begin(), r.agents_requested().end());
    v.agents_failed.assign(r.agents_failed().begin(), r.agents_failed().end());
    v.agents_contributing.assign(r.agents_contributing().begin(), r.agents_contributing().end());
    v.rounds_used = r.rounds_used();
    v.agent_calls = r.agent_calls();
    v.failed_calls = r.failed_calls();
    v.tokens_in = r.tokens_in();
    v.tokens_out = r.tokens_out();
    v.cost_usd = r.cost_usd();
    v.duration_ms = r.duration_ms();
    const auto& c = r.convergence();
    v.convergence_status = v1::ConvergenceStatus::Value_Name(c.status());
    v.min_similarity = c.min_similarity();
    v.avg_similarity = c.avg_similarity();
    for (const auto& [agent, value] : c.per_agent()) v.per_agent.push_back({agent, value});
    std::sort(v.per_agent.begin(), v.per_agent.end(),
              [](const similarity_view& a, const similarity_view& b) { return a.agent < b.agent; });
    v.convergence_round = c.round();
    v.compressed_calls = r.compressed_calls();
    v.compression_ratio = r.compression_ratio();
    message_hex.reserve(r.messages_size());
    v.messages.reserve(r.messages_size());
    for (const auto& m : r.messages()) {
      const auto& hex = message_hex.emplace_back(content_digest(m));
      v.messages.push_back({hex_view(hex), m.tokens(), m.tokens_in(), m.cost_usd(), m.context_ratio()});
    }
    for (const auto& x : r.votes())
      v.votes.push_back({x.agent(), x.choice(), x.confidence(), x.reasoning()});
    v.created_at_us = timestamp_micros(r.created_at());
    v.completed_at_us = timestamp_micros(r.completed_at());
    v.seed = r.seed();
    v.error = r.error();
  }
};

// -- views of a finished machine -----------------------------------------------------------------

/// The receipt and result views of a finished machine, with the strings they point to. The
/// result digest is computed here: the receipt view carries it.
struct machine_views {
  std::string id;
  std::string answer_sha256;
  std::string key_id;
  hex_digest result_hex;
  std::vector<hex_digest> message_hex;
  std::vector<uint32_t> order;  // transcript indices of the messages, in canonical order
  receipt_view receipt;
  result_view result;

  machine_views(const debate_machine& m, const std::optional<std::string>& signing_key)
      : order(m.canonical_order()) {
    const auto& spec = m.spec();
    const auto& f = m.outcome();
    auto name = [&](uint8_t i) { return m.name_or_empty(i); };
    id = "DR-" + spec.id;
    if (f.final_answer) answer_sha256 = answer_sha256_hex(*f.final_answer);
    message_hex.reserve(order.size());
    for (auto idx : order) message_hex.push_back(hex_of(m.transcript()[idx].sha256));

    // The result, as fill_result (codec.cpp) writes it.
    auto& x = result;
    x.id = spec.id;
    x.question = spec.question;
    x.protocol = to_string(spec.protocol);
    x.consensus = to_string(spec.consensus);
    x.status = to_string(f.status);
    x.verdict = to_string(f.decision);
    x.confidence = f.confidence;
    x.consensus_reached = f.reached;
    x.winner = name(f.winner);
    x.final_answer_sha256 = answer_sha256;
    x.method_used = f.method_used;
    x.judge = name(f.judge);
    x.votes.reserve(f.ballots.size());
    for (const auto& b : f.ballots) {
      x.votes.push_back({name(b.voter), name(b.choice), b.confidence, {}});
      if (f.winner != no_agent && b.choice != f.winner) {
        const auto* vote = m.final_vote(b.voter);
        x.dissenting_views.push_back(
            {name(b.voter), name(b.choice),
             vote && vote->text ? std::string_view{*vote->text} : std::string_view{}});
      }
    }
    auto n = spec.agents.size();
    x.agents.reserve(n);
    x.agents_requested.reserve(n);
    double cost = 0;
    for (size_t i = 0; i < n; ++i) {
      const auto& a = spec.agents[i];
      const auto& s = m.stats()[i];
      x.agents.push_back({a.name, a.provider, a.option, s.calls, s.failures, s.contributed,
                          s.tokens_in, s.tokens_out, canonical_double(s.cost_usd)});
      x.agents_requested.push_back(a.name);
      if (s.failures > 0) x.agents_failed.push_back(a.name);
      if (s.contributed) x.agents_contributing.push_back(a.name);
      x.tokens_in += s.tokens_in;
      x.tokens_out += s.tokens_out;
      cost += s.cost_usd;
    }
    x.rounds_used = m.rounds_used();
    x.agent_calls = m.agent_calls();
    x.failed_calls = m.failed_calls();
    x.cost_usd = canonical_double(cost);
    x.duration_ms = duration_ms(m.started_at(), f.at);
    if (m.convergence().empty()) {
      x.convergence_status = to_string(convergence_status::not_checked);
    } else {
      const auto& c = m.convergence().back().report;
      x.convergence_status = to_string(c.status);
      x.min_similarity = canonical_double(c.min_similarity);
      x.avg_similarity = canonical_double(c.avg_similarity);
      for (const auto& a : c.per_agent)
        x.per_agent.push_back({m.agent_name(a.agent), canonical_double(a.value)});
      std::sort(x.per_agent.begin(), x.per_agent.end(),
                [](const similarity_view& a, const similarity_view& b) { return a.agent < b.agent; });
      x.convergence_round = c.round;
    }
    x.messages.reserve(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
      const auto& e = m.transcript()[order[i]];
      x.messages.push_back({hex_view(message_hex[i]), e.tokens, e.tokens_in, e.cost_usd, e.context_ratio});
    }
    x.compressed_calls = m.compressed_calls();
    x.compression_ratio = canonical_double(m.compression_ratio());
    x.created_at_us = to_micros(m.started_at());
    x.completed_at_us = to_micros(f.at);
    x.seed = spec.seed;
    x.error = f.error;
    result_hex = digest_of(result);

    auto& v = receipt;
    v.algorithm = receipt_algorithm;
    v.receipt_id = id;
    v.debate_id = spec.id;
    v.question = spec.question;
    v.protocol = x.protocol;
    v.consensus = x.consensus;
    v.status = x.status;
    v.verdict = x.verdict;
    v.confidence = f.confidence;
    v.consensus_reached = f.reached;
    v.winner = x.winner;
    v.final_answer_sha256 = answer_sha256;
    v.result_sha256 = hex_view(result_hex);
    v.rounds_used = x.rounds_used;
    v.agent_calls = x.agent_calls;
    v.agents.reserve(n);
    for (const auto& a : x.agents)
      v.agents.push_back({a.name, a.provider, a.calls, a.failures, a.contributing});
    v.votes = x.votes;
    v.messages.reserve(order.size());
    for (size_t i = 0; i < order.size(); ++i) {
      const auto& e = m.transcript()[order[i]];
      v.messages.push_back({e.key.round, to_string(e.key.ph), name(e.key.agent),
                            name(message_target(e)), hex_view(message_hex[i])});
    }
    v.created_at_us = x.created_at_us;
    v.completed_at_us = x.completed_at_us;
    if (signing_key) {
      key_id = debate::key_id(*signing_key);
      v.signature_algorithm = signature_algorithm;
      v.signature_key_id = key_id;
    }
  }
};

sealed_receipt seal(const machine_views& mv, const std::optional<std::string>& signing_key) {
  sealed_receipt out;
  out.id = mv.id;
  if (!signing_key) {
    out.sha256 = std::string{hex_view(digest_of(mv.receipt))};
    return out;
  }
  canonical_writer w;
  write_canonical(mv.receipt, w);
  out.sha256 = crypto::to_hex(crypto::sha256(w.bytes()));
  out.signature =
      receipt_signature{mv.key_id, crypto::to_hex(crypto::hmac_sha256(*signing_key, w.bytes()))};
  return out;
}

}  // namespace

std::string canonical_receipt(const v1::Receipt& r) {
  canonical_writer w;
  write_canonical(view_of(r), w);
  return w.bytes();
}

std::string canonical_result(const v1::DebateResult& r) {
  canonical_writer w;
  write_canonical(proto_result{r}.view, w);
  return w.bytes();
}

sealed_receipt seal_receipt(const debate_machine& m,
                            const std::optional<std::string>& signing_key) {
  return seal(machine_views{m, signing_key}, signing_key);
}

v1::Receipt make_receipt(const debate_machine& m, const std::optional<std::string>& signing_key) {
  machine_views mv{m, signing_key};
  auto sealed = seal(mv, signing_key);
  const auto& v = mv.receipt;
  const auto& spec = m.spec();
  const auto& f = m.outcome();
  v1::Receipt r;
  r.set_algorithm(std::string{v.algorithm});
  r.set_receipt_id(mv.id);
  r.set_debate_id(spec.id);
  r.set_question(spec.question);
  r.set_protocol(static_cast<v1::Protocol::Value>(spec.protocol));
  r.set_consensus(static_cast<v1::ConsensusMethod::Value>(spec.consensus));
  r.set_status(static_cast<v1::Status::Value>(f.status));
  r.set_verdict(static_cast<v1::Verdict::Value>(f.decision));
  r.set_confidence(v.confidence);
  r.set_consensus_reached(v.consensus_reached);
  r.set_winner(std::string{v.winner});
  r.set_final_answer_sha256(mv.answer_sha256);
  r.set_result_sha256(std::string{v.result_sha256});
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
    x->set_reasoning(std::string{b.reasoning});
  }
  for (size_t i = 0; i < v.messages.size(); ++i) {
    const auto& mv_i = v.messages[i];
    auto* d = r.add_messages();
    d->set_round(mv_i.round);
    d->set_phase(static_cast<v1::Phase::Value>(m.transcript()[mv.order[i]].key.ph));
    d->set_agent(std::string{mv_i.agent});
    d->set_target(std::string{mv_i.target});
    d->set_sha256(std::string{mv_i.sha256_hex});
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
  if (r.algorithm() == receipt_algorithm_v1)
    return refused(verify_errc::unsupported_algorithm,
                   std::string{"'"} + receipt_algorithm_v1 +
                       "' receipts leave vote reasoning, the signer's key id and most of the "
                       "result outside their digest, so they cannot be trusted; this version "
                       "verifies '" + receipt_algorithm + "' only");
  if (r.algorithm() != receipt_algorithm)
    return refused(verify_errc::unsupported_algorithm,
                   "unsupported receipt algorithm '" + r.algorithm() + "'");
  if (auto bad = first_bad_value(r, ""))
    return refused(bad->code, "the receipt's " + bad->detail);
  auto canonical = canonical_receipt(r);
  auto digest = crypto::to_hex(crypto::sha256(canonical));
  if (!crypto::constant_time_equal(digest, r.sha256()))
    return refused(verify_errc::digest_mismatch, "content digest mismatch: the receipt says " +
                                                     r.sha256() + ", its content hashes to " +
                                                     digest);
  verify_result out;
  if (!r.has_signature()) {
    // Where receipts are signed, an unsigned one may be a signed one with its signature cut off.
    if (signing_key)
      return refused(verify_errc::missing_signature,
                     std::string{"the receipt is unsigned but "} + signing_key_env +
                         " is set: signed receipts are expected");
    out.detail = "digest ok (unsigned receipt)";
    return out;
  }
  if (r.signature().algorithm() != signature_algorithm)
    return refused(verify_errc::unsupported_algorithm,
                   "unsupported signature algorithm '" + r.signature().algorithm() + "'");
  if (!signing_key)
    return refused(verify_errc::missing_key, std::string{"the receipt is signed; set "} +
                                                 signing_key_env + " to the signing key to verify it");
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

/// Why a result's message is not in the one form its digest stands for, or empty. The digest
/// covers round, phase, agent, target, time, text, a critique's severity and issues and a vote's
/// confidence; every other copy of those must agree, and fields of other phases must be unset.
std::string message_form_problem(const v1::Message& m, std::string_view content_hex) {
  auto ph = m.phase();
  if (ph == v1::Phase::phase_unspecified) return "has no phase";
  if (m.sha256() != content_hex) return "carries a digest that is not its content's";
  const auto& c = m.critique();
  if (ph != v1::Phase::critique && (c.severity() != 0 || c.issues_size() != 0))
    return "is no critique but has a severity or issues";
  // Issues are digested one per line: an issue with a line break, or an empty issue (["a", ""]
  // joins to "a\n", which digests as ["a"]), would digest like another list.
  for (const auto& issue : c.issues()) {
    if (issue.find('\n') != std::string::npos) return "has an issue with a line break";
    if (issue.empty()) return "has an empty issue";
  }
  const auto& v = m.vote();
  if (ph != v1::Phase::vote && ph != v1::Phase::judge) {
    if (!v.agent().empty() || !v.choice().empty() || v.confidence() != 0 || !v.reasoning().empty())
      return "is no vote but has a vote";
  } else if (v.agent() != m.agent() || v.choice() != m.target() || !v.reasoning().empty()) {
    return "has a vote whose agent, choice or reasoning is not the message's";
  }
  return {};
}

std::string describe(const v1::Message& m, int i) {
  return "message " + std::to_string(i + 1) + " (" + m.agent() + ", " +
         std::string{phase_name(m.phase())} + ", round " + std::to_string(m.round()) + ")";
}

}  // namespace

verify_result check_result(const v1::Receipt& r, const v1::DebateResult& result) {
  if (auto bad = first_bad_value(result, ""))
    return refused(bad->code, "the result's " + bad->detail);
  if (result.receipt().id() != r.receipt_id() || result.receipt().sha256() != r.sha256())
    return refused(verify_errc::result_mismatch,
                   "the result names receipt " + result.receipt().id() + " (" +
                       result.receipt().sha256() + "), not this one");
  if (result.id() != r.debate_id())
    return refused(verify_errc::result_mismatch, "the result is debate " + result.id() +
                                                     ", the receipt covers " + r.debate_id());
  if (result.messages_size() != r.messages_size())
    return refused(verify_errc::transcript_mismatch,
                   "the result has " + std::to_string(result.messages_size()) +
                       " messages, the receipt lists " + std::to_string(r.messages_size()));
  proto_result parsed{result};
  for (int i = 0; i < result.messages_size(); ++i) {
    const auto& m = result.messages(i);
    const auto& d = r.messages(i);
    auto hex = hex_view(parsed.message_hex[static_cast<size_t>(i)]);
    if (hex != d.sha256() || m.round() != d.round() || m.phase() != d.phase() ||
        m.agent() != d.agent() || m.target() != d.target())
      return refused(verify_errc::transcript_mismatch,
                     describe(m, i) + " does not match its receipt entry");
    if (auto problem = message_form_problem(m, hex); !problem.empty())
      return refused(verify_errc::transcript_mismatch, describe(m, i) + " " + problem);
  }

  // Every other field the receipt states, named when it differs.
  std::string differs;
  auto same = [&](bool equal, const std::string& what) {
    if (!equal && differs.empty()) differs = what;
  };
  same(result.question() == r.question(), "question");
  same(result.protocol() == r.protocol(), "protocol");
  same(result.consensus() == r.consensus(), "consensus");
  same(result.status() == r.status(), "status");
  same(result.verdict() == r.verdict(), "verdict");
  same(result.confidence() == r.confidence(), "confidence");
  same(result.consensus_reached() == r.consensus_reached(), "consensus_reached");
  same(result.winner() == r.winner(), "winner");
  same(parsed.answer_sha256 == r.final_answer_sha256(), "final_answer");
  same(result.rounds_used() == r.rounds_used(), "rounds_used");
  same(result.agent_calls() == r.agent_calls(), "agent_calls");
  same(result.agents_size() == r.agents_size(), "number of agents");
  for (int i = 0; differs.empty() && i < r.agents_size(); ++i) {
    const auto& a = result.agents(i);
    const auto& b = r.agents(i);
    same(a.name() == b.name() && a.provider() == b.provider() && a.calls() == b.calls() &&
             a.failures() == b.failures() && a.contributing() == b.contributing(),
         "agent " + std::to_string(i + 1));
  }
  same(result.votes_size() == r.votes_size(), "number of votes");
  for (int i = 0; differs.empty() && i < r.votes_size(); ++i) {
    const auto& a = result.votes(i);
    const auto& b = r.votes(i);
    same(a.agent() == b.agent() && a.choice() == b.choice() && a.confidence() == b.confidence() &&
             a.reasoning() == b.reasoning(),
         "vote " + std::to_string(i + 1));
  }
  same(parsed.view.created_at_us == timestamp_micros(r.created_at()), "created_at");
  same(parsed.view.completed_at_us == timestamp_micros(r.completed_at()), "completed_at");
  if (!differs.empty())
    return refused(verify_errc::result_mismatch,
                   "the result's " + differs + " differs from the receipt's");

  // The fields the receipt does not state one by one.
  auto digest = digest_of(parsed.view);
  if (hex_view(digest) != r.result_sha256())
    return refused(verify_errc::result_mismatch,
                   "the result hashes to " + std::string{hex_view(digest)} + ", the receipt commits to " +
                       r.result_sha256());
  verify_result out;
  out.detail = "result of " + std::to_string(result.messages_size()) +
               " messages matches the receipt";
  return out;
}

signing_key_result parse_signing_key(const char* hex) {
  if (!hex || !*hex) return std::optional<std::string>{};
  auto key = crypto::from_hex(hex);
  if (!key || key->size() < 16)
    return error<signing_key_errc>{signing_key_errc::malformed,
                                   std::string{signing_key_env} + " must be at least 32 hex digits"};
  return std::optional<std::string>{std::move(*key)};
}

}  // namespace aragora::debate
