// The real providers' settings from the environment (label unit).

#include <gtest/gtest.h>

#include <map>

#include "runtime/cli/provider_env.hpp"

namespace aragora::cli {
namespace {

agent::llm_options from(const std::map<std::string, std::string>& env, agent::llm_options opts = {}) {
  apply_provider_env(opts, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  return opts;
}

TEST(ProviderEnv, KeysAndBaseUrlsFillWhatTheConfigurationLeftOut) {
  auto o = from({{"OPENAI_API_KEY", " sk-a\n"}, {"OPENAI_BASE_URL", "http://127.0.0.1:8000/v1/"},
                 {"ANTHROPIC_API_KEY", "sk-ant"}, {"ANTHROPIC_BASE_URL", "https://proxy.example"}});
  ASSERT_TRUE(o.find("openai"));
  EXPECT_EQ(o.find("openai")->api_keys, std::vector<std::string>{"sk-a"});  // trimmed
  EXPECT_EQ(o.find("openai")->base_url, "http://127.0.0.1:8000/v1");
  EXPECT_EQ(o.find("anthropic")->base_url, "https://proxy.example/v1");  // the SDK's form
  EXPECT_FALSE(o.find("openrouter"));
  ASSERT_TRUE(o.find("ollama"));  // always: a local server needs no key
  EXPECT_EQ(o.find("ollama")->base_url, "");

  agent::llm_options configured;
  configured.providers.push_back({"openai", "https://gateway.example/v1", {"sk-yaml"}});
  auto c = from({{"OPENAI_API_KEY", "sk-env"}, {"OPENAI_BASE_URL", "http://127.0.0.1:1/v1"}}, configured);
  EXPECT_EQ(c.find("openai")->api_keys, std::vector<std::string>{"sk-yaml"});
  EXPECT_EQ(c.find("openai")->base_url, "https://gateway.example/v1");
  EXPECT_TRUE(from({{"OPENAI_API_KEY", "sk with space"}}).find("openai")->api_keys.empty());
}

TEST(ProviderEnv, OllamaHostAsOllamaReadsIt) {
  EXPECT_EQ(from({{"OLLAMA_HOST", "127.0.0.1"}}).find("ollama")->base_url, "http://127.0.0.1:11434/v1");
  EXPECT_EQ(from({{"OLLAMA_HOST", "0.0.0.0"}}).find("ollama")->base_url, "http://127.0.0.1:11434/v1");
  EXPECT_EQ(from({{"OLLAMA_HOST", "0.0.0.0:9999"}}).find("ollama")->base_url, "http://127.0.0.1:9999/v1");
  EXPECT_EQ(from({{"OLLAMA_HOST", "http://localhost:8080/"}}).find("ollama")->base_url, "http://localhost:8080/v1");
  EXPECT_EQ(from({{"OLLAMA_HOST", "[::]"}}).find("ollama")->base_url, "http://[::1]:11434/v1");
  EXPECT_EQ(from({{"OLLAMA_HOST", "https://gpu.example:443"}}).find("ollama")->base_url, "https://gpu.example:443/v1");
}

}  // namespace
}  // namespace aragora::cli
