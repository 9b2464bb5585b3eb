#include "actors/debate/machine.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "actors/debate/canonical.hpp"

namespace aragora::debate {

namespace {

/// Times are kept at the microsecond precision the log and the receipt carry, so a replayed
/// debate has the same digests.
time_point to_stored(time_point t) { return from_micros(to_micros(t)); }

}  // namespace

std::string_view to_string(event_type x) {
  switch (x) {
    case event_type::debate_start: return "debate_start";
    case event_type::round_start: return "round_start";
    case event_type::agent_message: return "agent_message";
    case event_type::critique: return "critique";
    case event_type::vote: return "vote";
    case event_type::consensus: return "consensus";
    case event_type::debate_end: return "debate_end";
    case event_type::token_delta: return "token_delta";
    case event_type::agent_error: return "agent_error";
    case event_type::heartbeat: return "heartbeat";
    case event_type::convergence: return "convergence";
  }
  return "unknown";
}

debate_machine::debate_machine(std::shared_ptr<const debate_spec> spec, machine_options opts)
    : spec_(std::move(spec)),
      opts_(opts),
      n_(static_cast<uint8_t>(spec_->agents.size())),
      current_(n_),
      inbox_(n_),
      stats_(n_) {
  uint32_t n = n_, r = spec_->rounds;
  auto most = spec_->protocol == protocol_kind::lite ? r * (n * n + n) : n + r * n * n + n;
  transcript_.reserve(most + spec_->max_judges);
  keeps_history_ = std::any_of(spec_->agents.begin(), spec_->agents.end(),
                               [](const agent_spec& a) { return a.provider != "mock"; });
  calls_.reserve(n * n);
  done_.reserve(n * n);
}

consensus_params debate_machine::rule() const {
  return consensus_params{spec_->consensus, spec_->consensus_threshold, opts_.supermajority,
                          opts_.min_participation, opts_.participation_ratio};
}

void debate_machine::emit(event_type type, uint32_t index) {
  emitted_.push_back(event_ref{++seq_, type, round_, index});
}

void debate_machine::begin_step(phase ph) {
  phase_ = ph;
  ++step_;
  calls_.clear();
  done_.clear();
  remaining_ = 0;
}

void debate_machine::add_call(call_request request) {
  ++stats_[request.key.agent].calls;
  if (keeps_history_) {
    // One snapshot per change, shared by the calls that follow it.
    if (!history_shared_ || history_shared_->size() != history_.size()) {
      // In canonical order, not arrival order: a prompt does not depend on who answered first.
      std::stable_sort(history_.begin(), history_.end(), [](const history_item& a, const history_item& b) {
        return std::tuple{a.round, static_cast<uint8_t>(a.ph), a.agent, a.target} <
               std::tuple{b.round, static_cast<uint8_t>(b.ph), b.agent, b.target};
      });
      history_shared_ = std::make_shared<const std::vector<history_item>>(history_);
    }
    request.history = history_shared_;
  }
  calls_.push_back(std::move(request));
  done_.push_back(0);
  ++remaining_;
}

debate_machine::step_result debate_machine::start(time_point now) {
  emitted_.clear();
  if (started()) return {emitted_, false};
  started_at_ = to_stored(now);
  round_ = 1;
  emit(event_type::debate_start);
  emit(event_type::round_start);
  begin_propose();
  return {emitted_, true};
}

critique_list debate_machine::take_inbox(uint8_t agent) {
  auto& box = inbox_[agent];
  if (box.empty()) return nullptr;
  // Critiques arrive in any order; agents see them in critic order, so replies do not depend on
  // timing.
  std::sort(box.begin(), box.end(),
            [](const critique_ref& a, const critique_ref& b) { return a.critic < b.critic; });
  auto list = std::make_shared<const std::vector<critique_ref>>(std::move(box));
  box.clear();
  return list;
}

proposal_list debate_machine::candidates() const {
  auto list = std::make_shared<std::vector<proposal_ref>>();
  list->reserve(n_);
  for (uint8_t j = 0; j < n_; ++j)
    if (current_[j]) list->push_back({j, current_[j]});
  return list;
}

void debate_machine::begin_propose() {
  begin_step(phase::propose);
  // A round's proposals replace the previous round's: an agent that fails to propose this round
  // has no candidate in it.
  std::fill(current_.begin(), current_.end(), nullptr);
  for (uint8_t i = 0; i < n_; ++i) {
    call_request r;
    r.key = {phase::propose, static_cast<uint8_t>(round_), i, no_agent};
    // Later lite rounds answer the critiques of the previous round.
    r.critiques = take_inbox(i);
    add_call(std::move(r));
  }
}

void debate_machine::begin_critique() {
  begin_step(phase::critique);
  for (auto& box : inbox_) box.clear();
  for (uint8_t i = 0; i < n_; ++i)
    for (uint8_t j = 0; j < n_; ++j) {
      if (i == j || !current_[j]) continue;
      call_request r;
      r.key = {phase::critique, static_cast<uint8_t>(round_), i, j};
      r.target_text = current_[j];
      add_call(std::move(r));
    }
}

void debate_machine::begin_revise() {
  begin_step(phase::revise);
  for (uint8_t i = 0; i < n_; ++i) {
    if (!current_[i]) {
      inbox_[i].clear();
      continue;
    }
    call_request r;
    r.key = {phase::revise, static_cast<uint8_t>(round_), i, no_agent};
    r.target_text = current_[i];
    r.critiques = take_inbox(i);
    add_call(std::move(r));
  }
}

void debate_machine::begin_vote() {
  begin_step(phase::vote);
  ballots_.clear();
  // A lite round's critiques wait for the next round's proposals; after the last round's vote
  // there is none, and nothing else reads them (the transcript keeps its own reference).
  if (spec_->protocol == protocol_kind::lite && round_ >= spec_->rounds)
    for (auto& box : inbox_) box.clear();
  auto list = candidates();
  for (uint8_t i = 0; i < n_; ++i) {
    call_request r;
    r.key = {phase::vote, static_cast<uint8_t>(round_), i, no_agent};
    r.proposals = list;
    add_call(std::move(r));
  }
}

void debate_machine::begin_judge() {
  begin_step(phase::judge);
  judge_entry_.reset();
  call_request r;
  r.key = {phase::judge, static_cast<uint8_t>(round_), judge_order_[judge_attempt_],
           static_cast<uint8_t>(judge_attempt_)};
  r.proposals = candidates();
  r.ballots = std::make_shared<const std::vector<ballot>>(ballots_);
  add_call(std::move(r));
}

debate_machine::step_result debate_machine::record(call_outcome outcome, time_point now) {
  emitted_.clear();
  now = to_stored(now);
  auto step_before = step_;
  record_one(std::move(outcome), now);
  return {emitted_, step_ != step_before && !finished()};
}

debate_machine::step_result debate_machine::expire(time_point now) {
  emitted_.clear();
  now = to_stored(now);
  auto step_before = step_;
  for (size_t i = 0; i < calls_.size() && step_ == step_before && !finished(); ++i) {
    if (done_[i]) continue;
    call_outcome o;
    o.key = calls_[i].key;
    o.error = call_errc::timeout;
    o.error_message = "no reply before the phase deadline";
    record_one(std::move(o), now);
  }
  return {emitted_, step_ != step_before && !finished()};
}

debate_machine::step_result debate_machine::cancel(time_point now, std::string reason) {
  emitted_.clear();
  now = to_stored(now);
  if (!finished()) {
    final_state s;
    s.status = debate_status::cancelled;
    s.error = std::move(reason);
    finish(now, std::move(s));
  }
  return {emitted_, false};
}

std::optional<std::string> debate_machine::reply_problem(const call_request& call,
                                                         const call_outcome& o) const {
  if (!o.text) return "the reply has no text";
  if (call.key.ph == phase::vote || call.key.ph == phase::judge) {
    const auto& proposals = items(call.proposals);
    bool valid = std::any_of(proposals.begin(), proposals.end(),
                             [&](const proposal_ref& p) { return p.agent == o.choice; });
    if (!valid) return "the reply chooses no proposal of this debate";
  }
  return std::nullopt;
}

void debate_machine::record_one(call_outcome&& o, time_point now) {
  if (finished()) return;
  size_t idx = calls_.size();
  for (size_t i = 0; i < calls_.size(); ++i)
    if (calls_[i].key == o.key) {
      idx = i;
      break;
    }
  if (idx == calls_.size() || done_[idx]) return;  // stale or duplicate
  const auto& call = calls_[idx];
  auto agent = call.key.agent;
  auto& st = stats_[agent];
  // Numbers are kept as receipts and digests carry them (six decimals, finite).
  o.cost_usd = canonical_double(o.cost_usd);
  st.tokens_in += o.tokens_in;
  st.tokens_out += o.tokens_out;
  st.cost_usd += o.cost_usd;
  cost_usd_ += o.cost_usd;
  if (o.ok()) {
    if (auto problem = reply_problem(call, o)) {
      o.error = call_errc::bad_reply;
      o.error_message = *problem;
    }
  }
  if (!o.ok()) {
    ++st.failures;
    errors_.push_back({call.key, *o.error, std::move(o.error_message), now, o.tokens_in, o.tokens_out, o.cost_usd});
    emit(event_type::agent_error, static_cast<uint32_t>(errors_.size() - 1));
  } else {
    st.contributed = true;
    transcript_entry e;
    e.key = call.key;
    e.at = now;
    e.text = std::move(o.text);
    e.tokens = o.tokens_out;
    e.tokens_in = o.tokens_in;
    e.cost_usd = o.cost_usd;
    if (o.context_ratio > 0) {
      e.context_ratio = canonical_double(std::clamp(o.context_ratio, 0.000001, 1.0));
      ++compressed_calls_;
      ratio_sum_ += e.context_ratio;
    }
    if (keeps_history_ && call.key.ph != phase::vote && call.key.ph != phase::judge)
      history_.push_back({call.key.round, call.key.ph, agent, call.key.target, e.text});
    auto type = event_type::agent_message;
    switch (call.key.ph) {
      case phase::propose:
      case phase::revise:
        current_[agent] = e.text;
        break;
      case phase::critique:
        type = event_type::critique;
        e.severity = canonical_double(std::clamp(o.severity, 0.0, 10.0));
        e.issues = std::move(o.issues);
        inbox_[call.key.target].push_back({agent, e.text, e.severity});
        break;
      case phase::vote:
        type = event_type::vote;
        e.choice = o.choice;
        e.confidence = canonical_double(std::clamp(o.confidence, 0.0, 1.0));
        ballots_.push_back({agent, o.choice, e.confidence});
        break;
      case phase::judge:
        e.choice = o.choice;
        e.confidence = canonical_double(std::clamp(o.confidence, 0.0, 1.0));
        judge_entry_ = static_cast<uint32_t>(transcript_.size());
        break;
    }
    e.sha256 = message_digest({e.key.round, e.key.ph, agent_name(agent),
                               name_or_empty(message_target(e)), to_micros(e.at), *e.text,
                               e.severity, e.issues, e.confidence});
    transcript_.push_back(std::move(e));
    emit(type, static_cast<uint32_t>(transcript_.size() - 1));
  }
  done_[idx] = 1;
  // Spent mid-step: it ends now. At a step's end, the step still concludes (the last vote that
  // spends the budget decides) and complete_step begins no other.
  if (--remaining_ == 0) complete_step(now);
  else if (spent()) end_over_budget(now);
}

bool debate_machine::spent() const {
  // Costs are whole micro-dollars: a sum of them is off by float rounding, never by 1e-7.
  return spec_->budget_usd > 0 && cost_usd_ + 1e-7 >= spec_->budget_usd;
}

void debate_machine::end_over_budget(time_point now) {
  final_state s;
  s.status = debate_status::budget_exceeded;
  auto usd = [](double d) {
    auto micros = std::to_string(std::llround(d * 1e6));
    while (micros.size() < 7) micros.insert(0, "0");
    micros.insert(micros.size() - 6, ".");
    return "$" + micros;
  };
  s.error = "its agent calls cost " + usd(cost_usd_) + " of a " + usd(spec_->budget_usd) + " budget";
  // What was decided so far: the last vote's outcome, if a vote was counted.
  if (!checks_.empty()) {
    const auto& d = checks_.back().decision;
    s.reached = d.reached;
    s.confidence = d.confidence;
    s.method_used = checks_.back().method;
    if (d.reached) s.winner = d.leader;
    s.final_answer = checked_text_;
    s.ballots = checked_ballots_;
  }
  rounds_used_ = round_;
  finish(now, std::move(s));
}

void debate_machine::complete_step(time_point now) {
  auto lite = spec_->protocol == protocol_kind::lite;
  switch (phase_) {
    case phase::propose: {
      bool any = std::any_of(current_.begin(), current_.end(), [](auto& t) { return t != nullptr; });
      if (!any) {
        final_state s;
        s.status = debate_status::failed;
        s.error = "no agent produced a proposal in round " + std::to_string(round_);
        rounds_used_ = round_;
        finish(now, std::move(s));
        return;
      }
      if (spent()) return end_over_budget(now);
      begin_critique();
      return;
    }
    case phase::critique:
      if (spent()) return end_over_budget(now);
      if (lite)
        begin_vote();
      else
        begin_revise();
      return;
    case phase::revise: {
      bool converged = false;
      if (round_ >= 2) {
        auto report = assess_convergence(spec_->similarity, current_, previous_,
                                         spec_->convergence_threshold, opts_.divergence_threshold);
        report.round = round_;
        converged = report.status == convergence_status::converged;
        convergence_.push_back({std::move(report), now});
        emit(event_type::convergence, static_cast<uint32_t>(convergence_.size() - 1));
      }
      previous_ = current_;
      rounds_used_ = round_;
      if (spent()) return end_over_budget(now);
      if ((spec_->early_stop && converged) || round_ >= spec_->rounds) {
        begin_vote();
      } else {
        ++round_;
        emit(event_type::round_start);
        begin_critique();
      }
      return;
    }
    case phase::vote: {
      // Tallies are sums of doubles: add them in voter order, not arrival order.
      std::sort(ballots_.begin(), ballots_.end(),
                [](const ballot& a, const ballot& b) { return a.voter < b.voter; });
      last_vote_ = decide(rule(), ballots_, n_);
      if (lite) {
        rounds_used_ = round_;
        add_check(last_vote_, std::string{to_string(spec_->consensus)}, now);
        bool stop_early = spec_->early_stop && last_vote_.reached && round_ >= opts_.min_rounds &&
                          spec_->consensus != consensus_method::none;
        if (!stop_early && round_ < spec_->rounds) {
          if (spent()) return end_over_budget(now);  // no further round; this vote decided
          ++round_;
          emit(event_type::round_start);
          begin_propose();
          return;
        }
      } else if (spent() && spec_->consensus == consensus_method::judge && last_vote_.quorum_met) {
        // No judge is asked: the votes are what was decided.
        add_check(last_vote_, "majority (judge skipped: budget)", now);
        return end_over_budget(now);
      }
      conclude(now);
      return;
    }
    case phase::judge: {
      if (judge_entry_) {
        const auto& last = transcript_[*judge_entry_];
        final_state s;
        s.status = debate_status::consensus_reached;
        s.reached = true;
        s.winner = last.choice;
        s.judge = last.key.agent;
        s.confidence = last.confidence;
        s.final_answer = last.text;
        s.method_used = "judge";
        s.ballots = ballots_;
        auto judged = last_vote_;
        judged.reached = true;
        judged.confidence = last.confidence;
        judged.leader = last.choice;
        add_check(std::move(judged), "judge", now);
        finish(now, std::move(s));
      } else if (spent()) {
        if (spec_->protocol == protocol_kind::full) add_check(last_vote_, "majority (judge skipped: budget)", now);
        end_over_budget(now);
      } else if (++judge_attempt_ < judge_order_.size()) {
        begin_judge();
      } else {
        decide_by_votes(now, last_vote_, true);
      }
      return;
    }
  }
}

void debate_machine::conclude(time_point now) {
  const auto& d = last_vote_;
  if (spec_->consensus == consensus_method::judge && d.quorum_met) {
    // Judges in order of the support their own proposals received, ties by agent order.
    std::vector<uint8_t> order(n_);
    std::iota(order.begin(), order.end(), uint8_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](uint8_t a, uint8_t b) { return d.tally[a] > d.tally[b]; });
    order.resize(std::min<size_t>(order.size(), std::max<uint32_t>(spec_->max_judges, 1)));
    judge_order_ = std::move(order);
    judge_attempt_ = 0;
    begin_judge();
    return;
  }
  decide_by_votes(now, d, false);
}

void debate_machine::add_check(consensus_decision d, std::string method, time_point now) {
  // Kept for a debate that ends over its budget later: a new round clears current_.
  checked_text_ = d.leader != no_agent ? current_[d.leader] : nullptr;
  checked_ballots_ = ballots_;
  checks_.push_back({round_, std::move(d), std::move(method), now});
  emit(event_type::consensus, static_cast<uint32_t>(checks_.size() - 1));
}

void debate_machine::decide_by_votes(time_point now, const consensus_decision& d,
                                     bool judge_fallback) {
  std::string method =
      judge_fallback ? "majority (judge fallback)" : std::string{to_string(spec_->consensus)};
  // Lite debates announced this decision when the votes came in.
  if (spec_->protocol == protocol_kind::full || judge_fallback) add_check(d, method, now);
  final_state s;
  s.method_used = std::move(method);
  s.ballots = ballots_;
  if (!d.quorum_met) {
    s.status = debate_status::insufficient_participation;
    s.error = std::to_string(d.votes) + " valid votes, " + std::to_string(d.quorum) + " needed";
  } else if (spec_->consensus == consensus_method::none) {
    s.status = debate_status::no_consensus;
    s.confidence = d.confidence;
    std::string all;
    for (uint8_t i = 0; i < n_; ++i) {
      if (!current_[i]) continue;
      if (!all.empty()) all += "\n\n";
      all += "[" + agent_name(i) + "]: " + *current_[i];
    }
    s.final_answer = make_text(std::move(all));
  } else {
    s.reached = d.reached;
    s.status = d.reached ? debate_status::consensus_reached : debate_status::no_consensus;
    s.confidence = d.confidence;
    if (d.reached) s.winner = d.leader;
    if (d.leader != no_agent) s.final_answer = current_[d.leader];
  }
  finish(now, std::move(s));
}

void debate_machine::finish(time_point now, final_state s) {
  s.at = now;
  s.confidence = canonical_double(s.confidence);
  if (s.status != debate_status::consensus_reached && s.status != debate_status::no_consensus &&
      s.status != debate_status::budget_exceeded)
    s.confidence = 0;
  auto reference = s.winner != no_agent ? s.winner : last_vote_.leader;
  bool dissent = std::any_of(s.ballots.begin(), s.ballots.end(),
                             [&](const ballot& b) { return b.choice != reference; });
  s.decision = verdict_for(s.reached, s.confidence, dissent, opts_.approve_confidence,
                           opts_.review_confidence);
  if (rounds_used_ == 0) rounds_used_ = round_;
  calls_.clear();
  done_.clear();
  remaining_ = 0;
  final_ = std::move(s);
  emit(event_type::debate_end);
}

const transcript_entry* debate_machine::final_vote(uint8_t voter) const {
  // Votes are among the last entries: search from the end.
  for (auto it = transcript_.rbegin(); it != transcript_.rend(); ++it) {
    if (it->key.round < rounds_used_) break;
    if (it->key.ph == phase::vote && it->key.agent == voter && it->key.round == rounds_used_)
      return &*it;
  }
  return nullptr;
}

uint32_t debate_machine::agent_calls() const {
  uint32_t n = 0;
  for (const auto& s : stats_) n += s.calls;
  return n;
}

uint32_t debate_machine::failed_calls() const {
  uint32_t n = 0;
  for (const auto& s : stats_) n += s.failures;
  return n;
}

void debate_machine::release_texts(size_t n) {
  n = std::min(n, transcript_.size());
  for (; released_ < n; ++released_)
    if (transcript_[released_].key.ph != phase::vote) transcript_[released_].text.reset();
}

std::vector<uint32_t> debate_machine::canonical_order() const {
  std::vector<uint32_t> order(transcript_.size());
  std::iota(order.begin(), order.end(), 0u);
  auto rank = [&](uint32_t i) {
    const auto& k = transcript_[i].key;
    return std::tuple{k.round, static_cast<uint8_t>(k.ph), k.agent, k.target};
  };
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return rank(a) < rank(b); });
  return order;
}

}  // namespace aragora::debate
