#pragma once
// The real providers' settings from the ecosystem's environment variables: OPENAI_API_KEY,
// OPENAI_BASE_URL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, OPENROUTER_API_KEY, OLLAMA_HOST. The
// configuration file wins where it sets a value; the environment fills what it leaves out.
// ollama is always there (a local server needs no key).

#include <functional>
#include <string>

#include "actors/agent/llm_options.hpp"

namespace aragora::cli {

/// `getenv` returns nullptr for an unset variable (std::getenv, or a table in tests).
void apply_provider_env(agent::llm_options& opts, const std::function<const char*(const char*)>& getenv);

}  // namespace aragora::cli
