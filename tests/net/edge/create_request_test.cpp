// The create request's body (label unit): what the aragora clients send, and what is refused.

#include <gtest/gtest.h>

#include "net/edge/create_request.hpp"

namespace aragora::edge {
namespace {

api_result<debate::debate_spec> parse(std::string_view body) { return parse_create(body, {}); }

TEST(CreateRequest, TakesThePythonClientsBody) {
  auto s = parse(R"({"task": "  Should we adopt Kubernetes?  ", "agents": ["mock:supportive:alice",
    "mock:critical:bob", "mock:contrarian:carol"], "rounds": 2, "consensus": "majority",
    "metadata": {"x": 1}, "unknown": [1, 2]})");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->question, "Should we adopt Kubernetes?");
  ASSERT_EQ(s->agents.size(), 3u);
  EXPECT_EQ(s->agents[1].name, "bob");
  EXPECT_EQ(s->agents[1].option, "critical");
  EXPECT_EQ(s->rounds, 2u);
  EXPECT_EQ(s->consensus, debate::consensus_method::majority);
}

TEST(CreateRequest, AcceptsQuestionACommaStringObjectsAndAProtocolObject) {
  auto s = parse(R"({"question": "Q?", "agents": "mock:balanced,mock:critical",
                     "protocol": {"rounds": 3, "consensus": "unanimous", "early_stop": false}})");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->agents.size(), 2u);
  EXPECT_EQ(s->rounds, 3u);
  EXPECT_EQ(s->consensus, debate::consensus_method::unanimous);
  EXPECT_FALSE(s->early_stop);
  auto o = parse(R"({"task": "Q?", "agents": [{"name": "ann", "style": "critical"},
                                               {"provider": "mock", "option": "balanced"}],
                     "protocol": "full", "consensus": "weighted"})");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->agents[0].name, "ann");
  EXPECT_EQ(o->protocol, debate::protocol_kind::full);
  EXPECT_EQ(o->consensus, debate::consensus_method::majority);
}

TEST(CreateRequest, WithoutAgentsTheDefaultsDebate) {
  auto s = parse(R"({"task": "Q?", "agents": []})");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->agents.size(), 3u);
}

TEST(CreateRequest, RefusesWithAStableCodeAndSaysWhy) {
  struct bad {
    const char* body;
    api_errc code;
    const char* says;
  };
  for (const auto& b : std::initializer_list<bad>{
           {"not json", api_errc::invalid_json, "JSON object"},
           {"[1, 2]", api_errc::invalid_json, "JSON object"},
           {"{}", api_errc::missing_field, "task"},
           {R"({"task": "   "})", api_errc::missing_field, "task"},
           {R"({"task": 5})", api_errc::invalid_value, "'task'"},
           {R"({"task": "Q", "rounds": 0})", api_errc::invalid_value, "rounds"},
           {R"({"task": "Q", "rounds": 99})", api_errc::invalid_value, "rounds"},
           {R"({"task": "Q", "rounds": 2.5})", api_errc::invalid_value, "integer"},
           {R"({"task": "Q", "consensus": "semantic"})", api_errc::invalid_value, "consensus"},
           {R"({"task": "Q", "agents": ["nosuch:x"]})", api_errc::invalid_value, "agents"},
           {R"({"task": "Q", "agents": ["mock:critical:a", "mock:critical:a"]})",
            api_errc::invalid_value, "a"},
           {R"({"task": "Q", "agents": 7})", api_errc::invalid_value, "agents"},
           {R"({"task": "Q", "protocol": "heavy"})", api_errc::invalid_value, "protocol"},
           {R"({"task": "Q", "agents": ["mock:critical"]})", api_errc::invalid_value, "agents"},
       }) {
    auto s = parse(b.body);
    ASSERT_FALSE(s.ok()) << b.body;
    EXPECT_EQ(s.code(), b.code) << b.body << ": " << s.error().message;
    EXPECT_NE(s.error().message.find(b.says), std::string::npos) << b.body << ": " << s.error().message;
  }
  auto long_task = R"({"task": ")" + std::string(20000, 'x') + "\"}";
  EXPECT_EQ(parse(long_task).code(), api_errc::invalid_value);
}

}  // namespace
}  // namespace aragora::edge
