#pragma once
// CLI agents: a provider (provider.hpp) whose agents are command lines (`cli:NAME`, YAML
// `cli_agents.NAME.command`). Each call runs the command through the node's process runner with
// the phase's prompt on stdin and reads the reply from stdout, parsed like a model's reply
// (prompts.hpp). The runner bounds how many run at once and kills a command's whole process group
// at the call's deadline (or the agent's own `timeout_ms`, if shorter); a failing command's stderr
// ends up in the call's error, with every configured API key blanked out. Nothing blocks: the
// runner's thread reports through the worker's thread-safe sink.

#include <memory>
#include <optional>
#include <string>

#include "actors/agent/llm_options.hpp"
#include "actors/agent/prompts.hpp"
#include "actors/agent/provider.hpp"

namespace aragora::process {
class process_runner;
}

namespace aragora::agent {

/// The "cli" provider when `opts` configures CLI agents (empty otherwise). Replies, deltas and
/// errors are redacted of the providers' keys and `signing_key`.
[[nodiscard]] provider_catalog cli_providers(const llm_options& opts, std::shared_ptr<process::process_runner> runner,
                                             std::shared_ptr<const prompt_templates> templates,
                                             const std::optional<std::string>& signing_key = std::nullopt);

/// What a CLI agent's tokens are counted as: its bytes / 4, rounded up (a command reports none).
[[nodiscard]] constexpr uint32_t estimated_tokens(size_t bytes) {
  return static_cast<uint32_t>(std::min<size_t>((bytes + 3) / 4, UINT32_MAX));
}

}  // namespace aragora::agent
