#include "runtime/cli/provider_env.hpp"

namespace aragora::cli {

void apply_provider_env(agent::llm_options& opts, const std::function<const char*(const char*)>& getenv) {
  struct source {
    const char* provider;
    const char* key;
    const char* base;
  };
  for (auto s : {source{"openai", "OPENAI_API_KEY", "OPENAI_BASE_URL"},
                 source{"anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"},
                 source{"openrouter", "OPENROUTER_API_KEY", nullptr}, source{"ollama", nullptr, nullptr}}) {
    const char* key = s.key ? getenv(s.key) : nullptr;
    const char* base = s.base ? getenv(s.base) : nullptr;
    std::string ollama_base;
    if (std::string_view{s.provider} == "ollama") {
      // OLLAMA_HOST is host[:port] or a URL; its OpenAI-compatible API is under /v1.
      if (const char* host = getenv("OLLAMA_HOST"); host && *host) {
        std::string h = host;
        if (h.rfind("http://", 0) != 0 && h.rfind("https://", 0) != 0) h = "http://" + h;
        while (!h.empty() && h.back() == '/') h.pop_back();
        ollama_base = h + "/v1";
      }
    }
    bool any = (key && *key) || (base && *base) || std::string_view{s.provider} == "ollama";
    auto* p = const_cast<agent::llm_provider_options*>(opts.find(s.provider));
    if (!p) {
      if (!any) continue;
      opts.providers.push_back({});
      p = &opts.providers.back();
      p->name = s.provider;
    }
    if (p->api_keys.empty() && key && *key) p->api_keys.push_back(key);
    if (p->base_url.empty() && base && *base) p->base_url = base;
    if (p->base_url.empty() && !ollama_base.empty()) p->base_url = ollama_base;
  }
}

}  // namespace aragora::cli
