#pragma once
// The real providers' configuration (YAML `providers.<name>.*`, filled from the ecosystem's
// environment variables by the CLI). Header-only so the config loader needs no agent library.
//
// Four providers are known: openai, anthropic, openrouter (OpenAI's format) and ollama (OpenAI's
// format, no key). Each runs behind one breaker, one concurrency limit and one bounded queue per
// node, whatever the number of agents naming it.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/defaults.hpp"

namespace aragora::agent {

struct llm_provider_options {
  std::string name;      // openai | anthropic | openrouter | ollama
  std::string base_url;  // empty: the provider's public endpoint
  std::vector<std::string> api_keys;  // several rotate on rate limits; never logged
  double price_per_1k_in = 0;         // USD per 1,000 input tokens
  double price_per_1k_out = 0;
  uint32_t max_concurrency = defaults::provider_max_concurrency;
  bool stream = true;  // ask for server-sent events (token deltas on the debate stream)
};

/// YAML `prompts: {<system|propose|critique|revise|vote|judge>: TEXT}`: a phase's template in place
/// of the built-in one (actors/agent/prompts.cpp); a phase left out (empty here) keeps it.
struct prompt_overrides {
  std::string system, propose, critique, revise, vote, judge, summarise;
};

/// YAML `cli_agents.<name>: {command, timeout_ms}`: a command line that answers a prompt on stdin
/// with its reply on stdout (`cli:<name>` in an agent list).
struct cli_agent_options {
  std::string name;
  std::string command;                // run by /bin/sh -c
  std::chrono::milliseconds timeout{0};  // 0: the debate's agent timeout
};

struct llm_options {
  std::vector<llm_provider_options> providers;  // configured ones; a name appears once
  std::vector<cli_agent_options> cli_agents;     // a name appears once
  uint32_t cli_max_running = defaults::cli_max_running;  // subprocesses at once per node
  prompt_overrides prompts;
  bool compression = defaults::compression;
  std::string summariser = defaults::summariser;  // "provider:model"; empty = each agent's own
  uint32_t max_tokens = defaults::agent_max_tokens;
  uint32_t max_attempts = defaults::agent_max_attempts;  // per call, retries included
  uint32_t breaker_failures = defaults::provider_breaker_failures;
  std::chrono::milliseconds breaker_recovery{defaults::provider_breaker_recovery};

  [[nodiscard]] const llm_provider_options* find(std::string_view name) const {
    for (const auto& p : providers)
      if (p.name == name) return &p;
    return nullptr;
  }
  [[nodiscard]] const cli_agent_options* find_cli(std::string_view name) const {
    for (const auto& c : cli_agents)
      if (c.name == name) return &c;
    return nullptr;
  }
};

/// The providers this build can call besides the mock.
inline constexpr std::string_view llm_provider_names[] = {"openai", "anthropic", "openrouter", "ollama"};

[[nodiscard]] constexpr bool is_llm_provider(std::string_view name) {
  for (auto n : llm_provider_names)
    if (n == name) return true;
  return false;
}

/// A key goes into a header as it is: visible ASCII only (a trailing newline from a YAML block or
/// a file would break the request, or inject a header).
[[nodiscard]] constexpr bool valid_api_key(std::string_view k) {
  if (k.empty() || k.size() > 1024) return false;
  for (char c : k)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

/// Whether the provider works without a key (a local server).
[[nodiscard]] constexpr bool needs_key(std::string_view name) { return name != "ollama"; }

}  // namespace aragora::agent
