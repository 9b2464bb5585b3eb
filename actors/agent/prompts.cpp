#include "actors/agent/prompts.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <span>
#include <vector>

#include "runtime/base/defaults.hpp"
#include "runtime/base/text/utf8.hpp"

namespace aragora::agent {

using debate::phase;

const prompt_templates& prompt_templates::defaults() {
  static const prompt_templates t{
      .system = "You are {agent}, one of several agents debating a question to reach the best "
                "answer. Be concrete and brief; say when you are unsure.",
      .propose = "Question: {question}{context}{history}{critiques}\n\n"
                 "Give your answer in at most 200 words.",
      .critique = "Question: {question}{context}\n\nProposal by {author}:\n{proposal}\n\n"
                  "Critique this proposal. Reply with a line `SEVERITY: N` (N from 0, nothing "
                  "wrong, to 10, fatally wrong), then a line `ISSUES:` followed by one issue per "
                  "line, each starting with `- `.",
      .revise = "Question: {question}{context}{history}\n\nYour answer:\n{proposal}{critiques}\n\n"
                "Revise your answer, addressing the critiques that hold. Reply with the revised "
                "answer only, in at most 200 words.",
      .vote = "Question: {question}{context}\n\nProposals:\n{proposals}\n\n"
              "Vote for the best proposal other than your own. Reply with a line `VOTE: NAME` "
              "where NAME is one of {candidates}, a line `CONFIDENCE: X` with X from 0 to 1, then "
              "one sentence of reasoning.",
      .judge = "Question: {question}{context}\n\nProposals:\n{proposals}\n\nVotes:\n{ballots}\n\n"
               "As the judge, choose the proposal to adopt. Reply with a line `WINNER: NAME` where "
               "NAME is one of {candidates}, a line `CONFIDENCE: X` with X from 0 to 1, then the "
               "final answer as you would state it.",
      .summarise = "Question: {question}{context}{history}\n\nSummarise the debate above for its "
                   "participants in at most 150 words: each agent's position, what the critiques "
                   "found, and what is still disputed. Reply with the summary only.",
  };
  return t;
}

const std::string& prompt_templates::of(phase ph) const {
  switch (ph) {
    case phase::propose: return propose;
    case phase::critique: return critique;
    case phase::revise: return revise;
    case phase::vote: return vote;
    case phase::judge: return judge;
  }
  return propose;
}

std::string& prompt_templates::of(phase ph) {
  return const_cast<std::string&>(static_cast<const prompt_templates&>(*this).of(ph));
}

namespace {

bool known(std::string_view name, std::optional<phase> ph) {
  for (auto n : {"agent", "question", "context", "round", "history"})
    if (name == n) return true;
  if (!ph) return false;
  switch (*ph) {
    case phase::propose: return name == "critiques";
    case phase::critique: return name == "proposal" || name == "author";
    case phase::revise: return name == "proposal" || name == "author" || name == "critiques";
    case phase::vote: return name == "proposals" || name == "candidates";
    case phase::judge: return name == "proposals" || name == "candidates" || name == "ballots";
  }
  return false;
}

bool name_char(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

/// Calls `literal(text)` and `field(name)` for the template's pieces in order.
template <class Literal, class Field>
void walk(std::string_view t, Literal&& literal, Field&& field) {
  size_t start = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '{') continue;
    size_t j = i + 1;
    while (j < t.size() && name_char(t[j])) ++j;
    if (j == i + 1 || j >= t.size() || t[j] != '}') continue;
    literal(t.substr(start, i - start));
    field(t.substr(i + 1, j - i - 1));
    start = j + 1;
    i = j;
  }
  literal(t.substr(start));
}

std::string_view agent_name(const debate::debate_spec& spec, uint8_t agent) {
  return agent < spec.agents.size() ? std::string_view{spec.agents[agent].name} : "nobody";
}

/// Whether `p` may be chosen by this call: a vote is for another agent's proposal when there is one.
bool eligible(const debate::proposal_ref& p, const debate::call_request& call) {
  return !(call.key.ph == phase::vote && p.agent == call.key.agent && debate::items(call.proposals).size() > 1);
}

/// A compressed history: the first `summarised` items are replaced by `summary`.
struct history_cut {
  const std::string* summary = nullptr;
  size_t summarised = 0;
};

std::string history_lines(const debate::debate_spec& spec, std::span<const debate::history_item> items) {
  std::string out;
  for (const auto& h : items) {
    out += "\n- round ";
    out += std::to_string(h.round);
    out += ", ";
    out += agent_name(spec, h.agent);
    switch (h.ph) {
      case phase::critique:
        out += " on ";
        out += agent_name(spec, h.target);
        out += "'s answer";
        break;
      case phase::revise: out += " revised"; break;
      default: out += " proposed"; break;
    }
    out += ":\n";
    if (h.text) out += *h.text;
  }
  return out;
}

std::string field_value(std::string_view name, const debate::debate_spec& spec,
                        const debate::call_request& call, const history_cut& cut = {}) {
  std::string out;
  if (name == "history") {
    const auto& all = debate::items(call.history);
    if (all.empty()) return "";
    out = "\n\nThe debate so far:";
    std::span<const debate::history_item> rest{all};
    if (cut.summary && cut.summarised <= all.size()) {
      out += "\n- summary of the earlier debate:\n";
      out += *cut.summary;
      rest = rest.subspan(cut.summarised);
    }
    return out + history_lines(spec, rest);
  }
  if (name == "agent") return std::string{agent_name(spec, call.key.agent)};
  if (name == "question") return spec.question;
  if (name == "round") return std::to_string(call.key.round);
  if (name == "context") return spec.context.empty() ? "" : "\n\nContext:\n" + spec.context;
  if (name == "proposal") return call.target_text ? *call.target_text : "";
  if (name == "author")
    return std::string{agent_name(spec, call.key.ph == phase::critique ? call.key.target : call.key.agent)};
  if (name == "critiques") {
    const auto& cs = debate::items(call.critiques);
    if (cs.empty()) return "";
    out = "\n\nCritiques of your answer:";
    for (const auto& c : cs) {
      char severity[16];
      auto [end, ec] = std::to_chars(severity, severity + sizeof severity, c.severity,
                                     std::chars_format::fixed, 1);
      out += "\n- ";
      out += agent_name(spec, c.critic);
      out += " (severity ";
      out.append(severity, ec == std::errc{} ? end : severity);
      out += "): ";
      if (c.text) out += *c.text;
    }
    return out;
  }
  if (name == "proposals") {
    for (const auto& p : debate::items(call.proposals)) {
      if (!out.empty()) out += "\n\n";
      out += "[";
      out += agent_name(spec, p.agent);
      out += "]\n";
      if (p.text) out += *p.text;
    }
    return out;
  }
  if (name == "candidates") {
    for (const auto& p : debate::items(call.proposals)) {
      if (!eligible(p, call)) continue;
      if (!out.empty()) out += ", ";
      out += agent_name(spec, p.agent);
    }
    return out;
  }
  if (name == "ballots") {
    for (const auto& b : debate::items(call.ballots)) {
      if (!out.empty()) out += '\n';
      out += "- ";
      out += agent_name(spec, b.voter);
      out += " voted for ";
      out += agent_name(spec, b.choice);
      char conf[16];
      auto [end, ec] = std::to_chars(conf, conf + sizeof conf, b.confidence, std::chars_format::fixed, 2);
      out += " (confidence ";
      out.append(conf, ec == std::errc{} ? end : conf);
      out += ")";
    }
    return out;
  }
  return "{" + std::string{name} + "}";
}

std::string render(std::string_view t, const debate::debate_spec& spec, const debate::call_request& call,
                   const history_cut& cut = {}) {
  std::string out;
  walk(
      t, [&](std::string_view lit) { out += lit; },
      [&](std::string_view name) { out += field_value(name, spec, call, cut); });
  return out;
}

// -- replies ---------------------------------------------------------------------------------

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool decoration(char c) {
  return c == ' ' || c == '\t' || c == '*' || c == '#' || c == '>' || c == '`' || c == '_' ||
         c == '"' || c == '\'' || c == '[' || c == ']' || c == '\r';
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && decoration(s.front())) s.remove_prefix(1);
  while (!s.empty() && (decoration(s.back()) || s.back() == '.' || s.back() == ',')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> lines_of(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '\n') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

/// The value of the first line that reads `KEY: value` (decorations around either allowed).
std::optional<std::string_view> labelled(const std::vector<std::string_view>& lines,
                                         std::initializer_list<std::string_view> keys,
                                         size_t* at = nullptr) {
  for (size_t i = 0; i < lines.size(); ++i) {
    auto l = lines[i];
    while (!l.empty() && decoration(l.front())) l.remove_prefix(1);
    auto colon = l.find(':');
    if (colon == std::string_view::npos) continue;
    auto key = strip(l.substr(0, colon));
    for (auto k : keys)
      if (iequals(key, k)) {
        if (at) *at = i;
        return strip(l.substr(colon + 1));
      }
  }
  return std::nullopt;
}

/// The number a value starts with, and what follows it ("75%", "7/10").
struct reading {
  double value;
  std::string_view rest;
};

std::optional<reading> number(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || !std::isfinite(v)) return std::nullopt;
  std::string_view rest{end, static_cast<size_t>(s.data() + s.size() - end)};
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return reading{v, rest};
}

/// A severity from 0 to 10 ("7", "7/10", "7 out of 10"); not a percentage.
std::optional<double> severity_of(std::string_view s) {
  auto r = number(s);
  if (!r || (!r->rest.empty() && r->rest.front() == '%') || r->value < 0 || r->value > 10) return std::nullopt;
  return r->value;
}

/// A confidence from 0 to 1: "0.8", "80%", "8/10", or a whole number of percent ("80").
std::optional<double> confidence_of(std::string_view s) {
  auto r = number(s);
  if (!r) return std::nullopt;
  double v = r->value;
  if (!r->rest.empty() && r->rest.front() == '%') {
    v /= 100.0;
  } else if (!r->rest.empty() && r->rest.front() == '/') {
    auto d = number(r->rest.substr(1));
    if (!d || d->value <= 0) return std::nullopt;
    v /= d->value;
  } else if (v > 1) {
    if (v != std::floor(v) || v > 100) return std::nullopt;  // "1.5" is no confidence
    v /= 100.0;
  }
  if (v < 0 || v > 1) return std::nullopt;
  return v;
}

std::string quoted(std::string_view reply) {
  auto one = text::utf8_prefix(reply, 160);
  std::string out{one};
  std::replace(out.begin(), out.end(), '\n', ' ');
  return "'" + out + (one.size() < reply.size() ? "...'" : "'");
}

debate::call_outcome bad(debate::call_outcome out, std::string why, std::string_view reply) {
  out.error = debate::call_errc::bad_reply;
  out.error_message = std::move(why) + "; the reply: " + quoted(reply);
  return out;
}

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80;
}

/// The candidate a vote or judge reply names: exactly, or as the only candidate name among its
/// words (a name inside a longer candidate's name, as "gpt-4" in "gpt-4-turbo", does not count).
std::optional<uint8_t> chosen(std::string_view value, const debate::debate_spec& spec,
                              const debate::call_request& call) {
  struct mention {
    uint8_t agent;
    size_t at, len;
  };
  std::vector<mention> found;
  for (const auto& p : debate::items(call.proposals)) {
    if (!eligible(p, call)) continue;
    auto name = agent_name(spec, p.agent);
    if (iequals(value, name)) return p.agent;
    for (size_t i = 0; i + name.size() <= value.size() && !name.empty(); ++i) {
      auto after = i + name.size();
      if ((i == 0 || !word_char(value[i - 1])) && (after == value.size() || !word_char(value[after])) &&
          iequals(value.substr(i, name.size()), name))
        found.push_back({p.agent, i, name.size()});
    }
  }
  std::optional<uint8_t> only;
  for (const auto& m : found) {
    bool inside_longer = std::any_of(found.begin(), found.end(), [&](const mention& o) {
      return o.len > m.len && o.at <= m.at && m.at + m.len <= o.at + o.len;
    });
    if (inside_longer) continue;
    if (only && *only != m.agent) return std::nullopt;  // two candidates named
    only = m.agent;
  }
  return only;
}

std::string candidate_list(const debate::debate_spec& spec, const debate::call_request& call) {
  std::string out;
  for (const auto& p : debate::items(call.proposals)) {
    if (!eligible(p, call)) continue;
    if (!out.empty()) out += ", ";
    out += agent_name(spec, p.agent);
  }
  return out;
}

}  // namespace

std::string_view to_string(prompt_errc x) {
  switch (x) {
    case prompt_errc::unknown_placeholder: return "config_bad_prompt";
  }
  return "unknown";
}

expected<prompt_templates, prompt_errc> templates_with(const prompt_overrides& o) {
  auto t = prompt_templates::defaults();
  struct field {
    const char* name;
    const std::string* given;
    std::optional<phase> ph;
  };
  for (auto f : {field{"system", &o.system, std::nullopt}, field{"propose", &o.propose, phase::propose},
                 field{"critique", &o.critique, phase::critique}, field{"revise", &o.revise, phase::revise},
                 field{"vote", &o.vote, phase::vote}, field{"judge", &o.judge, phase::judge},
                 field{"summarise", &o.summarise, std::nullopt}}) {
    if (f.given->empty()) continue;
    if (auto bad = unknown_placeholder(*f.given, f.ph))
      return error<prompt_errc>{prompt_errc::unknown_placeholder,
                                std::string{"prompts."} + f.name + ": " + *bad + " is no placeholder of this phase"};
    (f.ph ? t.of(*f.ph) : std::string_view{f.name} == "summarise" ? t.summarise : t.system) = *f.given;
  }
  return t;
}

std::optional<std::string> unknown_placeholder(std::string_view tmpl, std::optional<phase> ph) {
  std::optional<std::string> unknown;
  walk(
      tmpl, [](std::string_view) {},
      [&](std::string_view name) {
        if (!unknown && !known(name, ph)) unknown = "{" + std::string{name} + "}";
      });
  return unknown;
}

prompt render_prompt(const prompt_templates& t, const debate::debate_spec& spec,
                     const debate::call_request& call) {
  return {render(t.system, spec, call), render(t.of(call.key.ph), spec, call)};
}

size_t to_summarise(const debate::call_request& call, const compression_rule& rule) {
  const auto& h = debate::items(call.history);
  if (call.key.round < rule.from_round || h.size() < rule.min_messages || h.size() <= rule.keep_last) return 0;
  size_t chars = 0;
  for (const auto& item : h)
    if (item.text) chars += text::utf8_length(*item.text);
  return chars > rule.min_chars ? h.size() - rule.keep_last : 0;
}

prompt summary_prompt(const prompt_templates& t, const debate::debate_spec& spec, const debate::call_request& call,
                      size_t n) {
  const auto& h = debate::items(call.history);
  auto first = call;
  first.history = std::make_shared<const std::vector<debate::history_item>>(h.begin(),
                                                                           h.begin() + std::min(n, h.size()));
  // Not in any debater's voice: every agent of the step reads what it writes.
  return {"You summarise a debate between several agents for its participants, neutrally and briefly.",
          render(t.summarise, spec, first)};
}

prompt render_compressed(const prompt_templates& t, const debate::debate_spec& spec, const debate::call_request& call,
                         const std::string& summary, size_t summarised, double* ratio) {
  history_cut cut{&summary, summarised};
  if (ratio) {
    auto full = field_value("history", spec, call).size();
    auto kept = field_value("history", spec, call, cut).size();
    *ratio = full ? std::min(1.0, static_cast<double>(kept) / static_cast<double>(full)) : 1.0;
  }
  return {render(t.system, spec, call, cut), render(t.of(call.key.ph), spec, call, cut)};
}

debate::call_outcome outcome_of_reply(const debate::debate_spec& spec,
                                      const debate::call_request& call, std::string_view raw) {
  debate::call_outcome out;
  out.key = call.key;
  // Cut, scrubbed (an invalid byte becomes three), cut again: the bound holds either way.
  auto scrubbed = text::utf8_scrub(text::utf8_prefix(raw, defaults::agent_reply_max_bytes));
  scrubbed.resize(text::utf8_prefix(scrubbed, defaults::agent_reply_max_bytes).size());
  std::string_view reply{scrubbed};
  while (!reply.empty() && (reply.front() == ' ' || reply.front() == '\n' || reply.front() == '\r' || reply.front() == '\t'))
    reply.remove_prefix(1);
  while (!reply.empty() && (reply.back() == ' ' || reply.back() == '\n' || reply.back() == '\r' || reply.back() == '\t'))
    reply.remove_suffix(1);
  if (reply.empty()) return bad(std::move(out), "the reply is empty", scrubbed);
  auto lines = lines_of(reply);
  switch (call.key.ph) {
    case phase::propose:
    case phase::revise:
      break;
    case phase::critique: {
      auto severity = labelled(lines, {"severity"});
      if (!severity) return bad(std::move(out), "the critique has no SEVERITY line", reply);
      auto v = severity_of(*severity);
      if (!v)
        return bad(std::move(out), "the critique's severity is not a number from 0 to 10", reply);
      out.severity = *v;
      size_t at = 0;
      if (auto first = labelled(lines, {"issues"}, &at)) {
        if (!first->empty()) out.issues.append(*first);
        for (size_t i = at + 1; i < lines.size(); ++i) {
          auto l = lines[i];
          while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
          while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.remove_suffix(1);
          if (l.empty()) continue;
          size_t digits = 0;
          while (digits < l.size() && std::isdigit(static_cast<unsigned char>(l[digits]))) ++digits;
          size_t marker = 0;  // the bullet's bytes
          if (l.front() == '-' || l.front() == '*') marker = 1;
          else if (l.rfind("\xE2\x80\xA2", 0) == 0) marker = 3;
          else if (digits > 0 && digits < l.size() && (l[digits] == '.' || l[digits] == ')')) marker = digits + 1;
          if (marker == 0) break;
          l.remove_prefix(marker);
          auto issue = strip(l);
          if (issue.empty()) continue;
          if (!out.issues.empty()) out.issues += '\n';
          out.issues.append(issue);
        }
      }
      break;
    }
    case phase::vote:
    case phase::judge: {
      auto named = call.key.ph == phase::vote ? labelled(lines, {"vote", "choice", "winner"})
                                              : labelled(lines, {"winner", "choice", "vote"});
      if (!named)
        return bad(std::move(out),
                   std::string{call.key.ph == phase::vote ? "the vote has no VOTE line"
                                                          : "the judgement has no WINNER line"},
                   reply);
      auto choice = chosen(*named, spec, call);
      if (!choice)
        return bad(std::move(out),
                   "'" + std::string{text::utf8_prefix(*named, 64)} + "' names none of the candidates (" +
                       candidate_list(spec, call) + ")",
                   reply);
      auto confidence = labelled(lines, {"confidence"});
      auto v = confidence ? confidence_of(*confidence) : std::nullopt;
      if (!v)
        return bad(std::move(out), "the reply has no CONFIDENCE from 0 to 1", reply);
      out.choice = *choice;
      out.confidence = *v;
      break;
    }
  }
  out.text = debate::make_text(std::string{reply});
  return out;
}

}  // namespace aragora::agent
