// The JSON the edge sends (label unit): the keys the aragora clients read (client-contract §3,
// §5), pinned.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "net/edge/views.hpp"

namespace aragora::edge {
namespace {

namespace json = boost::json;

json::object parse(const std::string& s) {
  auto v = json::parse(s);
  EXPECT_TRUE(v.is_object()) << s;
  return v.as_object();
}

v1::Event message_event(uint32_t seq, v1::Phase::Value phase, const std::string& agent,
                        const std::string& text) {
  v1::Event e;
  e.set_debate_id("d1");
  e.set_seq(seq);
  e.set_round(1);
  e.set_agent(agent);
  e.set_type(phase == v1::Phase::critique ? v1::EventType::critique
             : phase == v1::Phase::vote   ? v1::EventType::vote
                                          : v1::EventType::agent_message);
  auto* m = e.mutable_message();
  m->set_round(1);
  m->set_phase(phase);
  m->set_agent(agent);
  m->set_text(text);
  return e;
}

TEST(Views, AnEventFrameIsOneObjectWithDataAlwaysAnObjectAndIdsRepeated) {
  auto e = message_event(5, v1::Phase::propose, "alice", "Adopt it.");
  e.mutable_timestamp()->set_seconds(1764504000);
  auto o = parse(event_frame(e, {}));
  EXPECT_EQ(o.at("type"), "agent_message");
  EXPECT_EQ(o.at("seq"), 5);
  EXPECT_EQ(o.at("debate_id"), "d1");
  EXPECT_EQ(o.at("loop_id"), "d1");
  EXPECT_EQ(o.at("timestamp").to_number<double>(), 1764504000.0);
  const auto& d = o.at("data").as_object();
  EXPECT_EQ(d.at("debate_id"), "d1");
  EXPECT_EQ(d.at("agent"), "alice");
  EXPECT_EQ(d.at("round"), 1);
  EXPECT_EQ(d.at("round_number"), 1);
  EXPECT_EQ(d.at("role"), "proposer");
  EXPECT_EQ(d.at("content"), "Adopt it.");
}

TEST(Views, CritiqueAndVoteFramesCarryTheClientsAliases) {
  auto c = message_event(6, v1::Phase::critique, "bob", "Too costly.");
  c.mutable_message()->set_target("alice");
  c.mutable_message()->mutable_critique()->set_severity(7);
  c.mutable_message()->mutable_critique()->add_issues("cost");
  auto d = parse(event_frame(c, {})).at("data").as_object();
  EXPECT_EQ(d.at("critic"), "bob");
  EXPECT_EQ(d.at("target"), "alice");
  EXPECT_EQ(d.at("target_agent"), "alice");
  EXPECT_EQ(d.at("issues").as_array().size(), 1u);
  EXPECT_DOUBLE_EQ(d.at("severity").to_number<double>(), 0.7);  // 0..10 -> 0..1
  auto v = message_event(7, v1::Phase::vote, "carol", "");
  v.mutable_message()->mutable_vote()->set_choice("alice");
  v.mutable_message()->mutable_vote()->set_confidence(0.8);
  auto vd = parse(event_frame(v, {})).at("data").as_object();
  EXPECT_EQ(vd.at("vote"), "alice");
  EXPECT_EQ(vd.at("choice"), "alice");
  EXPECT_DOUBLE_EQ(vd.at("confidence").to_number<double>(), 0.8);
}

TEST(Views, DebateEndSaysStatusInTheClientsWordsWithReceiptAndAnswer) {
  v1::Event e;
  e.set_debate_id("d1");
  e.set_seq(30);
  e.set_type(v1::EventType::debate_end);
  e.mutable_end()->set_status(v1::Status::no_consensus);
  e.mutable_end()->set_verdict(v1::Verdict::needs_review);
  e.mutable_end()->set_duration_ms(1500);
  e.mutable_end()->set_rounds_used(2);
  frame_context ctx{3, "DR-d1", "the answer"};
  auto o = parse(event_frame(e, ctx));
  EXPECT_EQ(o.at("type"), "debate_end");
  auto d = o.at("data").as_object();
  EXPECT_EQ(d.at("status"), "completed");
  EXPECT_EQ(d.at("outcome"), "no_consensus");
  EXPECT_EQ(d.at("verdict"), "NEEDS_REVIEW");
  EXPECT_EQ(d.at("consensus_reached"), false);
  EXPECT_EQ(d.at("receipt_id"), "DR-d1");
  EXPECT_EQ(d.at("result"), "the answer");
  EXPECT_EQ(d.at("final_answer"), "the answer");
  EXPECT_EQ(d.at("total_rounds"), 3);
  EXPECT_DOUBLE_EQ(d.at("duration_seconds").to_number<double>(), 1.5);
  EXPECT_FALSE(d.contains("error"));
  e.mutable_end()->set_status(v1::Status::failed);
  e.mutable_end()->set_error("writer gone");
  auto f = parse(event_frame(e, ctx)).at("data").as_object();
  EXPECT_EQ(f.at("status"), "failed");
  EXPECT_EQ(f.at("error"), "writer gone");
}

TEST(Views, TheAnswerIsTheJudgesElseTheWinnersLastText) {
  answer_tracker t;
  t.see(message_event(1, v1::Phase::propose, "alice", "first"));
  t.see(message_event(2, v1::Phase::revise, "alice", "revised"));
  t.see(message_event(3, v1::Phase::propose, "bob", "bob's"));
  t.see(message_event(4, v1::Phase::critique, "bob", "not an answer"));
  EXPECT_EQ(t.answer("alice"), "revised");
  EXPECT_EQ(t.answer("bob"), "bob's");
  EXPECT_EQ(t.answer("nobody"), "");
  t.see(message_event(5, v1::Phase::judge, "judge", "synthesis"));
  EXPECT_EQ(t.answer("alice"), "synthesis");
}

TEST(Views, AReachedConsensusCarriesItsAnswerUnderTheClientsThreeNames) {
  answer_tracker t;
  t.see(message_event(1, v1::Phase::propose, "alice", "Adopt it."));
  v1::Event c;
  c.set_debate_id("d1");
  c.set_seq(2);
  c.set_type(v1::EventType::consensus);
  c.mutable_consensus()->set_reached(true);
  c.mutable_consensus()->set_winner("alice");
  frame_context ctx;
  ctx.final_answer = t.answer_for(c);
  auto d = parse(event_frame(c, ctx)).at("data").as_object();
  EXPECT_EQ(d.at("answer"), "Adopt it.");
  EXPECT_EQ(d.at("final_answer"), "Adopt it.");
  EXPECT_EQ(d.at("result"), "Adopt it.");
  c.mutable_consensus()->set_reached(false);
  EXPECT_EQ(t.answer_for(c), "");
}

TEST(Views, ErrorsAreFlatAndRetryAfterIsAnInteger) {
  auto o = parse(error_body({api_errc::not_found, "no debate 'x'"}));
  EXPECT_EQ(o.at("error"), "no debate 'x'");
  EXPECT_EQ(o.at("code"), "NOT_FOUND");
  auto r = parse(error_body({api_errc::rate_limited, "slow down"}, 3));
  EXPECT_TRUE(r.at("retry_after").is_int64() || r.at("retry_after").is_uint64());
  EXPECT_EQ(r.at("retry_after"), 3);
}

TEST(Views, AnErrorQuotingBytesThatAreNotUtf8IsStillJson) {
  // fuzz_http: "GET /\xFF\xFE" was answered with the raw bytes in the 404's message.
  auto body = error_body({api_errc::not_found, "no route for /\xFF\xFE"});
  json::error_code ec;
  auto v = json::parse(body, ec);  // Boost.JSON refuses a string that is not UTF-8
  ASSERT_FALSE(ec) << body;
  EXPECT_EQ(v.at("error"), "no route for /\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Views, ListAndLeaderboardCarryBothNamesOfTheirArray) {
  v1::DebateRecord rec;
  rec.mutable_spec()->set_id("d1");
  rec.mutable_spec()->set_question("Q?");
  rec.mutable_spec()->add_agents()->set_name("alice");
  rec.set_status(v1::Status::running);
  std::vector<std::shared_ptr<const std::string>> rows{
      std::make_shared<const std::string>(summary_json(rec))};
  auto l = parse(list_body(rows, 20, 0, false, ""));
  EXPECT_EQ(l.at("debates").as_array().size(), 1u);
  EXPECT_EQ(l.at("items").as_array().size(), 1u);
  EXPECT_EQ(l.at("total"), 1);
  const auto& entry = l.at("debates").as_array()[0].as_object();
  EXPECT_EQ(entry.at("debate_id"), "d1");
  EXPECT_EQ(entry.at("task"), "Q?");
  EXPECT_EQ(entry.at("status"), "running");
  EXPECT_EQ(entry.at("in_progress"), true);
  EXPECT_FALSE(parse(list_body(rows, 1, 0, true, "")).contains("total"));
  auto running = parse(list_body(rows, 1, 3, false, "running"));
  EXPECT_EQ(running.at("status"), "running");
  EXPECT_EQ(running.at("offset"), 3);
  EXPECT_EQ(running.at("total"), 4);
  EXPECT_EQ(running.at("count"), 1);
  EXPECT_EQ(parse(list_body({}, 20, 0, false, "")).at("debates").as_array().size(), 0u);
  v1::Leaderboard board;
  for (auto [name, elo] : {std::pair{"a", 1516.0}, std::pair{"b", 1484.0}}) {
    auto* x = board.add_agents();
    x->set_name(name);
    x->set_elo(elo);
    x->set_wins(1);
  }
  auto b = parse(leaderboard_body(board, 1));
  EXPECT_EQ(b.at("rankings").as_array().size(), 1u);
  EXPECT_EQ(b.at("agents").as_array().size(), 1u);
  EXPECT_EQ(b.at("rankings").as_array()[0].at("agent_name"), "a");
}

TEST(Views, StatusVocabularyIsTheSdks) {
  EXPECT_EQ(sdk_status(v1::Status::running), "running");
  EXPECT_EQ(sdk_status(v1::Status::consensus_reached), "completed");
  EXPECT_EQ(sdk_status(v1::Status::insufficient_participation), "completed");
  EXPECT_EQ(sdk_status(v1::Status::failed), "failed");
  EXPECT_EQ(sdk_status(v1::Status::cancelled), "cancelled");
  EXPECT_EQ(verdict_name(v1::Verdict::approved_with_conditions), "APPROVED_WITH_CONDITIONS");
}

}  // namespace
}  // namespace aragora::edge
