#include "actors/agent/agent_spec.hpp"

#include <gtest/gtest.h>

namespace aragora::agent {
namespace {

std::vector<debate::agent_spec> ok(std::string_view list) {
  auto r = parse_agents(list);
  EXPECT_TRUE(r.ok()) << list;
  return r.value();
}

agent_errc err(std::string_view list) {
  auto r = parse_agents(list);
  EXPECT_FALSE(r.ok()) << list;
  return r.error().code;
}

TEST(AgentSpec, ParsesProviderOptionAndName) {
  auto a = ok("mock:supportive, mock:critical:alice ,mock");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].name, "supportive");
  EXPECT_EQ(a[0].provider, "mock");
  EXPECT_EQ(a[1].name, "alice");
  EXPECT_EQ(a[1].option, "critical");
  EXPECT_EQ(a[2].option, "balanced");
}

TEST(AgentSpec, RepeatedStylesGetNumberedNames) {
  auto a = ok("mock:critical,mock:critical,mock:critical");
  EXPECT_EQ(a[0].name, "critical");
  EXPECT_EQ(a[1].name, "critical-2");
  EXPECT_EQ(a[2].name, "critical-3");
}

TEST(AgentSpec, RefusesUnknownAgents) {
  EXPECT_EQ(err("gemini:pro"), agent_errc::unknown_provider);
  EXPECT_EQ(err("openai"), agent_errc::unknown_option);         // no model
  EXPECT_EQ(err("openai:gpt 4"), agent_errc::unknown_option);   // not a model name
  auto real = ok("openai:gpt-4o-mini,openrouter:meta-llama/llama-3-70b,anthropic:claude-haiku-4-5:bob");
  EXPECT_EQ(real[0].name, "gpt-4o-mini");
  EXPECT_EQ(real[0].option, "gpt-4o-mini");
  EXPECT_EQ(real[1].name, "meta-llama-llama-3-70b");  // a model's '/' is no name character
  EXPECT_EQ(real[1].option, "meta-llama/llama-3-70b");
  EXPECT_EQ(real[2].name, "bob");
  // The name goes with the first link, not the last.
  EXPECT_EQ(err("openai:gpt-4o-mini|ollama:llama3|anthropic:claude-haiku-4-5:alice"), agent_errc::unknown_option);
  auto named = ok("openai:gpt-4o-mini:alice|ollama:llama3");
  EXPECT_EQ(named[0].name, "alice");
  EXPECT_EQ(named[0].option, "gpt-4o-mini|ollama:llama3");
  auto links = chain_of(named[0]);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].provider, "openai");
  EXPECT_EQ(links[0].model, "gpt-4o-mini");
  EXPECT_EQ(links[1].provider, "ollama");
  EXPECT_EQ(links[1].model, "llama3");
  EXPECT_EQ(ok("openai:gpt-4o-mini|ollama:llama3")[0].name, "gpt-4o-mini");
  EXPECT_EQ(err("mock:critical|ollama:llama3"), agent_errc::unknown_option);
  EXPECT_EQ(err("openai:gpt-4o-mini|mock:critical"), agent_errc::unknown_option);
  EXPECT_EQ(err("openai:gpt-4o-mini|ollama"), agent_errc::unknown_option);
  EXPECT_EQ(err("openai:a|ollama:b|ollama:c|ollama:d|ollama:e"), agent_errc::unknown_option);
  EXPECT_EQ(err("mock:sarcastic"), agent_errc::unknown_option);
  EXPECT_EQ(err(""), agent_errc::empty_list);
  EXPECT_EQ(err("mock:critical,,mock:balanced"), agent_errc::unknown_provider);
  EXPECT_EQ(err("mock:critical:bad name!"), agent_errc::bad_name);
  EXPECT_EQ(err("mock:a:b:c"), agent_errc::unknown_provider);
  EXPECT_EQ(to_string(agent_errc::unknown_provider), "unknown_agent");
}

TEST(AgentSpec, RefusesAListThatIsNotUtf8) {
  EXPECT_EQ(err("mock:critical:al\xFFice,mock"), agent_errc::invalid_utf8);
  EXPECT_EQ(err("mo\xC3" "ck"), agent_errc::invalid_utf8);
  auto r = parse_agents("mock,\xFF");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find('\xFF'), std::string::npos);
  EXPECT_EQ(to_string(agent_errc::invalid_utf8), "invalid_utf8");
}

}  // namespace
}  // namespace aragora::agent
