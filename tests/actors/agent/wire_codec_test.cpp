// A step's agent calls with their spec, and the outcomes, through wire.proto: what a provider on
// another node gets is what it would get locally, and a spec or call it could not run is refused.

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "actors/agent/wire_codec.hpp"
#include "tests/support/wire_samples.hpp"

namespace {

using namespace aragora;
using debate::decode_errc;

template <class T>
std::optional<decode_errc> refusal(const debate::decoded<T>& d) {
  if (!d) return d.error().code;
  return std::nullopt;
}

std::string bytes_of(const google::protobuf::Message& m) {
  std::string out;
  EXPECT_TRUE(m.SerializeToString(&out));
  return out;
}

agent::agent_calls step_calls(const test::wire_debate& d, size_t step) {
  agent::agent_calls c;
  c.spec = d.machine->spec_ptr();
  c.requests = d.steps.at(step);
  return c;
}

TEST(AgentWire, AStepsCallsCrossWithTheirSpecAndAreAnsweredTheSame) {
  auto d = test::run_wire_debate(test::wire_spec());
  for (size_t step = 0; step < d.steps.size(); ++step) {
    SCOPED_TRACE(step);
    auto calls = step_calls(d, step);
    auto p = agent::to_proto(calls);
    EXPECT_EQ(p.debate_id(), calls.spec->id);
    v1::AgentCalls read;
    ASSERT_TRUE(read.ParseFromString(bytes_of(p)));
    auto back = agent::from_proto(read);
    ASSERT_FALSE(refusal(back).has_value()) << back.error().message;
    const auto& got = back.value();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(debate::to_proto(*got.spec),
                                                                   debate::to_proto(*calls.spec)));
    ASSERT_EQ(got.requests.size(), calls.requests.size());
    for (size_t i = 0; i < got.requests.size(); ++i)
      EXPECT_EQ(bytes_of(debate::to_proto(agent::mock_reply(*got.spec, got.requests[i]))),
                bytes_of(debate::to_proto(agent::mock_reply(*calls.spec, calls.requests[i]))));
  }
}

TEST(AgentWire, CallsOfAnotherDebateThanTheirSpecAreRefused) {
  auto d = test::run_wire_debate(test::wire_spec());
  auto p = agent::to_proto(step_calls(d, 0));
  p.set_debate_id("someone-else");
  EXPECT_EQ(refusal(agent::from_proto(p)), decode_errc::debate_id_mismatch);
}

TEST(AgentWire, ASpecThatFailsValidationIsRefused) {
  auto d = test::run_wire_debate(test::wire_spec());
  auto p = agent::to_proto(step_calls(d, 0));
  p.mutable_spec()->set_question("");
  EXPECT_EQ(refusal(agent::from_proto(p)), decode_errc::bad_spec);
  p = agent::to_proto(step_calls(d, 0));
  p.mutable_spec()->mutable_agents()->RemoveLast();
  p.mutable_spec()->mutable_agents()->RemoveLast();  // one agent: too few
  EXPECT_EQ(refusal(agent::from_proto(p)), decode_errc::bad_spec);
}

TEST(AgentWire, ACallForAnAgentTheSpecDoesNotHaveIsRefused) {
  // The provider indexes the spec's agents with it: refused before it gets there.
  auto d = test::run_wire_debate(test::wire_spec());
  auto p = agent::to_proto(step_calls(d, 0));
  p.mutable_calls(0)->mutable_key()->set_agent(3);
  EXPECT_EQ(refusal(agent::from_proto(p)), decode_errc::index_out_of_range);
}

TEST(AgentWire, OutcomesRoundTrip) {
  auto d = test::run_wire_debate(test::wire_spec());
  debate::call_outcomes outcomes;
  for (const auto& c : d.steps[2]) outcomes.items.push_back(agent::mock_reply(d.machine->spec(), c));
  auto p = agent::to_proto("d1", outcomes);
  auto back = agent::outcomes_from_proto(p);
  ASSERT_FALSE(refusal(back).has_value());
  const auto& got = back.value().items;
  ASSERT_EQ(got.size(), outcomes.items.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(bytes_of(debate::to_proto(got[i])), bytes_of(debate::to_proto(outcomes.items[i])));
}

}  // namespace
