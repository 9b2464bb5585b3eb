// `aragora ask` with real-protocol agents as a user runs it (label e2e): keys and base URLs from
// the environment or the configuration file, against a fake OpenAI-compatible and Anthropic API
// on loopback; a missing key is refused by name before anything runs.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "tests/support/fake_llm_server.hpp"
#include "tests/support/subprocess.hpp"

namespace aragora {
namespace {

const std::string bin = ARAGORA_BIN;
const std::string key = "sk-cli-test-5566778899";

test::llm_reply answer(const test::llm_request& r, bool anthropic) {
  test::debating_style style;
  style.proposal = "Roll it out service by service.";
  return test::debating_reply(r, anthropic, style);
}

struct scratch_dir {
  std::string path = test::temp_path("llm-cli");
  scratch_dir() { std::system(("mkdir -p " + path).c_str()); }
  ~scratch_dir() { std::system(("rm -rf " + path + " " + path + ".yaml").c_str()); }
};

TEST(LlmCli, AskRunsOpenAiAnthropicAndMockAgentsFromTheEnvironment) {
  test::fake_llm_server oa{[](const test::llm_request& r) { return answer(r, false); }};
  test::fake_llm_server an{[](const test::llm_request& r) { return answer(r, true); }};
  scratch_dir d;
  auto env = "OPENAI_API_KEY=" + key + " OPENAI_BASE_URL=" + oa.base_url("/v1") + " ANTHROPIC_API_KEY=" + key +
             " ANTHROPIC_BASE_URL=" + an.base_url("/v1") + " ";
  auto r = test::run(env + bin + " ask 'Should we adopt Kubernetes?' --rounds 1 --data-dir " + d.path +
                     " --agents openai:gpt-test,anthropic:claude-test,mock:critical");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Roll it out service by service."), std::string::npos) << r.out;
  EXPECT_GT(oa.request_count(), 0u);
  EXPECT_GT(an.request_count(), 0u);
  EXPECT_EQ(r.out.find(key), std::string::npos);
  EXPECT_EQ(r.err.find(key), std::string::npos);
  EXPECT_EQ(oa.requests()[0].header("authorization"), "Bearer " + key);
}

TEST(LlmCli, TheConfigurationFileNamesProvidersAndBadEntriesAreRefused) {
  test::fake_llm_server oa{[](const test::llm_request& r) { return answer(r, false); }};
  scratch_dir d;
  auto yaml = d.path + ".yaml";  // beside the data dir, which must hold only the store
  std::ofstream{yaml} << "providers:\n  openai:\n    api_key: " << key << "\n    base_url: " << oa.base_url("/v1")
                      << "\n    price_per_1k_in: 0.5\n    stream: false\n";
  auto r = test::run("env -u OPENAI_API_KEY " + bin + " --config " + yaml + " ask 'Q?' --rounds 1 --data-dir " +
                     d.path + " --agents openai:gpt-test,mock:critical,mock:supportive");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  ASSERT_GT(oa.request_count(), 0u);
  EXPECT_EQ(oa.requests()[0].body.find("\"stream\":true"), std::string::npos);  // stream: false

  // A configured prompt reaches the model; one with a placeholder its phase lacks is refused.
  std::ofstream{yaml} << "providers:\n  openai:\n    api_key: " << key << "\n    base_url: " << oa.base_url("/v1")
                      << "\nprompts:\n  propose: \"Custom instruction. Question: {question}\"\n";
  r = test::run("env -u OPENAI_API_KEY " + bin + " --config " + yaml + " ask 'Q?' --rounds 1 --data-dir " +
                d.path + " --agents openai:gpt-test,mock:critical,mock:supportive");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  auto sent = oa.requests();
  EXPECT_TRUE(std::any_of(sent.begin(), sent.end(), [](const test::llm_request& q) {
    return q.body.find("Custom instruction. Question: Q?") != std::string::npos;
  }));
  std::ofstream{yaml} << "prompts:\n  vote: \"Pick from {ballots}\"\n";
  r = test::run(bin + " --config " + yaml + " ask 'Q?' --data-dir " + d.path + " --agents mock:critical,mock:supportive");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("config_bad_prompt"), std::string::npos) << r.err;

  std::ofstream{yaml} << "providers:\n  openia:\n    api_key: x\n";
  r = test::run(bin + " --config " + yaml + " ask 'Q?' --data-dir " + d.path + " --agents mock:critical,mock:supportive");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("config_bad_providers"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown provider 'openia'"), std::string::npos) << r.err;
}

TEST(LlmCli, AskRunsAnOpenAiAnAnthropicAndACliAgentNamedInTheConfiguration) {
  test::fake_llm_server oa{[](const test::llm_request& r) { return answer(r, false); }};
  test::fake_llm_server an{[](const test::llm_request& r) { return answer(r, true); }};
  scratch_dir d;
  auto yaml = d.path + ".yaml";
  std::ofstream{yaml} << "cli_agents:\n  reviewer:\n    command: " << ARAGORA_SOURCE_DIR
                      << "/tests/support/cli_agent.sh\n    timeout_ms: 20000\nruntime:\n  cli_max_running: 2\n";
  auto env = "OPENAI_API_KEY=" + key + " OPENAI_BASE_URL=" + oa.base_url("/v1") + " ANTHROPIC_API_KEY=" + key +
             " ANTHROPIC_BASE_URL=" + an.base_url("/v1") + " ";
  auto r = test::run(env + bin + " --config " + yaml + " ask 'Should we adopt Kubernetes?' --rounds 1 --data-dir " +
                     d.path + " --agents openai:gpt-test,anthropic:claude-test,cli:reviewer");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Adopt it in stages"), std::string::npos) << r.out;  // the script's reply
  EXPECT_NE(r.out.find("(0 failed)"), std::string::npos) << r.out;
  EXPECT_GT(oa.request_count(), 0u);
  EXPECT_GT(an.request_count(), 0u);

  // An undefined one is named, and a bad entry refused, before anything runs.
  r = test::run(bin + " --config " + yaml + " ask 'Q?' --data-dir " + d.path + " --agents cli:writer,mock:critical");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("unknown_cli_agent"), std::string::npos) << r.err;
  std::ofstream{yaml} << "cli_agents:\n  reviewer:\n    timeout_ms: 100\n";
  r = test::run(bin + " --config " + yaml + " ask 'Q?' --data-dir " + d.path + " --agents mock:critical,mock:supportive");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("config_bad_cli_agents"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("has no command"), std::string::npos) << r.err;
}

TEST(LlmCli, ABudgetEndsTheDebateCleanlyWithWhatWasDecidedSoFar) {
  scratch_dir d;
  // The mock's simulated cost is a few hundredths of a cent a call: $0.001 runs out in round 1.
  auto r = test::run(bin + " ask 'Should we adopt Kubernetes?' --rounds 5 --early-stop off --json --budget-usd 0.001 "
                     "--data-dir " + d.path + " --agents mock:supportive,mock:critical,mock:balanced");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"status\":\"budget_exceeded\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("of a $0.001000 budget"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"rounds_used\":1"), std::string::npos) << r.out;  // not the 5 asked for
  r = test::run(bin + " ask 'Q?' --budget-usd -1 --data-dir " + d.path + " --agents mock:critical,mock:supportive");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad_budget"), std::string::npos) << r.err;
}

TEST(LlmCli, AMissingKeyIsNamedAndNothingRuns) {
  scratch_dir d;
  auto r = test::run("env -u OPENAI_API_KEY " + bin + " ask 'Q?' --data-dir " + d.path +
                     " --agents openai:gpt-4o-mini,mock:critical");
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("missing_api_key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("OPENAI_API_KEY"), std::string::npos) << r.err;
  r = test::run(bin + " ask 'Q?' --data-dir " + d.path + " --agents openai:,mock:critical");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("names no model"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace aragora
