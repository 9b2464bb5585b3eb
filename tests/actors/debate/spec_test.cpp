#include <gtest/gtest.h>

#include "actors/debate/types.hpp"
#include "aragora/v1/debate.pb.h"
#include "runtime/base/text/utf8.hpp"
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
  EXPECT_EQ(check([](debate_spec& s) { s.agent_timeout = std::chrono::milliseconds{0}; }),
            spec_errc::bad_duration);
}

// Protobuf serialises a string field that is not UTF-8 and then refuses to parse it: a debate with
// such text would vanish from the store. Every text of a spec is checked on entry.
TEST(SpecValidation, RefusesTextThatIsNotUtf8) {
  const std::string bad = "Should we\xFF adopt it?";
  EXPECT_EQ(check([&](debate_spec& s) { s.question = bad; }), spec_errc::invalid_utf8);
  EXPECT_EQ(check([&](debate_spec& s) { s.context = bad; }), spec_errc::invalid_utf8);
  EXPECT_EQ(check([&](debate_spec& s) { s.domain = bad; }), spec_errc::invalid_utf8);
  EXPECT_EQ(check([&](debate_spec& s) { s.id = bad; }), spec_errc::invalid_utf8);
  EXPECT_EQ(check([&](debate_spec& s) { s.requested_by = bad; }), spec_errc::invalid_utf8);
  EXPECT_EQ(check([&](debate_spec& s) { s.agents[1].name = "b\xC3"; }), spec_errc::invalid_utf8);
  EXPECT_EQ(check([&](debate_spec& s) { s.agents[0].option = "\xED\xA0\x80"; }),
            spec_errc::invalid_utf8);
  EXPECT_EQ(to_string(spec_errc::invalid_utf8), "invalid_utf8");
  // Checked before anything that quotes the text in its message.
  EXPECT_EQ(check([&](debate_spec& s) { s.question = std::string(10'001, '\xFF'); }),
            spec_errc::invalid_utf8);
  auto spec = test::make_spec([&](debate_spec& s) { s.question = bad; });
  auto e = validate(*spec);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message.find('\xFF'), std::string::npos) << "the message does not echo the bytes";
  // Valid multi-byte text passes.
  EXPECT_EQ(check([](debate_spec& s) { s.question = "Faut-il adopter \xE2\x82\xAC? \xF0\x9F\x98\x80"; }),
            std::nullopt);
}

// What the validator accepts, protobuf reads back; what it refuses, protobuf would not.
TEST(SpecValidation, Utf8CheckAgreesWithProtobuf) {
  const std::vector<std::string> samples{
      "", "plain", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
      "\xFF", "\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
      "\xF5\x80\x80\x80", "a\x80" "b", "\xE2\x82", std::string("nul\0inside", 10)};
  for (const auto& s : samples) {
    v1::Message m;
    m.set_text(s);
    std::string wire;
    (void)m.SerializeToString(&wire);
    v1::Message back;
    EXPECT_EQ(back.ParseFromString(wire), text::is_valid_utf8(s)) << testing::PrintToString(s);
  }
}

}  // namespace
}  // namespace aragora::debate
