#include "actors/agent/agent_spec.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "actors/agent/llm_options.hpp"
#include "actors/agent/mock_provider.hpp"
#include "runtime/base/text/utf8.hpp"

namespace aragora::agent {

std::string_view to_string(agent_errc x) {
  switch (x) {
    case agent_errc::empty_list: return "empty_agent_list";
    case agent_errc::unknown_provider: return "unknown_agent";
    case agent_errc::unknown_option: return "unknown_agent";
    case agent_errc::bad_name: return "bad_agent_name";
    case agent_errc::invalid_utf8: return "invalid_utf8";
    case agent_errc::missing_key: return "missing_api_key";
    case agent_errc::unknown_cli_agent: return "unknown_cli_agent";
  }
  return "unknown";
}

const std::vector<std::string_view>& known_providers() {
  static const std::vector<std::string_view> providers{"mock", "openai", "anthropic", "openrouter", "ollama", "cli"};
  return providers;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  return out;
}

bool valid_model(std::string_view m) {
  return !m.empty() && m.size() <= 128 && std::all_of(m.begin(), m.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/' || c == '@';
  });
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

expected<std::vector<debate::agent_spec>, agent_errc> parse_agents(std::string_view list) {
  std::vector<debate::agent_spec> out;
  // Before anything quotes the list in an error message.
  if (auto at = text::utf8_invalid_at(list); at != text::utf8_valid)
    return agent_error{agent_errc::invalid_utf8,
                       "the agent list is not valid UTF-8 (byte " + std::to_string(at + 1) + ")"};
  if (trim(list).empty()) return agent_error{agent_errc::empty_list, "the agent list is empty"};
  std::unordered_map<std::string, int> seen;
  for (auto item : split(list, ',')) {
    auto links = split(item, '|');
    auto parts = split(links[0], ':');
    auto provider = parts[0];
    if (provider.empty() || parts.size() > 3)
      return agent_error{agent_errc::unknown_provider,
                         "cannot read agent '" + std::string{item} +
                             "'; expected provider[:option[:name]], e.g. mock:critical"};
    const auto& known = known_providers();
    if (std::find(known.begin(), known.end(), provider) == known.end())
      return agent_error{agent_errc::unknown_provider,
                         "unknown agent provider '" + std::string{provider} +
                             "' in '" + std::string{item} +
                             "'; this build knows: mock, openai, anthropic, openrouter, ollama, cli"};
    bool real = is_llm_provider(provider);
    bool cli = provider == "cli";
    std::string option = parts.size() > 1 ? std::string{parts[1]} : real || cli ? "" : "balanced";
    if (links.size() > 1 && !real)
      return agent_error{agent_errc::unknown_option,
                         "agent '" + std::string{item} + "': only a real provider has fallbacks (" +
                             "e.g. openai:gpt-4o-mini|ollama:llama3)"};
    if (links.size() > max_fallbacks + 1)
      return agent_error{agent_errc::unknown_option, "agent '" + std::string{item} + "' has more than " +
                                                         std::to_string(max_fallbacks) + " fallbacks"};
    if (cli) {
      // The option names a command line of the configuration (cli_agents.<name>).
      if (!valid_name(option))
        return agent_error{agent_errc::unknown_option,
                           "agent '" + std::string{item} +
                               "' names no CLI agent; expected cli:NAME[:AGENT] with NAME one of "
                               "cli_agents in the configuration"};
    } else if (real) {
      // The option is the model: whatever the provider calls it, within reason.
      if (!valid_model(option))
        return agent_error{agent_errc::unknown_option,
                           "agent '" + std::string{item} + "' names no model; expected " +
                               std::string{provider} + ":MODEL[:NAME], e.g. " +
                               (provider == "anthropic" ? "anthropic:claude-haiku-4-5" : provider == "ollama" ? "ollama:llama3" : "openai:gpt-4o-mini")};
    } else if (!parse_style(option))
      return agent_error{agent_errc::unknown_option,
                         "unknown mock style '" + option + "' in '" + std::string{item} +
                             "'; styles: supportive, critical, balanced, contrarian"};
    std::string name;
    if (parts.size() > 2) {
      name = std::string{parts[2]};
      if (!valid_name(name))
        return agent_error{agent_errc::bad_name,
                           "agent name '" + name + "' must be 1-64 of [A-Za-z0-9._-]"};
    } else {
      // Named after the option; a model's '/' and '@' are not name characters.
      name = option;
      std::replace_if(name.begin(), name.end(), [](char c) { return c == '/' || c == '@'; }, '-');
      if (int n = ++seen[name]; n > 1) name += "-" + std::to_string(n);
    }
    // Fallbacks ride in the option, "MODEL|provider:model|...": the spec (and its record) keeps
    // them without a field of their own.
    for (size_t i = 1; i < links.size(); ++i) {
      auto f = split(links[i], ':');
      if (f.size() != 2 || !is_llm_provider(f[0]) || !valid_model(f[1]))
        return agent_error{agent_errc::unknown_option,
                           "fallback '" + std::string{links[i]} + "' of agent '" + std::string{item} +
                               "': expected provider:MODEL of openai, anthropic, openrouter or ollama"};
      ((option += '|') += f[0]) += ':';
      option += f[1];
    }
    out.push_back({std::move(name), std::string{provider}, std::move(option)});
  }
  return out;
}

std::vector<model_ref> chain_of(const debate::agent_spec& a) {
  std::vector<model_ref> out;
  auto links = split(a.option, '|');
  out.push_back({a.provider, std::string{links[0]}});
  for (size_t i = 1; i < links.size(); ++i) {
    auto colon = links[i].find(':');
    if (colon == std::string_view::npos) continue;
    out.push_back({std::string{links[i].substr(0, colon)}, std::string{links[i].substr(colon + 1)}});
  }
  return out;
}

std::optional<agent_error> check_keys(const std::vector<debate::agent_spec>& agents,
                                      const llm_options& opts) {
  for (const auto& a : agents) {
    if (a.provider == "cli" && !opts.find_cli(a.option)) {
      std::string known;
      for (const auto& c : opts.cli_agents) known += (known.empty() ? "" : ", ") + c.name;
      return agent_error{agent_errc::unknown_cli_agent,
                         "agent '" + a.name + "' runs cli:" + a.option + ", which the configuration does not define (" +
                             (known.empty() ? std::string{"no cli_agents are configured"} : "cli_agents: " + known) +
                             ")"};
    }
    if (!is_llm_provider(a.provider)) continue;
    for (const auto& link : chain_of(a)) {
      if (!needs_key(link.provider)) continue;
      const auto* p = opts.find(link.provider);
      if (p && !p->api_keys.empty()) continue;
      std::string env = link.provider == "openai" ? "OPENAI_API_KEY"
                        : link.provider == "anthropic" ? "ANTHROPIC_API_KEY"
                                                       : "OPENROUTER_API_KEY";
      return agent_error{agent_errc::missing_key,
                         "agent '" + a.name + "' (" + link.provider + ":" + link.model +
                             ") needs an API key: set " + env + " or providers." + link.provider +
                             ".api_key in the configuration"};
    }
  }
  return std::nullopt;
}

}  // namespace aragora::agent
