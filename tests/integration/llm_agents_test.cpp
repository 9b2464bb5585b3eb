// Real-protocol agents against a fake LLM API on loopback (label integration): a debate of an
// OpenAI-compatible agent, an Anthropic agent and a mock runs to its end through the node;
// retries on 429 honour Retry-After; a failing provider opens its breaker, which closes again
// when the server recovers; keys appear in no outcome; a server that never answers costs a call
// its deadline, not the debate.

#include <gtest/gtest.h>

#include <caf/all.hpp>

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include "actors/agent/agent_spec.hpp"
#include "actors/debate/actor/messages.hpp"
#include "actors/debate/store/persistence.hpp"
#include "runtime/base/fault/fault_injector.hpp"
#include "runtime/base/metrics/metrics.hpp"
#include "runtime/base/text/utf8.hpp"
#include "runtime/node/local_node.hpp"
#include "tests/support/fake_llm_server.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;

const std::string openai_key = "sk-test-0123456789abcdef";
const std::string anthropic_key = "sk-ant-test-fedcba9876543210";

/// A cooperative model whose every call uses 40 tokens in and 12 out.
test::llm_reply reply_for(const test::llm_request& r, bool anthropic) {
  test::debating_style style;
  style.tokens_in = 40;
  style.tokens_out = 12;
  style.piece = 7;
  return test::debating_reply(r, anthropic, style);
}

config::node_config with_providers(const std::string& openai_url, const std::string& anthropic_url) {
  config::node_config c;
  c.memory_enabled = false;
  c.agent_timeout = 5s;
  agent::llm_provider_options o;
  o.name = "openai";
  o.base_url = openai_url;
  o.api_keys = {openai_key};
  o.price_per_1k_in = 1.0;
  o.price_per_1k_out = 2.0;
  c.llm.providers.push_back(o);
  agent::llm_provider_options a;
  a.name = "anthropic";
  a.base_url = anthropic_url;
  a.api_keys = {anthropic_key};
  c.llm.providers.push_back(a);
  return c;
}

debate::debate_finished run(node::local_node& node, const std::string& agents, uint32_t rounds = 1,
                            std::chrono::milliseconds agent_timeout = 5s) {
  auto spec = std::make_shared<debate::debate_spec>();
  spec->id = node.next_debate_id();
  spec->question = "Should we adopt Kubernetes?";
  spec->agents = *agent::parse_agents(agents);
  spec->rounds = rounds;
  spec->early_stop = false;
  spec->agent_timeout = agent_timeout;
  caf::scoped_actor self{node.system()};
  (void)node.start_debate(spec, self, {}, debate::finish_report::full);
  debate::debate_finished done;
  self->receive([&](debate::debate_finished& f) { done = std::move(f); },
                caf::after(std::chrono::seconds{60}) >> [] { ADD_FAILURE() << "no result"; });
  return done;
}

std::string everything_said(const debate::debate_finished& done) {
  std::string all;
  if (!done.machine) return all;
  for (const auto& e : done.machine->errors()) all += e.message + "\n";
  for (const auto& t : done.machine->transcript())
    if (t.text) all += *t.text + "\n";
  return all;
}

TEST(LlmAgents, ADebateOfAnOpenAiAgentAnAnthropicAgentAndAMockRunsToItsEnd) {
  test::fake_llm_server oa{[](const test::llm_request& r) { return reply_for(r, false); }};
  test::fake_llm_server an{[](const test::llm_request& r) { return reply_for(r, true); }};
  test::temp_store store{"llm-debate"};
  node::local_node node{with_providers(oa.base_url("/v1"), an.base_url("/v1")), std::nullopt, store.db};
  auto done = run(node, "openai:gpt-test:alice,anthropic:claude-test:bob,mock:critical:carol", 2);
  ASSERT_TRUE(done.machine) << done.error;
  const auto& m = *done.machine;
  EXPECT_TRUE(m.finished());
  EXPECT_EQ(m.failed_calls(), 0u) << everything_said(done);
  EXPECT_TRUE(done.summary.status == debate::debate_status::consensus_reached ||
              done.summary.status == debate::debate_status::no_consensus);
  // Every call of the real agents went to their server, with their key, in their format.
  ASSERT_GT(oa.request_count(), 2u);
  ASSERT_GT(an.request_count(), 2u);
  for (const auto& r : oa.requests()) {
    EXPECT_EQ(r.target, "/v1/chat/completions");
    EXPECT_EQ(r.header("authorization"), "Bearer " + openai_key);
    EXPECT_NE(r.body.find("\"model\":\"gpt-test\""), std::string::npos);
  }
  for (const auto& r : an.requests()) {
    EXPECT_EQ(r.target, "/v1/messages");
    EXPECT_EQ(r.header("x-api-key"), anthropic_key);
    EXPECT_EQ(r.header("anthropic-version"), "2023-06-01");
  }
  // Tokens and cost from the APIs' usage, priced by the table: 40 in and 12 out per call at $1
  // and $2 per 1,000.
  const auto& alice = m.stats()[0];
  EXPECT_GT(alice.calls, 2u);
  EXPECT_EQ(alice.tokens_in, 40u * alice.calls);
  EXPECT_EQ(alice.tokens_out, 12u * alice.calls);
  EXPECT_NEAR(alice.cost_usd, alice.calls * (0.040 + 0.024), 1e-9);
  EXPECT_EQ(m.stats()[1].cost_usd, 0.0);  // anthropic: no price configured
  // And in /metrics, by provider (counted for the whole process: at least this debate's).
  auto scraped = metrics::default_registry().render();
  auto value_of = [&](const std::string& series) {
    auto at = scraped.find(series + " ");
    return at == std::string::npos ? -1.0 : std::stod(scraped.substr(at + series.size() + 1));
  };
  EXPECT_GE(value_of(R"(aragora_agent_tokens_total{provider="openai",direction="in"})"), alice.tokens_in) << scraped;
  EXPECT_GE(value_of(R"(aragora_agent_tokens_total{provider="anthropic",direction="out"})"), m.stats()[1].tokens_out);
  EXPECT_GE(value_of(R"(aragora_agent_cost_usd_total{provider="openai"})"), alice.cost_usd - 1e-9);
}

TEST(LlmAgents, A429WithRetryAfterIsWaitedOutAndTheCallSucceeds) {
  std::atomic<int> seen{0};
  test::fake_llm_server oa{[&](const test::llm_request& r) {
    if (seen++ == 0) return test::error_reply(429, "rate limited", {{"Retry-After", "0.3"}});
    return reply_for(r, false);
  }};
  test::temp_store store{"llm-429"};
  auto cfg = with_providers(oa.base_url("/v1"), oa.base_url("/v1"));
  node::local_node node{cfg, std::nullopt, store.db};
  auto t0 = std::chrono::steady_clock::now();
  auto done = run(node, "openai:gpt-test:alice,mock:critical:carol");
  ASSERT_TRUE(done.machine);
  EXPECT_EQ(done.machine->failed_calls(), 0u) << everything_said(done);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 300ms);
}

TEST(LlmAgents, AFailingProviderOpensItsBreakerAndClosesItWhenTheServerRecovers) {
  std::atomic<bool> broken{true};
  test::fake_llm_server oa{[&](const test::llm_request& r) {
    if (broken) return test::error_reply(500, "internal error");
    return reply_for(r, false);
  }};
  test::temp_store store{"llm-breaker"};
  auto cfg = with_providers(oa.base_url("/v1"), oa.base_url("/v1"));
  cfg.llm.max_attempts = 1;
  cfg.llm.breaker_failures = 5;
  cfg.llm.breaker_recovery = 500ms;
  node::local_node node{cfg, std::nullopt, store.db};
  // Broken: each debate's openai calls fail; after 5 failures in a row the breaker is open and
  // the calls fail without reaching the server.
  for (int i = 0; i < 4; ++i) {
    auto done = run(node, "openai:gpt-test:alice,mock:critical:carol,mock:supportive:dave");
    ASSERT_TRUE(done.machine);
  }
  auto reached = oa.request_count();
  EXPECT_GE(reached, 5u);
  auto done = run(node, "openai:gpt-test:alice,mock:critical:carol,mock:supportive:dave");
  ASSERT_TRUE(done.machine);
  EXPECT_EQ(oa.request_count(), reached) << "calls reached the server through an open breaker";
  EXPECT_NE(everything_said(done).find("breaker is open"), std::string::npos) << everything_said(done);
  auto breakers = node.provider_breakers();
  ASSERT_EQ(breakers.size(), 2u);  // openai and anthropic
  EXPECT_EQ(breakers[0].name, "openai");
  EXPECT_EQ(breakers[0].state, resilience::breaker_state::open);
  EXPECT_EQ(breakers[1].state, resilience::breaker_state::closed);
  auto scraped = metrics::default_registry().render();
  EXPECT_NE(scraped.find("aragora_circuit_breaker_state{name=\"provider/openai\"} 2"), std::string::npos) << scraped;
  // Recovered, and the breaker's recovery time passed: a trial call goes through, closes it,
  // and the debate runs clean.
  broken = false;
  std::this_thread::sleep_for(600ms);
  done = run(node, "openai:gpt-test:alice,mock:critical:carol,mock:supportive:dave");
  ASSERT_TRUE(done.machine);
  auto again = run(node, "openai:gpt-test:alice,mock:critical:carol,mock:supportive:dave");
  ASSERT_TRUE(again.machine);
  EXPECT_EQ(again.machine->failed_calls(), 0u) << everything_said(again);
  EXPECT_GT(oa.request_count(), reached);
  EXPECT_NE(metrics::default_registry().render().find("aragora_circuit_breaker_state{name=\"provider/openai\"} 0"),
            std::string::npos);
}

TEST(LlmAgents, KeysAppearInNoOutcomeEvenWhenTheApiQuotesThem) {
  test::fake_llm_server oa{[](const test::llm_request&) {
    return test::error_reply(401, "Incorrect API key provided: " + openai_key + ". Check it.");
  }};
  test::temp_store store{"llm-keys"};
  node::local_node node{with_providers(oa.base_url("/v1"), oa.base_url("/v1")), std::nullopt, store.db};
  auto done = run(node, "openai:gpt-test:alice,mock:critical:carol,mock:supportive:dave");
  ASSERT_TRUE(done.machine);
  auto said = everything_said(done);
  EXPECT_NE(said.find("HTTP 401: Incorrect API key provided: [redacted]. Check it."), std::string::npos) << said;
  EXPECT_EQ(said.find(openai_key), std::string::npos);
  EXPECT_EQ(oa.request_count(), done.machine->stats()[0].calls) << "a refused key is not retried";
}

TEST(LlmAgents, AServerThatNeverAnswersCostsTheCallItsDeadlineNotTheDebate) {
  test::fake_llm_server oa{[](const test::llm_request&) { return test::hanging_reply(); }};
  test::temp_store store{"llm-hang"};
  node::local_node node{with_providers(oa.base_url("/v1"), oa.base_url("/v1")), std::nullopt, store.db};
  auto spec_agents = "openai:gpt-test:alice,mock:critical:carol,mock:supportive:dave";
  auto t0 = std::chrono::steady_clock::now();
  auto done = run(node, spec_agents, 1, 1s);
  ASSERT_TRUE(done.machine);
  EXPECT_TRUE(done.machine->finished());
  EXPECT_GT(done.machine->failed_calls(), 0u);
  for (const auto& e : done.machine->errors()) {
    if (e.key.agent == 0) EXPECT_EQ(e.code, debate::call_errc::timeout) << e.message;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

TEST(LlmAgents, ARefusedKeyMovesTheCallToTheAgentsFallback) {
  test::fake_llm_server oa{[](const test::llm_request&) { return test::error_reply(401, "bad key"); }};
  test::fake_llm_server an{[](const test::llm_request& r) { return reply_for(r, true); }};
  test::temp_store store{"llm-fallback"};
  node::local_node node{with_providers(oa.base_url("/v1"), an.base_url("/v1")), std::nullopt, store.db};
  auto done = run(node, "openai:gpt-test:alice|anthropic:claude-test,mock:critical:carol,mock:supportive:dave");
  ASSERT_TRUE(done.machine);
  EXPECT_EQ(done.machine->failed_calls(), 0u) << everything_said(done);
  auto calls = done.machine->stats()[0].calls;
  EXPECT_EQ(oa.request_count(), calls);  // each call tried its provider once (a 401 is final there)
  EXPECT_EQ(an.request_count(), calls);  // and went on to the fallback, which answered
  for (const auto& r : an.requests()) EXPECT_NE(r.body.find("\"model\":\"claude-test\""), std::string::npos);
  // Both failing: the error says what each link answered.
  an.set_handler([](const test::llm_request&) { return test::error_reply(403, "forbidden"); });
  done = run(node, "openai:gpt-test:alice|anthropic:claude-test,mock:critical:carol,mock:supportive:dave");
  ASSERT_TRUE(done.machine);
  EXPECT_NE(everything_said(done).find("openai: HTTP 401: bad key; then anthropic: HTTP 403: forbidden"),
            std::string::npos)
      << everything_said(done);
}

const std::string cli_script = std::string{ARAGORA_SOURCE_DIR} + "/tests/support/cli_agent.sh";

config::node_config with_cli(config::node_config c, std::string name, std::string command,
                             std::chrono::milliseconds timeout = 0ms) {
  c.llm.cli_agents.push_back({std::move(name), std::move(command), timeout});
  return c;
}

TEST(LlmAgents, ADebateOfAnOpenAiAgentAnAnthropicAgentAndACliAgentRunsToItsEnd) {
  test::fake_llm_server oa{[](const test::llm_request& r) { return reply_for(r, false); }};
  test::fake_llm_server an{[](const test::llm_request& r) { return reply_for(r, true); }};
  test::temp_store store{"llm-cli-debate"};
  auto cfg = with_cli(with_providers(oa.base_url("/v1"), an.base_url("/v1")), "reviewer", cli_script);
  node::local_node node{cfg, std::nullopt, store.db};
  auto done = run(node, "openai:gpt-test:alice,anthropic:claude-test:bob,cli:reviewer:carol", 2);
  ASSERT_TRUE(done.machine) << done.error;
  const auto& m = *done.machine;
  EXPECT_EQ(m.failed_calls(), 0u) << everything_said(done);
  EXPECT_TRUE(done.summary.status == debate::debate_status::consensus_reached ||
              done.summary.status == debate::debate_status::no_consensus);
  const auto& carol = m.stats()[2];
  EXPECT_GT(carol.calls, 2u);
  EXPECT_TRUE(carol.contributed);
  EXPECT_GT(carol.tokens_in, carol.calls * 20u);  // estimated from the prompt's bytes
  EXPECT_NE(everything_said(done).find("Adopt it in stages"), std::string::npos);
  // Every critique of carol's parsed: severity 2 from the script's reply.
  for (const auto& t : m.transcript())
    if (t.key.agent == 2 && t.key.ph == debate::phase::critique) EXPECT_EQ(t.severity, 2.0);
}

TEST(LlmAgents, AHungCliAgentAndWhatItStartedAreKilledAtItsTimeoutAndTheDebateGoesOn) {
  test::temp_store store{"llm-cli-hang"};
  auto pids = test::temp_path("cli-hang-pids");
  auto cfg = with_cli(with_providers("http://127.0.0.1:1/v1", "http://127.0.0.1:1/v1"), "stuck",
                      "sleep 300 & echo $! >> " + pids + "; wait", 800ms);
  node::local_node node{cfg, std::nullopt, store.db};
  auto t0 = std::chrono::steady_clock::now();
  auto done = run(node, "cli:stuck:alice,mock:critical:carol,mock:supportive:dave");
  ASSERT_TRUE(done.machine);
  EXPECT_TRUE(done.machine->finished());
  // Three steps of its own 800 ms, not of the 5 s agent timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s);
  size_t timeouts = 0;
  for (const auto& e : done.machine->errors())
    if (e.key.agent == 0) {
      EXPECT_EQ(e.code, debate::call_errc::timeout) << e.message;
      EXPECT_NE(e.message.find("process group was killed"), std::string::npos) << e.message;
      ++timeouts;
    }
  EXPECT_EQ(timeouts, done.machine->stats()[0].calls);
  std::ifstream in(pids);
  size_t started = 0;
  for (pid_t p; in >> p; ++started) EXPECT_TRUE(test::ends_within(p, 5s)) << "pid " << p << " still runs";
  EXPECT_EQ(started, done.machine->stats()[0].calls);
  std::remove(pids.c_str());
}

TEST(LlmAgents, AFailingCliAgentsStderrIsInItsErrorWithKeysBlankedOut) {
  test::temp_store store{"llm-cli-fail"};
  auto cfg = with_cli(with_providers("http://127.0.0.1:1/v1", "http://127.0.0.1:1/v1"), "broken",
                      "cat > /dev/null; echo \"auth refused for " + openai_key + "\" >&2; exit 4");
  node::local_node node{cfg, std::nullopt, store.db};
  auto done = run(node, "cli:broken:alice,mock:critical:carol,mock:supportive:dave");
  ASSERT_TRUE(done.machine);
  auto said = everything_said(done);
  EXPECT_NE(said.find("cli:broken: exited with status 4: auth refused for [redacted]"), std::string::npos) << said;
  EXPECT_EQ(said.find(openai_key), std::string::npos);
  // Bytes that are no UTF-8 on stderr become replacement characters: the error is stored, and
  // the debate's record still reads back.
  cfg = with_cli(with_providers("http://127.0.0.1:1/v1", "http://127.0.0.1:1/v1"), "binary",
                 "cat > /dev/null; printf 'bad \\377\\376 bytes' >&2; exit 1");
  node::local_node binary{cfg, std::nullopt, store.db};
  done = run(binary, "cli:binary:alice,mock:critical:carol,mock:supportive:dave");
  ASSERT_TRUE(done.machine);
  said = everything_said(done);
  EXPECT_NE(said.find("cli:binary: exited with status 1: bad "), std::string::npos) << said;
  EXPECT_TRUE(text::is_valid_utf8(said));
  auto loaded = debate::load_debate(*store.db, done.machine->spec().id);
  ASSERT_TRUE(loaded) << "the stored record does not read back: " << loaded.error().message;
  ASSERT_TRUE(*loaded);
  EXPECT_FALSE((*loaded)->events.empty());
  // A reply that says nothing a vote needs is a bad reply quoting it, not a silent default.
  cfg = with_cli(with_providers("http://127.0.0.1:1/v1", "http://127.0.0.1:1/v1"), "vague", "cat > /dev/null; echo maybe");
  node::local_node other{cfg, std::nullopt, store.db};
  done = run(other, "cli:vague:alice,mock:critical:carol,mock:supportive:dave");
  ASSERT_TRUE(done.machine);
  bool bad_vote = false;
  for (const auto& e : done.machine->errors())
    bad_vote |= e.key.agent == 0 && e.key.ph == debate::phase::vote && e.code == debate::call_errc::bad_reply &&
                e.message.find("maybe") != std::string::npos;
  EXPECT_TRUE(bad_vote) << everything_said(done);
}

TEST(LlmAgents, ACliAgentTheConfigurationDoesNotDefineIsRefusedByName) {
  agent::llm_options opts;
  opts.cli_agents.push_back({"reviewer", "true", 0ms});
  auto err = agent::check_keys(*agent::parse_agents("cli:reviewer,cli:writer:bob,mock:critical"), opts);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code_name(), "unknown_cli_agent");
  EXPECT_NE(err->message.find("cli:writer"), std::string::npos) << err->message;
  EXPECT_NE(err->message.find("cli_agents: reviewer"), std::string::npos) << err->message;
  EXPECT_FALSE(agent::check_keys(*agent::parse_agents("cli:reviewer,cli:reviewer:second,mock:critical"), opts));
  EXPECT_FALSE(agent::parse_agents("cli:,mock:critical"));
  EXPECT_FALSE(agent::parse_agents("cli:reviewer|ollama:llama3,mock:critical"));  // no fallbacks
}

/// A node with the fault hook and quick restarts, its real agents answering after `delay`.
config::node_config crashable(const std::string& url) {
  auto c = with_providers(url, url);
  c.fault_injection = true;
  c.supervision.restart_base = 20ms;
  c.supervision.restart_cap = 200ms;
  c.supervision.stable_after = 300ms;
  return c;
}

/// Two rounds without early stop, 10 s per call: long enough for a crash to be the only failure.
std::shared_ptr<debate::debate_spec> two_rounds(node::local_node& node, const std::string& agents) {
  auto spec = std::make_shared<debate::debate_spec>();
  spec->id = node.next_debate_id();
  spec->question = "Should we adopt Kubernetes?";
  spec->agents = *agent::parse_agents(agents);
  spec->rounds = 2;
  spec->early_stop = false;
  spec->agent_timeout = 10s;
  return spec;
}

/// A cooperative OpenAI-compatible model that answers each call after `delay`.
test::fake_llm_server::handler answering_after(std::chrono::milliseconds delay) {
  return [delay](const test::llm_request& r) {
    auto reply = reply_for(r, false);
    reply.delay = delay;
    return reply;
  };
}

/// No call key answered twice in the transcript.
void expect_each_step_once(const debate::debate_machine& m) {
  std::set<uint32_t> keys;
  for (const auto& t : m.transcript()) EXPECT_TRUE(keys.insert(t.key.packed()).second) << "a call answered twice";
}

TEST(LlmAgents, CrashedAgentWorkersCancelTheirHttpCallsAndTheDebateCompletesOnTheirRestart) {
  test::fake_llm_server oa{answering_after(300ms)};
  test::temp_store store{"llm-agent-crash"};
  node::local_node node{crashable(oa.base_url("/v1")), std::nullopt, store.db};
  caf::scoped_actor self{node.system()};
  auto spec = two_rounds(node, "openai:gpt-test:alice,openai:gpt-test:bob,mock:critical:carol");
  (void)node.start_debate(spec, self, {}, debate::finish_report::full);
  // Mid-way through the first proposals: both real calls are on the wire.
  for (auto until = std::chrono::steady_clock::now() + 5s; oa.request_count() < 2 && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(oa.request_count(), 2u);
  for (const auto& name : node.faults()->names("agent/")) ASSERT_TRUE(node.faults()->crash(name));
  debate::debate_finished done;
  self->receive([&](debate::debate_finished& f) { done = std::move(f); },
                caf::after(30s) >> [] { ADD_FAILURE() << "no result"; });
  ASSERT_TRUE(done.machine) << done.error;
  const auto& m = *done.machine;
  EXPECT_NE(done.summary.status, debate::debate_status::failed);
  // The crashed calls failed at once (not at the 10 s deadline) and were not asked again.
  size_t crashed = 0;
  for (const auto& e : m.errors()) crashed += e.message.find("crashed") != std::string::npos;
  EXPECT_GE(crashed, 2u) << everything_said(done);
  expect_each_step_once(m);
  auto real_calls = m.stats()[0].calls + m.stats()[1].calls;
  EXPECT_EQ(oa.request_count(), real_calls) << "a call reached the server twice";
  EXPECT_GT(m.transcript().size(), 10u);  // the restarted workers served the rest
}

TEST(LlmAgents, ADebateActorCrashedMidRunResumesFromItsLogWithoutRerunningAnAnsweredStep) {
  test::fake_llm_server oa{answering_after(40ms)};
  test::temp_store store{"llm-debate-crash"};
  node::local_node node{crashable(oa.base_url("/v1")), std::nullopt, store.db};
  caf::scoped_actor self{node.system()};
  auto spec = two_rounds(node, "openai:gpt-test:alice,openai:gpt-test:bob,openai:gpt-test:carol");
  (void)node.start_debate(spec, self, {self}, debate::finish_report::full);
  // Once the first round's proposals are in, with its critiques on the wire.
  for (auto until = std::chrono::steady_clock::now() + 5s; oa.request_count() < 5 && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(2ms);
  ASSERT_TRUE(node.faults()->crash("debate/" + spec->id));
  std::optional<debate::debate_finished> done;
  self->receive_while([&] { return !done; })([&](debate::event_ptr&) {},
                                             [&](debate::debate_finished& f) { done = std::move(f); },
                                             caf::after(30s) >> [&] { done = debate::debate_finished{}; });
  ASSERT_TRUE(done->machine) << done->error;
  const auto& m = *done->machine;
  EXPECT_NE(done->summary.status, debate::debate_status::failed) << done->error;
  expect_each_step_once(m);
  // Every recorded answer was asked once; at most the one step in flight at the crash (6
  // critiques of 3 agents) was asked again by the restarted actor.
  EXPECT_GE(oa.request_count(), m.transcript().size());
  EXPECT_LE(oa.request_count(), m.agent_calls() + 6);
  EXPECT_EQ(m.transcript().size(), 24u);  // 2 rounds of 3 proposals, 6 critiques, 3 votes
}

TEST(LlmAgents, AnAgentWithoutAKeyIsRefusedByName) {
  agent::llm_options none;
  auto err = agent::check_keys(*agent::parse_agents("mock:critical,openai:gpt-4o-mini,anthropic:claude-haiku-4-5"), none);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code_name(), "missing_api_key");
  EXPECT_NE(err->message.find("OPENAI_API_KEY"), std::string::npos) << err->message;
  EXPECT_FALSE(agent::check_keys(*agent::parse_agents("ollama:llama3,mock:critical"), none));
  auto fallback = agent::check_keys(*agent::parse_agents("ollama:llama3|anthropic:claude-haiku-4-5,mock:critical"), none);
  ASSERT_TRUE(fallback);
  EXPECT_NE(fallback->message.find("ANTHROPIC_API_KEY"), std::string::npos) << fallback->message;
}


TEST(LlmAgents, ALongDebatesHistoryIsCompressedFromRoundThreeBySummaries) {
  const std::string summary = "SUMMARY: alice and bob back a staged rollout; carol doubts the cost.";
  test::fake_llm_server oa{[&](const test::llm_request& r) {
    if (r.body.find("Summarise the debate above") != std::string::npos) return test::openai_reply(summary, 900, 30);
    test::debating_style style;
    style.proposal = "Adopt it in stages, starting with the stateless services. " + std::string(500, 'x');
    return test::debating_reply(r, false, style);
  }};
  test::temp_store store{"llm-compress"};
  node::local_node node{with_providers(oa.base_url("/v1"), oa.base_url("/v1")), std::nullopt, store.db};
  auto done = run(node, "openai:gpt-test:alice,openai:gpt-test:bob,openai:gpt-test:carol", 4);
  ASSERT_TRUE(done.machine) << done.error;
  const auto& m = *done.machine;
  EXPECT_EQ(m.failed_calls(), 0u) << everything_said(done);
  // Rounds 1 and 2 go whole; from round 3 the proposals carry the summary and the last 5.
  size_t summaries = 0, compressed_prompts = 0;
  for (const auto& r : oa.requests()) {
    if (r.body.find("Summarise the debate above") != std::string::npos) {
      ++summaries;
      continue;
    }
    compressed_prompts += r.body.find("SUMMARY: alice and bob back a staged rollout") != std::string::npos;
  }
  EXPECT_EQ(summaries, 2u);  // one per compressed step (the proposals of rounds 3 and 4)
  EXPECT_EQ(compressed_prompts, 6u);
  EXPECT_EQ(m.compressed_calls(), 6u);
  EXPECT_GT(m.compression_ratio(), 0.0);
  EXPECT_LT(m.compression_ratio(), 0.8);
  for (const auto& t : m.transcript())
    if (t.key.ph == debate::phase::propose) EXPECT_EQ(t.context_ratio > 0, t.key.round >= 3) << int(t.key.round);
  // The call that had a summary written pays for it: 900 tokens in on top of its own.
  uint32_t most = 0;
  for (const auto& t : m.transcript()) most = std::max(most, t.tokens_in);
  EXPECT_GE(most, 900u);
  auto scraped = metrics::default_registry().render();
  EXPECT_NE(scraped.find("aragora_context_compression_ratio_count 6"), std::string::npos) << scraped;
}


TEST(LlmAgents, TheConfiguredSummariserWritesTheSummaryAndAFailedOneLeavesPromptsWhole) {
  auto long_reply = [](const test::llm_request& r, bool anthropic) {
    test::debating_style style;
    style.proposal = "Adopt it in stages, starting with the stateless services. " + std::string(500, 'x');
    return test::debating_reply(r, anthropic, style);
  };
  test::fake_llm_server oa{[&](const test::llm_request& r) { return long_reply(r, false); }};
  std::atomic<int> summaries{0};
  test::fake_llm_server an{[&](const test::llm_request& r) {
    if (r.body.find("Summarise the debate above") == std::string::npos) return long_reply(r, true);
    ++summaries;
    return test::anthropic_reply("SUMMARY by the summariser.", 50, 10);
  }};
  test::temp_store store{"llm-summariser"};
  auto cfg = with_providers(oa.base_url("/v1"), an.base_url("/v1"));
  cfg.llm.summariser = "anthropic:claude-summary";
  node::local_node node{cfg, std::nullopt, store.db};
  auto done = run(node, "openai:gpt-test:alice,openai:gpt-test:bob,openai:gpt-test:carol", 3);
  ASSERT_TRUE(done.machine);
  EXPECT_EQ(summaries.load(), 1);
  EXPECT_EQ(done.machine->compressed_calls(), 3u);
  for (const auto& r : an.requests())
    if (r.body.find("Summarise") != std::string::npos) EXPECT_NE(r.body.find("claude-summary"), std::string::npos);
  // The summariser fails: the calls go on with the whole history.
  an.set_handler([](const test::llm_request&) { return test::error_reply(500, "down"); });
  done = run(node, "openai:gpt-test:alice,openai:gpt-test:bob,openai:gpt-test:carol", 3);
  ASSERT_TRUE(done.machine);
  EXPECT_EQ(done.machine->failed_calls(), 0u) << everything_said(done);
  EXPECT_EQ(done.machine->compressed_calls(), 0u);
}


TEST(LlmAgents, ASummariserThatNeverAnswersCostsTheStepHalfItsTimeNotItsCalls) {
  test::fake_llm_server oa{[](const test::llm_request& r) {
    if (r.body.find("Summarise the debate above") != std::string::npos) return test::hanging_reply();
    test::debating_style style;
    style.proposal = "Adopt it in stages, starting with the stateless services. " + std::string(500, 'x');
    return test::debating_reply(r, false, style);
  }};
  test::temp_store store{"llm-summary-hang"};
  node::local_node node{with_providers(oa.base_url("/v1"), oa.base_url("/v1")), std::nullopt, store.db};
  auto t0 = std::chrono::steady_clock::now();
  auto done = run(node, "openai:gpt-test:alice,openai:gpt-test:bob,openai:gpt-test:carol", 3, 2s);
  ASSERT_TRUE(done.machine);
  // The round-3 proposals waited for the summary up to half their 2 s, then went out whole.
  EXPECT_EQ(done.machine->failed_calls(), 0u) << everything_said(done);
  EXPECT_EQ(done.machine->compressed_calls(), 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

}  // namespace
}  // namespace aragora
