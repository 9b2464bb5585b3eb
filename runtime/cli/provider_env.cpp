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
        // As ollama reads it: [scheme://]host[:port], port 11434 by default; the server's own
        // "listen everywhere" (0.0.0.0, ::) is reached on loopback.
        std::string h = host;
        std::string scheme = "http://";
        if (auto at = h.find("://"); at != std::string::npos) {
          scheme = h.substr(0, at + 3);
          h = h.substr(at + 3);
        }
        while (!h.empty() && h.back() == '/') h.pop_back();
        bool v6 = !h.empty() && h.front() == '[';
        auto colon = h.rfind(':');
        bool has_port = v6 ? (h.find("]:") != std::string::npos) : colon != std::string::npos;
        if (!has_port) h += ":11434";
        if (h.rfind("0.0.0.0:", 0) == 0) h = "127.0.0.1" + h.substr(7);
        if (h.rfind("[::]:", 0) == 0) h = "[::1]" + h.substr(4);
        ollama_base = scheme + h + "/v1";
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
    // A key with spaces or control characters (a trailing newline) would break the request:
    // trimmed; still bad, left out (the agent is then refused as missing its key).
    if (p->api_keys.empty() && key && *key) {
      std::string k = key;
      while (!k.empty() && (k.back() == '\n' || k.back() == '\r' || k.back() == ' ')) k.pop_back();
      while (!k.empty() && k.front() == ' ') k.erase(0, 1);
      if (agent::valid_api_key(k)) p->api_keys.push_back(std::move(k));
    }
    if (p->base_url.empty() && base && *base) {
      p->base_url = base;
      while (!p->base_url.empty() && p->base_url.back() == '/') p->base_url.pop_back();
      // The Anthropic SDK's ANTHROPIC_BASE_URL is the host, without the API's /v1.
      if (std::string_view{s.provider} == "anthropic" && p->base_url.size() > 3 &&
          p->base_url.compare(p->base_url.size() - 3, 3, "/v1") != 0 &&
          p->base_url.find('/', p->base_url.find("://") + 3) == std::string::npos)
        p->base_url += "/v1";
    }
    if (p->base_url.empty() && !ollama_base.empty()) p->base_url = ollama_base;
  }
}

}  // namespace aragora::cli
