#pragma once
// The debate vocabulary shared by the pure protocol, the agent providers and the actors.
// Plain value types: no actor system, no protobuf.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/defaults.hpp"
#include "runtime/base/error/error.hpp"

namespace aragora::debate {

using time_point = std::chrono::system_clock::time_point;

/// Immutable text shared between the transcript, calls and events without copying.
using text_ptr = std::shared_ptr<const std::string>;

[[nodiscard]] inline text_ptr make_text(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

// Enum values match the protobuf enums of net/proto/aragora/v1/debate.proto.
enum class protocol_kind : uint8_t { lite = 1, full = 2 };
enum class consensus_method : uint8_t { majority = 1, supermajority, unanimous, judge, none };
enum class similarity_method : uint8_t { tfidf = 1, jaccard = 2 };
enum class phase : uint8_t { propose = 1, critique, revise, vote, judge };
enum class debate_status : uint8_t {
  running = 1,
  consensus_reached,
  no_consensus,
  insufficient_participation,
  failed,
  cancelled,
  budget_exceeded,  // its calls spent its budget: it ended early with what was decided so far
};
enum class verdict : uint8_t { approved = 1, approved_with_conditions, needs_review, rejected };

/// Failed or cancelled: the debate ended without running its course.
[[nodiscard]] constexpr bool ended_badly(debate_status s) {
  return s == debate_status::failed || s == debate_status::cancelled;
}
enum class convergence_status : uint8_t { not_checked = 1, diverging, refining, converged };

[[nodiscard]] std::string_view to_string(protocol_kind x);
[[nodiscard]] std::string_view to_string(consensus_method x);
[[nodiscard]] std::string_view to_string(similarity_method x);
[[nodiscard]] std::string_view to_string(phase x);
[[nodiscard]] std::string_view to_string(debate_status x);
[[nodiscard]] std::string_view to_string(verdict x);
[[nodiscard]] std::string_view to_string(convergence_status x);

[[nodiscard]] std::optional<protocol_kind> parse_protocol(std::string_view s);
[[nodiscard]] std::optional<consensus_method> parse_consensus(std::string_view s);
[[nodiscard]] std::optional<similarity_method> parse_similarity(std::string_view s);

/// A judge for full debates, majority for lite ones.
[[nodiscard]] constexpr consensus_method default_consensus(protocol_kind p) {
  return p == protocol_kind::full ? consensus_method::judge : consensus_method::majority;
}

struct agent_spec {
  std::string name;      // unique within a debate
  std::string provider;  // "mock"
  std::string option;    // provider option (the mock's style)
};

struct debate_spec {
  std::string id;
  std::string question;
  std::vector<agent_spec> agents;
  protocol_kind protocol = protocol_kind::lite;
  consensus_method consensus = consensus_method::majority;
  uint32_t rounds = defaults::rounds;
  bool early_stop = true;
  double consensus_threshold = defaults::consensus_threshold;
  similarity_method similarity = similarity_method::tfidf;
  double convergence_threshold = defaults::convergence_threshold;
  uint32_t max_judges = defaults::max_judges;
  uint32_t seed = defaults::seed;
  std::chrono::milliseconds agent_timeout{defaults::agent_timeout};
  double budget_usd = defaults::budget_usd;  // USD its agent calls may cost; 0 = no budget
  std::string context;  // prior knowledge handed to every agent
  std::string domain = "general";  // for per-domain ratings
  std::string requested_by;        // who started it (audit log)
};

/// Why a debate spec was refused. Stable codes: they appear in CLI and API errors.
enum class spec_errc : uint8_t {
  empty_question = 1,
  question_too_long,
  rounds_out_of_range,
  too_few_agents,
  too_many_agents,
  duplicate_agent,
  bad_threshold,
  bad_fail_rate,  // the CLI's --fail-rate (mock configuration, not part of a spec any more)
  invalid_utf8,  // stored text must be UTF-8: protobuf cannot read the record back otherwise
  bad_duration,
  bad_budget,
};

using spec_error = error<spec_errc>;

[[nodiscard]] std::string_view to_string(spec_errc x);

/// Checks the limits every debate must respect (defaults.hpp); providers are checked by the
/// agent component.
[[nodiscard]] std::optional<spec_error> validate(const debate_spec& spec);

inline constexpr uint8_t no_agent = 0xFF;

/// Identifies one agent call of a debate. `target` is the criticised agent for critiques, the
/// judge attempt for judge calls and `no_agent` otherwise.
struct call_key {
  phase ph = phase::propose;
  uint8_t round = 0;
  uint8_t agent = 0;
  uint8_t target = no_agent;

  [[nodiscard]] uint32_t packed() const {
    return (uint32_t{static_cast<uint8_t>(ph)} << 24) | (uint32_t{round} << 16) |
           (uint32_t{agent} << 8) | target;
  }
  friend bool operator==(const call_key&, const call_key&) = default;
};

struct proposal_ref {
  uint8_t agent;
  text_ptr text;
};

struct critique_ref {
  uint8_t critic;
  text_ptr text;
  double severity;
};

struct ballot {
  uint8_t voter;
  uint8_t choice;
  double confidence;
};

/// One message of the debate so far, as real agents' prompts show it ({history}).
struct history_item {
  uint8_t round = 0;
  phase ph = phase::propose;
  uint8_t agent = 0;
  uint8_t target = no_agent;  // critique: the criticised agent
  text_ptr text;
};

// Inputs shared by the calls of one step, so copying a call copies pointers, not lists.
using critique_list = std::shared_ptr<const std::vector<critique_ref>>;
using proposal_list = std::shared_ptr<const std::vector<proposal_ref>>;
using ballot_list = std::shared_ptr<const std::vector<ballot>>;
using history_list = std::shared_ptr<const std::vector<history_item>>;

/// What an agent is asked to do: everything a provider needs besides the debate spec.
struct call_request {
  call_key key;
  text_ptr target_text;     // critique: the proposal under review; revise: own text
  critique_list critiques;  // revise / later lite proposals: critiques addressed to it
  proposal_list proposals;  // vote / judge: the candidates
  ballot_list ballots;      // judge: the votes cast
  history_list history;     // proposals, revisions and critiques so far (debates of real agents)
};

/// Empty lists compare and iterate like empty vectors.
template <class T>
[[nodiscard]] const std::vector<T>& items(const std::shared_ptr<const std::vector<T>>& list) {
  static const std::vector<T> none;
  return list ? *list : none;
}

/// Stable error codes of a failed agent call.
enum class call_errc : uint8_t { timeout = 1, provider_error, cancelled, bad_reply };
[[nodiscard]] std::string_view to_string(call_errc x);
[[nodiscard]] std::optional<call_errc> parse_call_errc(std::string_view s);

/// What came back from an agent call.
struct call_outcome {
  call_key key;
  std::optional<call_errc> error;  // set = the call failed
  std::string error_message;
  text_ptr text;                   // proposal, revision, critique, vote reasoning, synthesis
  double severity = 0;             // critique, 0..10
  std::string issues;              // critique: one issue per line
  uint8_t choice = no_agent;       // vote / judge: the agent whose proposal is chosen
  double confidence = 0;           // vote / judge, 0..1
  uint32_t tokens_in = 0;
  uint32_t tokens_out = 0;
  double cost_usd = 0;
  /// The prompt's debate history was compressed to this share of its length (0: it was not).
  double context_ratio = 0;

  [[nodiscard]] bool ok() const { return !error.has_value(); }
};

using digest = std::array<uint8_t, 32>;

struct receipt_signature {
  std::string key_id;  // first 16 hex digits of SHA-256(key)
  std::string value;   // hex HMAC-SHA256 of the canonical encoding
};

/// What a finished debate's receipt says about itself: id, content digest, signature.
struct sealed_receipt {
  std::string id;
  std::string sha256;
  std::optional<receipt_signature> signature;
};

/// One message of the transcript.
struct transcript_entry {
  call_key key;
  time_point at;
  text_ptr text;
  double severity = 0;
  std::string issues;  // one per line
  uint8_t choice = no_agent;
  double confidence = 0;
  uint32_t tokens = 0;     // out
  uint32_t tokens_in = 0;
  double cost_usd = 0;
  double context_ratio = 0;  // its prompt's history compressed to this share (0: not)
  digest sha256{};
};

}  // namespace aragora::debate
