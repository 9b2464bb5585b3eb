#include <gtest/gtest.h>

#include "actors/debate/types.hpp"
#include "tests/support/drive.hpp"

namespace aragora::debate {
namespace {

std::optional<spec_errc> check(std::function<void(debate_spec&)> edit) {
  auto spec = test::make_spec(std::move(edit));
  auto e = validate(*spec);
  return e ? std::optional{e->code} : std::nullopt;
}

TEST(SpecValidation, AcceptsTheLimits) {
  EXPECT_EQ(check({}), std::nullopt);
  EXPECT_EQ(check([](debate_spec& s) { s.rounds = 1; }), std::nullopt);
  EXPECT_EQ(check([](debate_spec& s) { s.rounds = 12; }), std::nullopt);
  EXPECT_EQ(check([](debate_spec& s) { s.agents.resize(2); }), std::nullopt);
  EXPECT_EQ(check([](debate_spec& s) {
              auto first = s.agents[0];
              s.agents.clear();
              for (int i = 0; i < 16; ++i) {
                s.agents.push_back(first);
                s.agents.back().name = "agent-" + std::to_string(i);
              }
            }),
            std::nullopt);
  EXPECT_EQ(check([](debate_spec& s) { s.question = std::string(10'000, 'q'); }), std::nullopt);
  // 10,000 characters of two bytes each are still 10,000 characters.
  std::string accented;
  for (int i = 0; i < 10'000; ++i) accented += "\xC3\xA9";
  EXPECT_EQ(check([&](debate_spec& s) { s.question = accented; }), std::nullopt);
}

TEST(SpecValidation, RefusesWhatIsOutsideThem) {
  EXPECT_EQ(check([](debate_spec& s) { s.question = ""; }), spec_errc::empty_question);
  EXPECT_EQ(check([](debate_spec& s) { s.question = " \n\t "; }), spec_errc::empty_question);
  EXPECT_EQ(check([](debate_spec& s) { s.question = std::string(10'001, 'q'); }),
            spec_errc::question_too_long);
  EXPECT_EQ(check([](debate_spec& s) { s.rounds = 0; }), spec_errc::rounds_out_of_range);
  EXPECT_EQ(check([](debate_spec& s) { s.rounds = 13; }), spec_errc::rounds_out_of_range);
  EXPECT_EQ(check([](debate_spec& s) { s.agents.resize(1); }), spec_errc::too_few_agents);
  EXPECT_EQ(check([](debate_spec& s) { s.agents.resize(17, s.agents[0]); }),
            spec_errc::too_many_agents);
  EXPECT_EQ(check([](debate_spec& s) { s.agents[1].name = s.agents[0].name; }),
            spec_errc::duplicate_agent);
  EXPECT_EQ(check([](debate_spec& s) { s.consensus_threshold = 0; }), spec_errc::bad_threshold);
  EXPECT_EQ(check([](debate_spec& s) { s.mock.fail_rate = 1.01; }), spec_errc::bad_fail_rate);
  EXPECT_EQ(check([](debate_spec& s) { s.agent_timeout = std::chrono::milliseconds{0}; }),
            spec_errc::bad_threshold);
}

}  // namespace
}  // namespace aragora::debate
