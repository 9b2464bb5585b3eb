#pragma once
// Parsing `--agents` lists: "mock:supportive,mock:critical:alice".

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/debate/types.hpp"
#include "runtime/base/error/error.hpp"

namespace aragora::agent {

/// Why an agent list was refused. Stable codes: they appear in CLI and API errors.
enum class agent_errc : uint8_t {
  empty_list = 1,
  unknown_provider,
  unknown_option,
  bad_name,
  invalid_utf8,
  missing_key,  // a real provider without an API key
  unknown_cli_agent,  // cli:NAME where the configuration has no cli_agents.NAME
};

[[nodiscard]] std::string_view to_string(agent_errc x);

using agent_error = error<agent_errc>;

/// Parses a comma-separated list of `provider[:option[:name]]` (`cli:NAME` runs a configured
/// command line); a real provider's agent may be
/// followed by `|provider:model` fallbacks. Without a name the agent is named
/// after its option ("critical"), with "-2", "-3"... appended when the name repeats.
[[nodiscard]] expected<std::vector<debate::agent_spec>, agent_errc> parse_agents(
    std::string_view list);

struct llm_options;

/// At most this many fallbacks after an agent's provider ("openai:gpt-4o-mini|ollama:llama3").
inline constexpr size_t max_fallbacks = 3;

/// One link of an agent's chain: the provider and the model it is asked for.
struct model_ref {
  std::string provider;
  std::string model;
};

/// An agent's provider and model, then its fallbacks in order (a mock: its style, alone).
[[nodiscard]] std::vector<model_ref> chain_of(const debate::agent_spec& a);

/// The first agent whose provider cannot be called: no key for it (ollama needs none), or a CLI
/// agent the configuration does not define.
[[nodiscard]] std::optional<agent_error> check_keys(const std::vector<debate::agent_spec>& agents,
                                                    const llm_options& opts);

/// The providers this build can run.
[[nodiscard]] const std::vector<std::string_view>& known_providers();

}  // namespace aragora::agent
