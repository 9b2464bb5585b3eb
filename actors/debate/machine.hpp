#pragma once
// The debate protocol as a pure state machine (no actors, no I/O, time passed in).
//
// The machine issues agent calls one step at a time (a step = one phase of one round, or one
// judge attempt), records their outcomes in any order, and advances when every call of the step
// has an outcome. Everything it records is announced as an `event_ref`; outcomes fed back in the
// order of those events rebuild the same state (event sourcing). The transcript is kept in
// arrival order and sorted canonically (round, phase, agent, target) for results and receipts, so
// the same outcomes give the same result whatever order the replies arrived in.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "actors/debate/consensus.hpp"
#include "actors/debate/convergence.hpp"
#include "actors/debate/types.hpp"

namespace aragora::debate {

enum class event_type : uint8_t {
  debate_start = 1,
  round_start,
  agent_message,
  critique,
  vote,
  consensus,
  debate_end,
  token_delta,
  agent_error,
  heartbeat,
  convergence,
};

[[nodiscard]] std::string_view to_string(event_type x);

/// Something the machine recorded. `index` points into the table of its kind: the transcript
/// (agent_message, critique, vote), errors, consensus checks or convergence reports.
struct event_ref {
  uint32_t seq;
  event_type type;
  uint32_t round;
  uint32_t index;
};

struct agent_error_entry {
  call_key key;
  call_errc code;
  std::string message;
  time_point at;
  uint32_t tokens_in = 0;  // what the failed call still used
  uint32_t tokens_out = 0;
  double cost_usd = 0;
};

struct consensus_entry {
  uint32_t round;
  consensus_decision decision;
  std::string method;
  time_point at;
};

struct convergence_entry {
  convergence_report report;
  time_point at;
};

struct agent_stats {
  uint32_t calls = 0;
  uint32_t failures = 0;
  uint32_t tokens_in = 0;
  uint32_t tokens_out = 0;
  double cost_usd = 0;
  bool contributed = false;
};

/// How a finished debate ended.
struct final_state {
  debate_status status = debate_status::running;
  verdict decision = verdict::rejected;
  double confidence = 0;
  bool reached = false;
  uint8_t winner = no_agent;
  uint8_t judge = no_agent;
  text_ptr final_answer;
  std::string method_used;
  std::string error;
  std::vector<ballot> ballots;  // the votes the decision rests on
  time_point at;
};

/// Rule parameters that are node configuration rather than part of a debate's spec.
struct machine_options {
  double supermajority = defaults::supermajority_threshold;
  uint32_t min_participation = defaults::min_participation;
  double participation_ratio = defaults::participation_ratio;
  double divergence_threshold = defaults::divergence_threshold;
  double approve_confidence = defaults::approve_confidence;
  double review_confidence = defaults::review_confidence;
  uint32_t min_rounds = defaults::min_rounds;  // lite early stop applies from this round on
};

/// The agent a message is about: the criticised one, the chosen one, or `no_agent`.
[[nodiscard]] inline uint8_t message_target(const transcript_entry& e) {
  switch (e.key.ph) {
    case phase::critique: return e.key.target;
    case phase::vote:
    case phase::judge: return e.choice;
    default: return no_agent;
  }
}

class debate_machine {
public:
  struct step_result {
    std::span<const event_ref> events;  // valid until the next call on the machine
    bool new_step = false;              // calls() changed: dispatch the pending ones
  };

  explicit debate_machine(std::shared_ptr<const debate_spec> spec, machine_options opts = {});

  /// Emits debate_start and round_start and issues the first step.
  [[nodiscard]] step_result start(time_point now);

  /// Records one call outcome. Outcomes for calls that are not pending (stale or duplicate) are
  /// ignored and produce no event.
  [[nodiscard]] step_result record(call_outcome outcome, time_point now);

  /// Fails every pending call of the current step with `timeout`.
  [[nodiscard]] step_result expire(time_point now);

  /// Ends the debate as cancelled; pending calls are abandoned.
  [[nodiscard]] step_result cancel(time_point now, std::string reason);

  // -- the current step ---------------------------------------------------------------------
  [[nodiscard]] const std::vector<call_request>& calls() const { return calls_; }
  [[nodiscard]] bool pending(size_t call_index) const { return done_[call_index] == 0; }
  [[nodiscard]] uint32_t step() const { return step_; }
  [[nodiscard]] phase current_phase() const { return phase_; }
  [[nodiscard]] uint32_t round() const { return round_; }

  // -- what has been recorded ---------------------------------------------------------------
  [[nodiscard]] bool started() const { return seq_ != 0; }
  [[nodiscard]] bool finished() const { return final_.has_value(); }
  [[nodiscard]] const final_state& outcome() const { return *final_; }
  [[nodiscard]] const debate_spec& spec() const { return *spec_; }
  [[nodiscard]] const std::shared_ptr<const debate_spec>& spec_ptr() const { return spec_; }
  [[nodiscard]] const std::vector<transcript_entry>& transcript() const { return transcript_; }
  /// The vote `voter` cast in the deciding round, if any.
  [[nodiscard]] const transcript_entry* final_vote(uint8_t voter) const;
  /// Transcript indices in canonical order (round, phase, agent, target).
  [[nodiscard]] std::vector<uint32_t> canonical_order() const;
  [[nodiscard]] const std::vector<agent_error_entry>& errors() const { return errors_; }
  [[nodiscard]] const std::vector<consensus_entry>& checks() const { return checks_; }
  [[nodiscard]] const std::vector<convergence_entry>& convergence() const { return convergence_; }
  [[nodiscard]] const std::vector<agent_stats>& stats() const { return stats_; }
  [[nodiscard]] uint32_t agent_calls() const;
  [[nodiscard]] uint32_t failed_calls() const;
  /// What every call so far cost, failed ones included.
  [[nodiscard]] double cost_usd() const { return cost_usd_; }
  /// Calls whose prompt carried a compressed history, and the mean share of its length left.
  [[nodiscard]] uint32_t compressed_calls() const { return compressed_calls_; }
  [[nodiscard]] double compression_ratio() const {
    return compressed_calls_ ? ratio_sum_ / compressed_calls_ : 0;
  }
  [[nodiscard]] uint32_t rounds_used() const { return rounds_used_; }
  [[nodiscard]] uint32_t last_seq() const { return seq_; }
  [[nodiscard]] time_point started_at() const { return started_at_; }
  [[nodiscard]] const std::string& agent_name(uint8_t i) const { return spec_->agents[i].name; }
  /// The agent's name, or empty for `no_agent`.
  [[nodiscard]] std::string_view name_or_empty(uint8_t i) const {
    return i == no_agent ? std::string_view{} : std::string_view{agent_name(i)};
  }
  [[nodiscard]] const machine_options& options() const { return opts_; }

  /// Lets go of the texts of the first `n` transcript entries (their digests stay), for debates
  /// whose owner takes a summary: the protocol keeps what later calls still need, and votes stay
  /// (the consensus record and the receipt quote the dissenters).
  void release_texts(size_t n);

private:
  void emit(event_type type, uint32_t index = 0);
  void begin_step(phase ph);
  void add_call(call_request request);
  [[nodiscard]] critique_list take_inbox(uint8_t agent);
  [[nodiscard]] proposal_list candidates() const;
  void begin_propose();
  void begin_critique();
  void begin_revise();
  void begin_vote();
  void begin_judge();
  void record_one(call_outcome&& outcome, time_point now);
  [[nodiscard]] std::optional<std::string> reply_problem(const call_request& call,
                                                         const call_outcome& outcome) const;
  void complete_step(time_point now);
  void conclude(time_point now);
  void add_check(consensus_decision d, std::string method, time_point now);
  void decide_by_votes(time_point now, const consensus_decision& d, bool judge_fallback);
  void finish(time_point now, final_state state);
  void end_over_budget(time_point now);
  [[nodiscard]] bool spent() const;
  [[nodiscard]] consensus_params rule() const;

  std::shared_ptr<const debate_spec> spec_;
  machine_options opts_;
  uint8_t n_;

  uint32_t round_ = 0;
  phase phase_ = phase::propose;
  uint32_t step_ = 0;
  std::vector<call_request> calls_;
  std::vector<uint8_t> done_;
  uint32_t remaining_ = 0;

  std::vector<text_ptr> current_;   // each agent's latest proposal or revision
  std::vector<text_ptr> previous_;  // full protocol: texts at the end of the previous round
  std::vector<std::vector<critique_ref>> inbox_;  // critiques addressed to each agent
  std::vector<ballot> ballots_;     // the current vote step
  consensus_decision last_vote_;
  std::vector<uint8_t> judge_order_;
  uint32_t judge_attempt_ = 0;
  std::optional<uint32_t> judge_entry_;  // the transcript entry of the current judge's reply

  std::vector<transcript_entry> transcript_;
  std::vector<agent_error_entry> errors_;
  std::vector<consensus_entry> checks_;
  std::vector<convergence_entry> convergence_;
  std::vector<agent_stats> stats_;
  std::vector<event_ref> emitted_;
  uint32_t seq_ = 0;
  uint32_t rounds_used_ = 0;
  double cost_usd_ = 0;
  uint32_t compressed_calls_ = 0;
  double ratio_sum_ = 0;
  // Debates of real agents keep their history for the prompts ({history}); the mock needs none.
  bool keeps_history_ = false;
  std::vector<history_item> history_;
  history_list history_shared_;  // history_ as the current step's calls see it
  text_ptr checked_text_;  // the leading proposal at the last consensus check
  std::vector<ballot> checked_ballots_;  // and the votes it counted
  size_t released_ = 0;
  time_point started_at_{};
  std::optional<final_state> final_;
};

}  // namespace aragora::debate
