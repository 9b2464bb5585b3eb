// Debate types <-> wire.proto: every call of real debates, outcomes and reports round trip; the
// tables send a shared text or list once and the receiver shares it again; what does not fit is
// refused with its code.

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <set>

#include "actors/debate/actor/wire_codec.hpp"
#include "tests/support/wire_samples.hpp"

namespace {

using namespace aragora;
using namespace aragora::debate;

/// The decoded value (a default one, and a failure, when it was refused).
template <class T>
T ok(decoded<T> d) {
  if (!d) {
    ADD_FAILURE() << d.error().code_name() << ": " << d.error().message;
    return T{};
  }
  return std::move(d).value();
}

template <class T>
std::optional<decode_errc> refusal(const decoded<T>& d) {
  if (!d) return d.error().code;
  return std::nullopt;
}

std::string text_of(const text_ptr& t) {
  return t ? "[" + *t + "]" : "null";
}

void expect_same_call(const call_request& a, const call_request& b) {
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(text_of(a.target_text), text_of(b.target_text));
  EXPECT_EQ(a.critiques == nullptr, b.critiques == nullptr);
  EXPECT_EQ(a.proposals == nullptr, b.proposals == nullptr);
  EXPECT_EQ(a.ballots == nullptr, b.ballots == nullptr);
  ASSERT_EQ(items(a.critiques).size(), items(b.critiques).size());
  for (size_t i = 0; i < items(a.critiques).size(); ++i) {
    const auto& x = items(a.critiques)[i];
    const auto& y = items(b.critiques)[i];
    EXPECT_EQ(x.critic, y.critic);
    EXPECT_EQ(text_of(x.text), text_of(y.text));
    EXPECT_EQ(x.severity, y.severity);
  }
  ASSERT_EQ(items(a.proposals).size(), items(b.proposals).size());
  for (size_t i = 0; i < items(a.proposals).size(); ++i) {
    EXPECT_EQ(items(a.proposals)[i].agent, items(b.proposals)[i].agent);
    EXPECT_EQ(text_of(items(a.proposals)[i].text), text_of(items(b.proposals)[i].text));
  }
  ASSERT_EQ(items(a.ballots).size(), items(b.ballots).size());
  for (size_t i = 0; i < items(a.ballots).size(); ++i) {
    EXPECT_EQ(items(a.ballots)[i].voter, items(b.ballots)[i].voter);
    EXPECT_EQ(items(a.ballots)[i].choice, items(b.ballots)[i].choice);
    EXPECT_EQ(items(a.ballots)[i].confidence, items(b.ballots)[i].confidence);
  }
}

/// Which calls share which pointers: equal structure on both sides means the receiver shares
/// what the sender shared.
std::vector<std::vector<size_t>> sharing(const std::vector<call_request>& calls) {
  std::vector<const void*> ptrs;
  for (const auto& c : calls) {
    ptrs.push_back(c.target_text.get());
    ptrs.push_back(c.critiques.get());
    ptrs.push_back(c.proposals.get());
    ptrs.push_back(c.ballots.get());
    for (const auto& x : items(c.critiques)) ptrs.push_back(x.text.get());
    for (const auto& x : items(c.proposals)) ptrs.push_back(x.text.get());
  }
  std::vector<std::vector<size_t>> same(ptrs.size());
  for (size_t i = 0; i < ptrs.size(); ++i)
    for (size_t j = 0; j < ptrs.size(); ++j)
      if (ptrs[i] && ptrs[i] == ptrs[j]) same[i].push_back(j);
  return same;
}

std::string bytes_of(const google::protobuf::Message& m) {
  std::string out;
  EXPECT_TRUE(m.SerializeToString(&out));
  return out;
}

class WireCallsOfEveryStep : public ::testing::TestWithParam<protocol_kind> {};

TEST_P(WireCallsOfEveryStep, RoundTripAndShareWhatTheSenderShared) {
  auto spec = std::make_shared<debate_spec>(*test::wire_spec());
  spec->protocol = GetParam();
  spec->consensus = default_consensus(GetParam());
  auto d = test::run_wire_debate(spec);
  ASSERT_GE(d.steps.size(), 4u);
  std::set<phase> phases;
  for (const auto& step : d.steps) {
    v1::AgentCalls p;
    add_calls(step, p);
    // Each distinct text crosses once.
    std::set<const std::string*> texts;
    for (const auto& c : step) {
      if (c.target_text) texts.insert(c.target_text.get());
      for (const auto& x : items(c.critiques)) texts.insert(x.text.get());
      for (const auto& x : items(c.proposals)) texts.insert(x.text.get());
    }
    EXPECT_EQ(static_cast<size_t>(p.texts_size()), texts.size());

    // ... through the bytes, as the peer reads them.
    v1::AgentCalls read;
    ASSERT_TRUE(read.ParseFromString(bytes_of(p)));
    auto back = ok(calls_from_proto(read, spec->agents.size()));
    ASSERT_EQ(back.size(), step.size());
    for (size_t i = 0; i < step.size(); ++i) {
      SCOPED_TRACE(i);
      expect_same_call(step[i], back[i]);
      phases.insert(step[i].key.ph);
      // The provider sees the same call: it answers the same.
      EXPECT_EQ(bytes_of(to_proto(agent::mock_reply(*spec, step[i]))),
                bytes_of(to_proto(agent::mock_reply(*spec, back[i]))));
    }
    EXPECT_EQ(sharing(back), sharing(step));
  }
  EXPECT_TRUE(phases.count(phase::propose) && phases.count(phase::critique) &&
              phases.count(phase::vote));
  if (GetParam() == protocol_kind::full) {
    EXPECT_TRUE(phases.count(phase::revise) && phases.count(phase::judge));
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, WireCallsOfEveryStep,
                         ::testing::Values(protocol_kind::lite, protocol_kind::full));

TEST(WireCalls, EncodingIsPinned) {
  // Two critiques of one proposal and a vote over two: the proposal's text crosses once.
  auto a = make_text("A");
  auto b = make_text("Bb");
  call_request c1, c2, vote;
  c1.key = {phase::critique, 1, 0, 1};
  c1.target_text = b;
  c2.key = {phase::critique, 1, 2, 1};
  c2.target_text = b;
  vote.key = {phase::vote, 1, 1, no_agent};
  vote.proposals = std::make_shared<const std::vector<proposal_ref>>(
      std::vector<proposal_ref>{{0, a}, {1, b}});
  std::vector<call_request> calls{c1, c2, vote};
  v1::AgentCalls p;
  add_calls(calls, p);
  std::string hex;
  for (unsigned char ch : bytes_of(p)) {
    static const char* digits = "0123456789abcdef";
    hex += digits[ch >> 4];
    hex += digits[ch & 15];
  }
  EXPECT_EQ(hex,
            "1a0a"          // call 1, 10 bytes:
            "0a06"          //   key, 6 bytes: critique, round 1, target 1 (agent 0 is default)
            "080210012001"
            "1000"          //   target_text: texts[0]
            "1a0c"          // call 2, 12 bytes:
            "0a08"          //   key: critique, round 1, agent 2, target 1
            "0802100118022001"
            "1000"          //   target_text: texts[0] again
            "1a0a"          // call 3, 10 bytes:
            "0a06"          //   key: vote, round 1, agent 1 (no target)
            "080410011801"
            "2000"          //   proposals: proposal_lists[0]
            "22024262"      // texts[0] = "Bb"
            "220141"        // texts[1] = "A"
            "320a"          // proposal_lists[0], 10 bytes:
            "0a021001"      //   {agent 0, text 1}
            "0a0408011000");  //   {agent 1, text 0}
}

TEST(WireCalls, TheDebateSoFarCrossesWithItsTextsSharedAndBadItemsAreRefused) {
  auto proposal = make_text("Stage it.");
  auto history = std::make_shared<const std::vector<history_item>>(std::vector<history_item>{
      {1, phase::propose, 0, no_agent, proposal},
      {1, phase::critique, 1, 0, make_text("Costs?")},
      {2, phase::revise, 0, no_agent, make_text("Stage it; cost capped.")}});
  std::vector<call_request> step(2);
  for (uint8_t i = 0; i < 2; ++i) {
    step[i].key = {phase::propose, 3, i, no_agent};
    step[i].history = history;
  }
  step[0].target_text = proposal;
  v1::AgentCalls p;
  add_calls(step, p);
  EXPECT_EQ(p.history_lists_size(), 1);  // shared by both calls: crosses once
  EXPECT_EQ(p.texts_size(), 3);          // "Stage it." once, though the target too
  v1::AgentCalls read;
  ASSERT_TRUE(read.ParseFromString(bytes_of(p)));
  auto back = ok(calls_from_proto(read, 3));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].history, back[1].history);
  const auto& h = items(back[0].history);
  ASSERT_EQ(h.size(), 3u);
  for (size_t i = 0; i < h.size(); ++i) {
    const auto& want = (*history)[i];
    EXPECT_EQ(h[i].round, want.round);
    EXPECT_EQ(h[i].ph, want.ph);
    EXPECT_EQ(h[i].agent, want.agent);
    EXPECT_EQ(h[i].target, want.target);
    EXPECT_EQ(*h[i].text, *want.text);
  }
  EXPECT_EQ(h[0].text, back[0].target_text);

  auto bad = read;
  bad.mutable_history_lists(0)->mutable_items(0)->set_phase(v1::Phase::vote);
  EXPECT_EQ(refusal(calls_from_proto(bad, 3)), decode_errc::bad_phase);
  bad = read;
  bad.mutable_history_lists(0)->mutable_items(1)->set_target(7);
  EXPECT_EQ(refusal(calls_from_proto(bad, 3)), decode_errc::index_out_of_range);
  bad = read;
  bad.mutable_calls(1)->set_history(1);
  EXPECT_EQ(refusal(calls_from_proto(bad, 3)), decode_errc::bad_reference);
}

TEST(WireCalls, KeysThatDoNotFitAreRefused) {
  auto with_key = [](auto edit) {
    v1::AgentCalls p;
    auto* k = p.add_calls()->mutable_key();
    k->set_phase(v1::Phase::propose);
    k->set_round(1);
    k->set_agent(0);
    edit(*k);
    return calls_from_proto(p, 3);
  };
  EXPECT_FALSE(refusal(with_key([](v1::CallKey&) {})).has_value());
  EXPECT_EQ(refusal(with_key([](v1::CallKey& k) { k.clear_phase(); })), decode_errc::bad_phase);
  EXPECT_EQ(refusal(with_key([](v1::CallKey& k) { k.set_phase(v1::Phase::Value(9)); })),
            decode_errc::bad_phase);
  EXPECT_EQ(refusal(with_key([](v1::CallKey& k) { k.set_round(256); })),
            decode_errc::index_out_of_range);
  EXPECT_EQ(refusal(with_key([](v1::CallKey& k) { k.set_agent(3); })),  // the spec has 3
            decode_errc::index_out_of_range);
  EXPECT_EQ(refusal(with_key([](v1::CallKey& k) { k.set_agent(255); })),
            decode_errc::index_out_of_range);
  EXPECT_EQ(refusal(with_key([](v1::CallKey& k) { k.set_agent(256); })),  // would wrap to 0
            decode_errc::index_out_of_range);
  EXPECT_EQ(refusal(with_key([](v1::CallKey& k) { k.set_target(255); })),
            decode_errc::index_out_of_range);
  EXPECT_EQ(refusal(with_key([](v1::CallKey& k) { k.set_phase(v1::Phase::critique); })),
            decode_errc::index_out_of_range);  // a critique of nobody
  EXPECT_EQ(refusal(with_key([](v1::CallKey& k) {
              k.set_phase(v1::Phase::critique);
              k.set_target(3);
            })),
            decode_errc::index_out_of_range);
  // A judge call's target is its attempt, not an agent.
  EXPECT_FALSE(refusal(with_key([](v1::CallKey& k) {
                 k.set_phase(v1::Phase::judge);
                 k.set_target(7);
               })).has_value());
}

TEST(WireCalls, ReferencesOutsideTheirTablesAreRefused) {
  auto base = [] {
    v1::AgentCalls p;
    p.add_texts("t");
    auto* c = p.add_calls();
    c->mutable_key()->set_phase(v1::Phase::vote);
    c->mutable_key()->set_agent(0);
    auto* props = p.add_proposal_lists()->add_items();
    props->set_agent(1);
    props->set_text(0);
    auto* crit = p.add_critique_lists()->add_items();
    crit->set_critic(2);
    crit->set_text(0);
    auto* bal = p.add_ballot_lists()->add_items();
    bal->set_voter(0);
    bal->set_choice(1);
    c->set_target_text(0);
    c->set_proposals(0);
    c->set_critiques(0);
    c->set_ballots(0);
    return p;
  };
  auto check = [&](auto edit) {
    auto p = base();
    edit(p);
    return refusal(calls_from_proto(p, 3));
  };
  EXPECT_FALSE(check([](v1::AgentCalls&) {}).has_value());
  using P = v1::AgentCalls;
  EXPECT_EQ(check([](P& p) { p.mutable_calls(0)->set_target_text(1); }), decode_errc::bad_reference);
  EXPECT_EQ(check([](P& p) { p.mutable_calls(0)->set_proposals(1); }), decode_errc::bad_reference);
  EXPECT_EQ(check([](P& p) { p.mutable_calls(0)->set_critiques(1); }), decode_errc::bad_reference);
  EXPECT_EQ(check([](P& p) { p.mutable_calls(0)->set_ballots(1); }), decode_errc::bad_reference);
  EXPECT_EQ(check([](P& p) { p.mutable_proposal_lists(0)->mutable_items(0)->set_text(1); }),
            decode_errc::bad_reference);
  EXPECT_EQ(check([](P& p) { p.mutable_critique_lists(0)->mutable_items(0)->set_text(9); }),
            decode_errc::bad_reference);
  EXPECT_EQ(check([](P& p) { p.mutable_proposal_lists(0)->mutable_items(0)->set_agent(3); }),
            decode_errc::index_out_of_range);
  EXPECT_EQ(check([](P& p) { p.mutable_critique_lists(0)->mutable_items(0)->set_critic(3); }),
            decode_errc::index_out_of_range);
  EXPECT_EQ(check([](P& p) { p.mutable_ballot_lists(0)->mutable_items(0)->set_voter(3); }),
            decode_errc::index_out_of_range);
  EXPECT_EQ(check([](P& p) { p.mutable_ballot_lists(0)->mutable_items(0)->set_choice(300); }),
            decode_errc::index_out_of_range);
}

TEST(WireOutcomes, EveryFieldRoundTrips) {
  call_outcome o;
  o.key = {phase::critique, 2, 1, 0};
  o.text = make_text("needs tests");
  o.severity = 6.5;
  o.issues = "no tests\nno metrics";
  o.confidence = 0.25;
  o.tokens_in = 1200;
  o.tokens_out = 345;
  o.cost_usd = 0.0031;
  auto back = ok(from_proto(to_proto(o)));
  EXPECT_EQ(back.key, o.key);
  EXPECT_TRUE(back.ok());
  EXPECT_EQ(text_of(back.text), text_of(o.text));
  EXPECT_EQ(back.severity, o.severity);
  EXPECT_EQ(back.issues, o.issues);
  EXPECT_EQ(back.choice, no_agent);
  EXPECT_EQ(back.confidence, o.confidence);
  EXPECT_EQ(back.tokens_in, o.tokens_in);
  EXPECT_EQ(back.tokens_out, o.tokens_out);
  EXPECT_EQ(back.cost_usd, o.cost_usd);

  // An empty text is not a missing one; a choice of agent 0 is not "none".
  call_outcome vote;
  vote.key = {phase::vote, 1, 2, no_agent};
  vote.text = make_text("");
  vote.choice = 0;
  auto v = ok(from_proto(to_proto(vote)));
  EXPECT_EQ(text_of(v.text), "[]");
  EXPECT_EQ(v.choice, 0);
  EXPECT_EQ(v.key.target, no_agent);
}

TEST(WireOutcomes, EveryErrorCodeRoundTripsAndAnUnknownOneIsRefused) {
  for (auto code : {call_errc::timeout, call_errc::provider_error, call_errc::cancelled,
                    call_errc::bad_reply}) {
    call_outcome o;
    o.key = {phase::propose, 1, 0, no_agent};
    o.error = code;
    o.error_message = "why";
    auto back = ok(from_proto(to_proto(o)));
    EXPECT_EQ(back.error, code);
    EXPECT_EQ(back.error_message, "why");
    EXPECT_EQ(back.text, nullptr);
  }
  auto p = to_proto(call_outcome{});
  p.mutable_key()->set_phase(v1::Phase::propose);
  p.set_error("quota_exceeded");
  EXPECT_EQ(refusal(from_proto(p)), decode_errc::unknown_error_code);
  p.set_error("");
  p.set_choice(255);
  EXPECT_EQ(refusal(from_proto(p)), decode_errc::index_out_of_range);
}

TEST(WireOutcomes, ABatchRoundTripsInOrderAndOneBadOutcomeRefusesIt) {
  auto d = test::run_wire_debate(test::wire_spec());
  std::vector<call_outcome> outcomes;
  for (const auto& c : d.steps[1]) outcomes.push_back(agent::mock_reply(d.machine->spec(), c));
  auto p = to_proto("d1", outcomes);
  EXPECT_EQ(p.debate_id(), "d1");
  auto back = ok(from_proto(p));
  ASSERT_EQ(back.size(), outcomes.size());
  for (size_t i = 0; i < back.size(); ++i)
    EXPECT_EQ(bytes_of(to_proto(back[i])), bytes_of(to_proto(outcomes[i])));
  p.mutable_outcomes(1)->mutable_key()->clear_phase();
  EXPECT_EQ(refusal(from_proto(p)), decode_errc::bad_phase);
}

TEST(WireReport, AFinishedDebateRoundTripsWithItsResult) {
  auto d = test::run_wire_debate(test::wire_spec());
  auto f = test::wire_finished(d);
  ASSERT_TRUE(f.receipt.signature.has_value());
  auto p = to_proto(f);
  v1::DebateResult expected;
  fill_result(*d.machine, &f.receipt, expected);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(p.result(), expected));

  auto back = ok(from_proto(p));
  EXPECT_EQ(back.id, f.id);
  EXPECT_EQ(back.summary.status, f.summary.status);
  EXPECT_EQ(back.summary.reached, f.summary.reached);
  EXPECT_EQ(back.summary.agent_calls, f.summary.agent_calls);
  EXPECT_EQ(back.summary.failed_calls, f.summary.failed_calls);
  EXPECT_EQ(back.summary.started_at, f.summary.started_at);
  EXPECT_EQ(back.summary.finished_at, f.summary.finished_at);
  EXPECT_EQ(back.summary.first_message_at, f.summary.first_message_at);
  EXPECT_EQ(back.summary.calls_sent, f.summary.calls_sent);
  EXPECT_EQ(back.receipt.id, f.receipt.id);
  EXPECT_EQ(back.receipt.sha256, f.receipt.sha256);
  ASSERT_TRUE(back.receipt.signature.has_value());
  EXPECT_EQ(back.receipt.signature->key_id, f.receipt.signature->key_id);
  EXPECT_EQ(back.receipt.signature->value, f.receipt.signature->value);
  EXPECT_EQ(back.machine, nullptr);  // the machine stays where the debate ran
  EXPECT_EQ(back.error, "");
}

TEST(WireReport, ASummaryReportOfAFailedDebateRoundTrips) {
  debate_finished f;
  f.id = "d9";
  f.summary.status = debate_status::failed;
  f.summary.started_at = test::fake_epoch();
  f.summary.finished_at = test::fake_epoch() + std::chrono::microseconds{1500};
  f.error = "internal_error: out of memory";
  auto p = to_proto(f);
  EXPECT_FALSE(p.has_result());
  EXPECT_FALSE(p.has_first_message_at());
  EXPECT_FALSE(p.receipt().has_signature());
  auto back = ok(from_proto(p));
  EXPECT_EQ(back.summary.status, debate_status::failed);
  EXPECT_FALSE(back.summary.first_message_at.has_value());
  EXPECT_EQ(back.summary.finished_at, f.summary.finished_at);
  EXPECT_FALSE(back.receipt.signature.has_value());
  EXPECT_EQ(back.error, f.error);

  p.set_status(v1::Status::status_unspecified);
  EXPECT_EQ(refusal(from_proto(p)), decode_errc::bad_status);
  p.set_status(v1::Status::budget_exceeded);
  ASSERT_TRUE(from_proto(p));
  EXPECT_EQ(from_proto(p)->summary.status, debate_status::budget_exceeded);
  p.set_status(v1::Status::Value(8));
  EXPECT_EQ(refusal(from_proto(p)), decode_errc::bad_status);
}

TEST(WireCodes, AreStable) {
  EXPECT_EQ(to_string(decode_errc::bad_phase), "bad_phase");
  EXPECT_EQ(to_string(decode_errc::index_out_of_range), "index_out_of_range");
  EXPECT_EQ(to_string(decode_errc::bad_reference), "bad_reference");
  EXPECT_EQ(to_string(decode_errc::unknown_error_code), "unknown_error_code");
  EXPECT_EQ(to_string(decode_errc::bad_status), "bad_status");
  EXPECT_EQ(to_string(decode_errc::bad_spec), "bad_spec");
  EXPECT_EQ(to_string(decode_errc::debate_id_mismatch), "debate_id_mismatch");
}

}  // namespace
