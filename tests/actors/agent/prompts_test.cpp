// Prompts of each phase and the parsing of real agents' replies (label unit).

#include <gtest/gtest.h>

#include "actors/agent/prompts.hpp"

namespace aragora::agent {
namespace {

using debate::phase;

debate::debate_spec three() {
  debate::debate_spec s;
  s.id = "d1";
  s.question = "Should we cache list pages?";
  s.agents = {{"alice", "openai", "gpt-4o-mini"}, {"bob", "anthropic", "claude-haiku-4-5"},
              {"carol", "mock", "critical"}};
  return s;
}

debate::call_request request(phase ph, uint8_t agent, uint8_t target = debate::no_agent) {
  debate::call_request r;
  r.key = {ph, 2, agent, target};
  r.target_text = debate::make_text("Yes, keyed by version.");
  r.proposals = std::make_shared<const std::vector<debate::proposal_ref>>(std::vector<debate::proposal_ref>{
      {0, debate::make_text("Yes, keyed by version.")}, {1, debate::make_text("No.")},
      {2, debate::make_text("Only for finished debates.")}});
  r.critiques = std::make_shared<const std::vector<debate::critique_ref>>(
      std::vector<debate::critique_ref>{{1, debate::make_text("Stale pages."), 6.5}});
  r.ballots = std::make_shared<const std::vector<debate::ballot>>(
      std::vector<debate::ballot>{{1, 0, 0.8}, {2, 0, 0.6}});
  return r;
}

TEST(Prompts, EachPhaseSaysWhatItNeedsAndNothingIsLeftUnfilled) {
  auto spec = three();
  spec.context = "Lists are read 10x more than written.";
  const auto& t = prompt_templates::defaults();
  auto p = render_prompt(t, spec, request(phase::critique, 2, 0));
  EXPECT_NE(p.system.find("You are carol"), std::string::npos) << p.system;
  EXPECT_NE(p.user.find("Proposal by alice:\nYes, keyed by version."), std::string::npos) << p.user;
  EXPECT_NE(p.user.find("Context:\nLists are read"), std::string::npos) << p.user;
  EXPECT_NE(p.user.find("SEVERITY"), std::string::npos);
  auto v = render_prompt(t, spec, request(phase::vote, 1)).user;
  EXPECT_NE(v.find("[alice]\nYes, keyed by version.\n\n[bob]\nNo."), std::string::npos) << v;
  EXPECT_NE(v.find("one of alice, carol,"), std::string::npos) << v;  // not bob's own
  auto r = render_prompt(t, spec, request(phase::revise, 0)).user;
  EXPECT_NE(r.find("- bob (severity 6.5): Stale pages."), std::string::npos) << r;
  auto j = render_prompt(t, spec, request(phase::judge, 2)).user;
  EXPECT_NE(j.find("- bob voted for alice (confidence 0.80)"), std::string::npos) << j;
  for (auto ph : {phase::propose, phase::critique, phase::revise, phase::vote, phase::judge}) {
    EXPECT_FALSE(unknown_placeholder(t.of(ph), ph)) << *unknown_placeholder(t.of(ph), ph);
    auto u = render_prompt(t, spec, request(ph, 0, 1)).user;
    EXPECT_EQ(u.find("{"), std::string::npos) << u;
  }
  EXPECT_FALSE(unknown_placeholder(t.system, std::nullopt));
  // Without context or critiques their sections vanish, headings included.
  auto plain = render_prompt(t, three(), debate::call_request{{phase::propose, 1, 0, debate::no_agent}, {}, {}, {}, {}});
  EXPECT_EQ(plain.user, "Question: Should we cache list pages?\n\nGive your answer in at most 200 words.");
}

TEST(Prompts, OverridesAreCheckedForPlaceholdersTheirPhaseDoesNotHave) {
  EXPECT_EQ(unknown_placeholder("Judge {ballots}", phase::vote), "{ballots}");
  EXPECT_EQ(unknown_placeholder("{agent}: {proposal}", std::nullopt), "{proposal}");
  EXPECT_FALSE(unknown_placeholder("JSON like {\"a\": 1} and {Upper} are text", phase::vote));
  prompt_templates t = prompt_templates::defaults();
  t.of(phase::propose) = "Round {round}: {question}";
  EXPECT_EQ(render_prompt(t, three(), request(phase::propose, 0)).user, "Round 2: Should we cache list pages?");
}

TEST(Prompts, TheConfigurationsTemplatesReplaceTheBuiltInOnesOrAreRefusedByName) {
  prompt_overrides o;
  o.propose = "Round {round}. {question} Answer in one line.";
  o.system = "You are {agent}.";
  auto t = templates_with(o);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->propose, o.propose);
  EXPECT_EQ(t->system, o.system);
  EXPECT_EQ(t->vote, prompt_templates::defaults().vote);  // not overridden
  o.vote = "Pick from {ballots}";
  auto bad = templates_with(o);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code_name(), "config_bad_prompt");
  EXPECT_EQ(bad.error().message, "prompts.vote: {ballots} is no placeholder of this phase");
}

TEST(Prompts, CritiqueRepliesInTheFormsModelsWriteThem) {
  auto spec = three();
  auto call = request(phase::critique, 2, 0);
  auto o = outcome_of_reply(spec, call, "**Severity:** 7/10\n\n**Issues:**\n- Pages go stale\n* No bound\n1. Races\n\nOverall fine.");
  ASSERT_TRUE(o.ok()) << o.error_message;
  EXPECT_EQ(o.severity, 7);
  EXPECT_EQ(o.issues, "Pages go stale\nNo bound\nRaces");
  EXPECT_EQ(o.key, call.key);
  EXPECT_EQ(o.text->substr(0, 13), "**Severity:**");
  auto inline_issue = outcome_of_reply(spec, call, "SEVERITY: 2.5\nISSUES: none worth noting");
  ASSERT_TRUE(inline_issue.ok());
  EXPECT_EQ(inline_issue.severity, 2.5);
  EXPECT_EQ(inline_issue.issues, "none worth noting");
  for (auto bad : {"Looks good to me.", "SEVERITY: high", "SEVERITY: 11", "   \n "}) {
    auto b = outcome_of_reply(spec, call, bad);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(*b.error, debate::call_errc::bad_reply);
    EXPECT_FALSE(b.text) << "a failed call carries no text";
  }
  auto b = outcome_of_reply(spec, call, "Looks good to me.");
  EXPECT_NE(b.error_message.find("no SEVERITY line; the reply: 'Looks good to me.'"), std::string::npos)
      << b.error_message;
}

TEST(Prompts, VotesNameACandidateWithAConfidenceOrFail) {
  auto spec = three();
  auto call = request(phase::vote, 1);
  auto o = outcome_of_reply(spec, call, "VOTE: Alice\nCONFIDENCE: 0.8\nHer answer is the most concrete.");
  ASSERT_TRUE(o.ok()) << o.error_message;
  EXPECT_EQ(o.choice, 0);
  EXPECT_DOUBLE_EQ(o.confidence, 0.8);
  auto md = outcome_of_reply(spec, call, "## Vote: **carol's proposal**\n**Confidence:** 75%");
  ASSERT_TRUE(md.ok()) << md.error_message;
  EXPECT_EQ(md.choice, 2);
  EXPECT_DOUBLE_EQ(md.confidence, 0.75);
  auto hundred = outcome_of_reply(spec, call, "VOTE: [alice]\nCONFIDENCE: 90");
  ASSERT_TRUE(hundred.ok());
  EXPECT_DOUBLE_EQ(hundred.confidence, 0.9);
  struct bad_case {
    const char* reply;
    const char* says;
  };
  for (auto [reply, says] : {bad_case{"I prefer alice.", "no VOTE line"},
                             bad_case{"VOTE: dave\nCONFIDENCE: 0.5", "'dave' names none of the candidates (alice, carol)"},
                             bad_case{"VOTE: alice or carol\nCONFIDENCE: 0.5", "names none"},
                             bad_case{"VOTE: alice", "no CONFIDENCE"},
                             bad_case{"VOTE: alice\nCONFIDENCE: 250", "no CONFIDENCE"}}) {
    auto b = outcome_of_reply(spec, call, reply);
    ASSERT_FALSE(b.ok()) << reply;
    EXPECT_NE(b.error_message.find(says), std::string::npos) << b.error_message;
    EXPECT_EQ(b.choice, debate::no_agent);
  }
  // Bob may not vote for himself while others stand; the judge may pick anyone.
  auto own = outcome_of_reply(spec, call, "VOTE: bob\nCONFIDENCE: 0.9");
  ASSERT_FALSE(own.ok());
  EXPECT_NE(own.error_message.find("names none of the candidates (alice, carol)"), std::string::npos) << own.error_message;
  for (auto [reply, conf] : {std::pair{"VOTE: alice\nCONFIDENCE: 8/10", 0.8}, std::pair{"VOTE: alice\nCONFIDENCE: 1", 1.0}}) {
    auto x = outcome_of_reply(spec, call, reply);
    ASSERT_TRUE(x.ok()) << reply << ": " << x.error_message;
    EXPECT_DOUBLE_EQ(x.confidence, conf);
  }
  EXPECT_FALSE(outcome_of_reply(spec, call, "VOTE: alice\nCONFIDENCE: 1.5").ok());
  auto judge = outcome_of_reply(spec, request(phase::judge, 2), "WINNER: alice\nCONFIDENCE: 0.7\nAdopt alice's plan.");
  ASSERT_TRUE(judge.ok()) << judge.error_message;
  EXPECT_EQ(judge.choice, 0);
}

TEST(Prompts, ANameInsideALongerCandidatesNameIsNotASecondChoice) {
  auto spec = three();
  spec.agents = {{"gpt-4", "openai", "gpt-4"}, {"gpt-4-turbo", "openai", "gpt-4-turbo"}, {"claude", "anthropic", "c"}};
  auto call = request(phase::vote, 2);
  auto o = outcome_of_reply(spec, call, "VOTE: gpt-4-turbo, since it is concrete\nCONFIDENCE: 0.6");
  ASSERT_TRUE(o.ok()) << o.error_message;
  EXPECT_EQ(o.choice, 1);
  auto short_name = outcome_of_reply(spec, call, "VOTE: gpt-4's answer\nCONFIDENCE: 0.6");
  ASSERT_TRUE(short_name.ok()) << short_name.error_message;
  EXPECT_EQ(short_name.choice, 0);
}

TEST(Prompts, CritiqueListsSurviveCrlfAndLongNumbering) {
  auto spec = three();
  auto call = request(phase::critique, 2, 0);
  std::string reply = "SEVERITY: 7/10\r\nISSUES:\r\n\r\n9. nine\r\n10. ten\r\n11) eleven\r\n";
  auto o = outcome_of_reply(spec, call, reply);
  ASSERT_TRUE(o.ok()) << o.error_message;
  EXPECT_EQ(o.severity, 7);
  EXPECT_EQ(o.issues, "nine\nten\neleven");
  EXPECT_FALSE(outcome_of_reply(spec, call, "SEVERITY: 70%").ok());
}

TEST(Prompts, ProposalsAreTrimmedScrubbedAndBounded) {
  auto spec = three();
  auto o = outcome_of_reply(spec, request(phase::propose, 0), "\n  Cache by version. \xff\n");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*o.text, "Cache by version. \xEF\xBF\xBD");
  auto huge = outcome_of_reply(spec, request(phase::revise, 0), std::string(200'000, 'x'));
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge.text->size(), defaults::agent_reply_max_bytes);
  auto invalid = outcome_of_reply(spec, request(phase::revise, 0), std::string(200'000, '\xff'));
  ASSERT_TRUE(invalid.ok());
  EXPECT_LE(invalid.text->size(), defaults::agent_reply_max_bytes);
}


// -- context compression ------------------------------------------------------------------------

/// A history of `n` messages of `chars` characters each, from round 1 on (3 agents a round).
debate::history_list history(size_t n, size_t chars) {
  std::vector<debate::history_item> h;
  for (size_t i = 0; i < n; ++i) {
    auto agent = static_cast<uint8_t>(i % 3);
    bool critique = (i / 3) % 2 == 1;
    h.push_back({static_cast<uint8_t>(1 + i / 6), critique ? phase::critique : phase::propose, agent,
                 critique ? static_cast<uint8_t>((agent + 1) % 3) : debate::no_agent,
                 debate::make_text("m" + std::to_string(i) + " " + std::string(chars, 'x'))});
  }
  return std::make_shared<const std::vector<debate::history_item>>(std::move(h));
}

TEST(Compression, TheGuidesThresholdFromRoundThreeTenMessagesAndThreeThousandCharacters) {
  compression_rule rule;
  auto call = request(phase::propose, 0);
  call.key.round = 3;
  call.history = history(12, 300);  // 12 messages, ~3,700 characters
  EXPECT_EQ(to_summarise(call, rule), 7u);  // all but the last 5
  call.key.round = 2;
  EXPECT_EQ(to_summarise(call, rule), 0u) << "before round 3";
  call.key.round = 3;
  call.history = history(9, 500);
  EXPECT_EQ(to_summarise(call, rule), 0u) << "fewer than 10 messages";
  call.history = history(12, 240);  // 12 * ~245 = ~2,940 characters
  EXPECT_EQ(to_summarise(call, rule), 0u) << "not over 3,000 characters";
  call.history = nullptr;
  EXPECT_EQ(to_summarise(call, rule), 0u);
}

TEST(Compression, TheMiddleGivesWayToTheSummaryAndTheLastFiveStay) {
  auto spec = three();
  const auto& t = prompt_templates::defaults();
  auto call = request(phase::propose, 0);
  call.key.round = 3;
  call.history = history(12, 300);
  auto full = render_prompt(t, spec, call);
  EXPECT_NE(full.user.find("The debate so far:"), std::string::npos) << full.user;
  EXPECT_NE(full.user.find("m0 "), std::string::npos);
  EXPECT_NE(full.user.find("- round 1, bob on carol's answer:"), std::string::npos) << full.user;
  double ratio = 0;
  auto cut = render_compressed(t, spec, call, "SUMMARY: alice wants stages.", 7, &ratio);
  EXPECT_NE(cut.user.find("Question: Should we cache list pages?"), std::string::npos);  // the task stays
  EXPECT_NE(cut.user.find("summary of the earlier debate:\nSUMMARY: alice wants stages."), std::string::npos) << cut.user;
  for (int i = 0; i < 7; ++i) EXPECT_EQ(cut.user.find("m" + std::to_string(i) + " "), std::string::npos) << i;
  for (int i = 7; i < 12; ++i) EXPECT_NE(cut.user.find("m" + std::to_string(i) + " "), std::string::npos) << i;
  EXPECT_GT(ratio, 0.3);
  EXPECT_LT(ratio, 0.5);  // 5 of 12 messages and a short summary
  // The summariser is asked about the first 7 only.
  auto ask = summary_prompt(t, spec, call, 7);
  EXPECT_NE(ask.user.find("Summarise the debate above"), std::string::npos);
  EXPECT_NE(ask.user.find("m6 "), std::string::npos);
  EXPECT_EQ(ask.user.find("m7 "), std::string::npos);
  // Votes show no history by default; a configured template may.
  EXPECT_EQ(render_prompt(t, spec, request(phase::vote, 0)).user.find("The debate so far"), std::string::npos);
  prompt_overrides o;
  o.summarise = "Shorten: {history}";
  ASSERT_TRUE(templates_with(o));
  o.summarise = "Shorten: {ballots}";
  EXPECT_FALSE(templates_with(o));
}

}  // namespace
}  // namespace aragora::agent
