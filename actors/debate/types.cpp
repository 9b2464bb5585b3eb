#include "actors/debate/types.hpp"

#include <unordered_set>

#include "runtime/base/defaults.hpp"
#include "runtime/base/settings/settings.hpp"
#include "runtime/base/text/utf8.hpp"

namespace aragora::debate {

std::string_view to_string(protocol_kind x) {
  return x == protocol_kind::full ? "full" : "lite";
}

std::string_view to_string(consensus_method x) {
  switch (x) {
    case consensus_method::majority: return "majority";
    case consensus_method::supermajority: return "supermajority";
    case consensus_method::unanimous: return "unanimous";
    case consensus_method::judge: return "judge";
    case consensus_method::none: return "none";
  }
  return "unknown";
}

std::string_view to_string(similarity_method x) {
  return x == similarity_method::jaccard ? "jaccard" : "tfidf";
}

std::string_view to_string(phase x) {
  switch (x) {
    case phase::propose: return "propose";
    case phase::critique: return "critique";
    case phase::revise: return "revise";
    case phase::vote: return "vote";
    case phase::judge: return "judge";
  }
  return "unknown";
}

std::string_view to_string(debate_status x) {
  switch (x) {
    case debate_status::running: return "running";
    case debate_status::consensus_reached: return "consensus_reached";
    case debate_status::no_consensus: return "no_consensus";
    case debate_status::insufficient_participation: return "insufficient_participation";
    case debate_status::failed: return "failed";
    case debate_status::cancelled: return "cancelled";
    case debate_status::budget_exceeded: return "budget_exceeded";
  }
  return "unknown";
}

std::string_view to_string(verdict x) {
  switch (x) {
    case verdict::approved: return "approved";
    case verdict::approved_with_conditions: return "approved_with_conditions";
    case verdict::needs_review: return "needs_review";
    case verdict::rejected: return "rejected";
  }
  return "unknown";
}

std::string_view to_string(convergence_status x) {
  switch (x) {
    case convergence_status::not_checked: return "not_checked";
    case convergence_status::diverging: return "diverging";
    case convergence_status::refining: return "refining";
    case convergence_status::converged: return "converged";
  }
  return "unknown";
}

std::string_view to_string(call_errc x) {
  switch (x) {
    case call_errc::timeout: return "timeout";
    case call_errc::provider_error: return "provider_error";
    case call_errc::cancelled: return "cancelled";
    case call_errc::bad_reply: return "bad_reply";
  }
  return "unknown";
}

std::string_view to_string(spec_errc x) {
  switch (x) {
    case spec_errc::empty_question: return "empty_question";
    case spec_errc::question_too_long: return "question_too_long";
    case spec_errc::rounds_out_of_range: return "rounds_out_of_range";
    case spec_errc::too_few_agents: return "too_few_agents";
    case spec_errc::too_many_agents: return "too_many_agents";
    case spec_errc::duplicate_agent: return "duplicate_agent";
    case spec_errc::bad_threshold: return "bad_threshold";
    case spec_errc::bad_fail_rate: return "bad_fail_rate";
    case spec_errc::invalid_utf8: return "invalid_utf8";
    case spec_errc::bad_duration: return "bad_duration";
    case spec_errc::bad_budget: return "bad_budget";
  }
  return "unknown";
}

std::optional<protocol_kind> parse_protocol(std::string_view s) {
  if (s == "lite") return protocol_kind::lite;
  if (s == "full") return protocol_kind::full;
  return std::nullopt;
}

std::optional<consensus_method> parse_consensus(std::string_view s) {
  for (auto m : {consensus_method::majority, consensus_method::supermajority,
                 consensus_method::unanimous, consensus_method::judge, consensus_method::none})
    if (s == to_string(m)) return m;
  return std::nullopt;
}

std::optional<similarity_method> parse_similarity(std::string_view s) {
  if (s == "tfidf") return similarity_method::tfidf;
  if (s == "jaccard") return similarity_method::jaccard;
  return std::nullopt;
}

std::optional<call_errc> parse_call_errc(std::string_view s) {
  for (auto c : {call_errc::timeout, call_errc::provider_error, call_errc::cancelled,
                 call_errc::bad_reply})
    if (to_string(c) == s) return c;
  return std::nullopt;
}

namespace {

bool blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// Names the first text of the spec that is not valid UTF-8 (without echoing its bytes).
std::optional<std::string> invalid_text(const debate_spec& spec) {
  auto bad = [](std::string_view what, std::string_view s) -> std::optional<std::string> {
    auto at = text::utf8_invalid_at(s);
    if (at == text::utf8_valid) return std::nullopt;
    return std::string{what} + " is not valid UTF-8 (byte " + std::to_string(at + 1) + ")";
  };
  if (auto e = bad("the question", spec.question)) return e;
  if (auto e = bad("the context", spec.context)) return e;
  if (auto e = bad("the domain", spec.domain)) return e;
  if (auto e = bad("the debate id", spec.id)) return e;
  if (auto e = bad("the requester", spec.requested_by)) return e;
  for (size_t i = 0; i < spec.agents.size(); ++i) {
    const auto& a = spec.agents[i];
    auto which = "agent " + std::to_string(i + 1) + "'s ";
    if (auto e = bad(which + "name", a.name)) return e;
    if (auto e = bad(which + "provider", a.provider)) return e;
    if (auto e = bad(which + "option", a.option)) return e;
  }
  return std::nullopt;
}

}  // namespace

std::optional<spec_error> validate(const debate_spec& spec) {
  auto fail = [](spec_errc code, std::string msg) {
    return std::optional<spec_error>{spec_error{code, std::move(msg)}};
  };
  // First: the messages below quote the spec's text.
  if (auto why = invalid_text(spec)) return fail(spec_errc::invalid_utf8, std::move(*why));
  if (blank(spec.question)) return fail(spec_errc::empty_question, "the question is empty");
  // Characters, not bytes: a 10,000-character question in UTF-8 may be longer in bytes.
  // The limits and messages of the settings table: the same as the CLI's and the YAML's.
  using settings::id;
  if (auto r = settings::check(id::question_chars,
                               static_cast<int64_t>(text::utf8_length(spec.question))))
    return fail(spec_errc::question_too_long, std::move(r->message));
  if (auto r = settings::check(id::rounds, int64_t{spec.rounds}))
    return fail(spec_errc::rounds_out_of_range, std::move(r->message));
  if (spec.agents.size() < defaults::min_agents)
    return fail(spec_errc::too_few_agents,
                "a debate needs at least " + std::to_string(defaults::min_agents) + " agents");
  if (spec.agents.size() > defaults::max_agents)
    return fail(spec_errc::too_many_agents,
                "a debate takes at most " + std::to_string(defaults::max_agents) + " agents");
  std::unordered_set<std::string_view> names;
  for (const auto& a : spec.agents)
    if (!names.insert(a.name).second)
      return fail(spec_errc::duplicate_agent, "agent name '" + a.name + "' appears twice");
  if (auto r = settings::check(id::consensus_threshold, spec.consensus_threshold))
    return fail(spec_errc::bad_threshold, std::move(r->message));
  if (auto r = settings::check(id::convergence_threshold, spec.convergence_threshold))
    return fail(spec_errc::bad_threshold, std::move(r->message));
  if (auto r = settings::check(id::agent_timeout_ms, int64_t{spec.agent_timeout.count()}))
    return fail(spec_errc::bad_duration, std::move(r->message));
  if (auto r = settings::check(id::budget_usd, spec.budget_usd))
    return fail(spec_errc::bad_budget, std::move(r->message));
  return std::nullopt;
}

}  // namespace aragora::debate
