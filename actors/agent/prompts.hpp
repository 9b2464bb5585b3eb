#pragma once
// What a real agent is asked at each phase, and how its reply becomes a call outcome. The
// templates are in one place (prompt_templates::defaults) and a user may override any of them in
// YAML; the replies are parsed leniently in form (markdown, case, quotes, "80%") and strictly in
// substance: a vote that names no candidate, or a critique without a severity, is a failed call
// (bad_reply) with the raw text kept in its message, never a silent default.
//
// Placeholders: {agent} {question} {context} {round} {history} in every template ({history}: the
// proposals, revisions and critiques so far, compressed past the guide's threshold); {proposal} and {author}
// (critique: the proposal under review; revise: the agent's own), {critiques} (revise, propose),
// {proposals} and {candidates} (vote, judge), {ballots} (judge). An unknown placeholder is an
// error when the template is loaded (check_template), not a literal in a prompt.

#include <optional>
#include <string>
#include <string_view>

#include "actors/agent/llm_options.hpp"
#include "actors/debate/types.hpp"
#include "runtime/base/error/error.hpp"

namespace aragora::agent {

/// Why a configured template was refused. Stable codes: they appear in CLI errors.
enum class prompt_errc : uint8_t { unknown_placeholder = 1 };

[[nodiscard]] std::string_view to_string(prompt_errc x);

struct prompt_templates {
  std::string system;
  std::string propose;
  std::string critique;
  std::string revise;
  std::string vote;
  std::string judge;
  std::string summarise;  // context compression: asks for a summary of {history}

  [[nodiscard]] static const prompt_templates& defaults();
  [[nodiscard]] const std::string& of(debate::phase ph) const;
  [[nodiscard]] std::string& of(debate::phase ph);
};

/// The placeholder of `tmpl` that its phase does not know, if any (nullopt: all known), for the
/// config's error message. `ph` nullopt: the system template.
[[nodiscard]] std::optional<std::string> unknown_placeholder(std::string_view tmpl,
                                                             std::optional<debate::phase> ph);

/// The built-in templates with the configuration's overrides in place, or the first override
/// that names a placeholder its phase does not have ("prompts.vote: unknown placeholder
/// {ballots}").
[[nodiscard]] expected<prompt_templates, prompt_errc> templates_with(const prompt_overrides& o);

struct prompt {
  std::string system;
  std::string user;
};

/// The prompt of one call of `spec` (the caller's agent is call.key.agent).
[[nodiscard]] prompt render_prompt(const prompt_templates& t, const debate::debate_spec& spec,
                                   const debate::call_request& call);

/// Context compression (the capacity guide's rule): from round `from_round`, a history of at least
/// `min_messages` messages and more than `min_chars` characters has all but its last `keep_last`
/// messages replaced by a summary; the question (the task) is always in the prompt.
struct compression_rule {
  uint32_t from_round = defaults::compress_from_round;
  size_t min_messages = defaults::compress_min_messages;
  size_t min_chars = defaults::compress_min_chars;
  size_t keep_last = defaults::compress_keep_last;
};

/// How many of the call's oldest history messages to summarise; 0 when the rule does not apply.
[[nodiscard]] size_t to_summarise(const debate::call_request& call, const compression_rule& rule);

/// The summariser's prompt: the summarise template over the call's first `n` history messages.
[[nodiscard]] prompt summary_prompt(const prompt_templates& t, const debate::debate_spec& spec,
                                    const debate::call_request& call, size_t n);

/// render_prompt with the call's first `summarised` history messages replaced by `summary`;
/// `ratio`, when given, is set to the compressed history's share of the full one's length.
[[nodiscard]] prompt render_compressed(const prompt_templates& t, const debate::debate_spec& spec,
                                       const debate::call_request& call, const std::string& summary,
                                       size_t summarised, double* ratio = nullptr);

/// The outcome a reply makes for `call`: its text, and for a critique its severity and issues,
/// for a vote or judge call the chosen agent and confidence. A reply that says none of what its
/// phase needs is a bad_reply outcome whose message quotes the reply's start.
[[nodiscard]] debate::call_outcome outcome_of_reply(const debate::debate_spec& spec,
                                                    const debate::call_request& call,
                                                    std::string_view reply);

}  // namespace aragora::agent
