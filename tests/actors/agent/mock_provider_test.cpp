#include "actors/agent/mock_provider.hpp"

#include <gtest/gtest.h>

#include "actors/debate/canonical.hpp"
#include "tests/support/drive.hpp"

namespace aragora::agent {
namespace {

using debate::call_request;
using debate::phase;

call_request call(phase ph, uint8_t agent, uint8_t target = debate::no_agent, uint8_t round = 1) {
  call_request r;
  r.key = {ph, round, agent, target};
  return r;
}

TEST(MockProvider, IsAPureFunctionOfSpecAndCall) {
  auto spec = test::make_spec();
  auto a = mock_reply(*spec, call(phase::propose, 0));
  auto b = mock_reply(*spec, call(phase::propose, 0));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a.text, *b.text);
  auto other_seed = test::make_spec([](debate::debate_spec& s) { s.seed = 7; });
  EXPECT_NE(*a.text, *mock_reply(*other_seed, call(phase::propose, 0)).text);
}

TEST(MockProvider, MentionsTheQuestionAndTheContext) {
  auto spec = test::make_spec([](debate::debate_spec& s) {
    s.context = "In 2025 we decided to keep VMs for the billing system.";
  });
  auto p = mock_reply(*spec, call(phase::propose, 1));
  EXPECT_NE(p.text->find("Should we adopt Kubernetes?"), std::string::npos);
  EXPECT_NE(p.text->find("keep VMs for the billing system"), std::string::npos);
}

TEST(MockProvider, MessageBytesSetsTheSizeOfProposalsAndCritiques) {
  for (uint32_t bytes : {64u, 256u, 2048u, 10000u}) {
    auto spec = test::make_spec();
    EXPECT_EQ(mock_reply(*spec, call(phase::propose, 0), test::sized(bytes)).text->size(), bytes);
    auto c = call(phase::critique, 0, 1);
    c.target_text = debate::make_text("x");
    EXPECT_EQ(mock_reply(*spec, c, test::sized(bytes)).text->size(), bytes);
  }
}

TEST(MockProvider, StylesSetSeverityRanges) {
  auto spec = test::make_spec([](debate::debate_spec& s) { s.seed = 3; });
  for (uint8_t round = 1; round <= 20; ++round) {
    auto c = call(phase::critique, 0, 1, round);  // supportive: 2..4
    auto sev = mock_reply(*spec, c).severity;
    EXPECT_GE(sev, 2.0);
    EXPECT_LE(sev, 4.0);
    auto d = call(phase::critique, 1, 0, round);  // critical: 6..9, three issues
    auto out = mock_reply(*spec, d);
    EXPECT_GE(out.severity, 6.0);
    EXPECT_LE(out.severity, 9.0);
    EXPECT_EQ(debate::issue_count(out.issues), 3u);
  }
}

TEST(MockProvider, VotesFollowTheStyle) {
  auto spec = test::make_spec([](debate::debate_spec& s) {
    s.agents = {{"s", "mock", "supportive"}, {"x", "mock", "balanced"}, {"c", "mock", "contrarian"}};
  });
  auto v = call(phase::vote, 0);
  v.proposals = std::make_shared<const std::vector<debate::proposal_ref>>(std::vector<debate::proposal_ref>{
      {0, debate::make_text("a")}, {1, debate::make_text("b")}, {2, debate::make_text("c")}});
  EXPECT_EQ(mock_reply(*spec, v).choice, 1);  // supportive: first other
  v.key.agent = 2;
  EXPECT_EQ(mock_reply(*spec, v).choice, 1);  // contrarian: last other
  v.key.agent = 0;
  auto out = mock_reply(*spec, v);
  EXPECT_GE(out.confidence, 0.8);
  EXPECT_LE(out.confidence, 0.9);
  // Alone on the ballot, an agent votes for itself.
  v.proposals = std::make_shared<const std::vector<debate::proposal_ref>>(
      std::vector<debate::proposal_ref>{{0, debate::make_text("a")}});
  EXPECT_EQ(mock_reply(*spec, v).choice, 0);
}

TEST(MockProvider, FailRateZeroNeverFailsAndOneAlwaysFails) {
  auto spec = test::make_spec();
  auto never = test::failing(0.0), always = test::failing(1.0), half = test::failing(0.5);
  int failures = 0;
  for (uint8_t round = 1; round <= 200; ++round) {
    EXPECT_TRUE(mock_reply(*spec, call(phase::propose, 0, debate::no_agent, round), never).ok());
    auto f = mock_reply(*spec, call(phase::propose, 0, debate::no_agent, round), always);
    EXPECT_FALSE(f.ok());
    EXPECT_EQ(f.error, debate::call_errc::provider_error);
    failures += !mock_reply(*spec, call(phase::propose, 1, debate::no_agent, round), half).ok();
  }
  EXPECT_GT(failures, 70);
  EXPECT_LT(failures, 130);
}

TEST(MockProvider, CountsTokensAndCost) {
  auto spec = test::make_spec();
  auto p = mock_reply(*spec, call(phase::propose, 0), test::sized(400));
  EXPECT_EQ(p.tokens_out, 101u);
  EXPECT_GT(p.tokens_in, 0u);
  EXPECT_GT(p.cost_usd, 0.0);
}

TEST(MockProvider, TruncatesOnUtf8Boundaries) {
  auto spec = test::make_spec([](debate::debate_spec& s) {
    s.question = "Faut-il adopter Kubernetes ? Éléphants, 日本語, émojis 🎉 " + std::string(100, 'x');
  });
  auto p = mock_reply(*spec, call(phase::propose, 0), test::sized(45));
  ASSERT_LE(p.text->size(), 45u);
  // The last byte never starts or continues a cut multibyte character.
  auto last = static_cast<unsigned char>(p.text->back());
  EXPECT_TRUE(last < 0x80 || (last & 0xC0) == 0x80);
}

}  // namespace
}  // namespace aragora::agent
