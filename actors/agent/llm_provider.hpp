#pragma once
// Real agents: a provider (provider.hpp) that calls an OpenAI-compatible or Anthropic API over
// the node's HTTP client. Per call: the phase's prompt, a streamed or whole reply, retries with
// backoff and jitter for 429 / 5xx / timeouts / resets (honouring Retry-After, within the call's
// deadline), key rotation on 429, the reply parsed into the outcome (prompts.hpp), tokens and
// cost. Per provider and node (llm_gate, shared by every worker's instance): a breaker, a
// concurrency limit and a bounded queue. Nothing blocks: the work happens on the HTTP client's
// I/O threads and reports through the worker's thread-safe sink. Keys never leave the request
// headers: every message that could carry one is redacted.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/agent/llm_options.hpp"
#include "actors/agent/prompts.hpp"
#include "actors/agent/provider.hpp"
#include "runtime/base/resilience/circuit_breaker.hpp"

namespace aragora::llm {
class http_client;
}

namespace aragora::agent {

/// A provider's breaker as it stands (GET /readyz, the admin query).
struct provider_breaker {
  std::string name;
  resilience::breaker_state state = resilience::breaker_state::closed;
};
using breaker_probe = std::function<std::vector<provider_breaker>()>;

/// The factories of every configured provider, sharing `http` and one gate per provider.
/// `templates` are the phases' prompts; `probe`, when given, is set to read their breakers.
[[nodiscard]] provider_catalog llm_providers(const llm_options& opts, std::shared_ptr<llm::http_client> http,
                                             std::shared_ptr<const prompt_templates> templates,
                                             breaker_probe* probe = nullptr);

/// The default base URL of a known provider ("https://api.openai.com/v1").
[[nodiscard]] std::string default_base_url(std::string_view provider);

}  // namespace aragora::agent
