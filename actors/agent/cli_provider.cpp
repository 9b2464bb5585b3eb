#include "actors/agent/cli_provider.hpp"

#include <mutex>
#include <unordered_set>

#include "runtime/base/process/process_runner.hpp"

namespace aragora::agent {

using debate::call_errc;

namespace {

struct cli_context {
  std::vector<cli_agent_options> agents;
  std::vector<std::string> keys;  // every configured API key: a command's stderr may quote one
  std::shared_ptr<process::process_runner> runner;
  std::shared_ptr<const prompt_templates> templates;

  [[nodiscard]] const cli_agent_options* find(std::string_view name) const {
    for (const auto& a : agents)
      if (a.name == name) return &a;
    return nullptr;
  }
  [[nodiscard]] std::string redact(std::string msg) const {
    for (const auto& k : keys) {
      if (k.size() < 4) continue;
      for (size_t at; (at = msg.find(k)) != std::string::npos;) msg.replace(at, k.size(), "[redacted]");
    }
    return msg;
  }
};

/// The runs of one worker's instance in flight, for the instance's end.
struct run_registry {
  std::mutex mtx;
  std::unordered_set<uint64_t> live;
};

struct run_state {
  bool done = false;  // under the registry's mutex
  uint64_t run = 0;
};

call_errc call_error_of(process::process_errc e) {
  switch (e) {
    case process::process_errc::timeout: return call_errc::timeout;
    case process::process_errc::cancelled:
    case process::process_errc::stopped: return call_errc::cancelled;
    default: return call_errc::provider_error;
  }
}

class cli_provider final : public provider {
public:
  explicit cli_provider(std::shared_ptr<const cli_context> ctx)
      : ctx_(std::move(ctx)), reg_(std::make_shared<run_registry>()) {}

  // A worker that goes takes its commands along: nobody would read their replies.
  ~cli_provider() override {
    std::vector<uint64_t> live;
    {
      std::lock_guard<std::mutex> lock{reg_->mtx};
      live.assign(reg_->live.begin(), reg_->live.end());
    }
    for (auto r : live) ctx_->runner->cancel(r);
  }

  void start(std::span<provider_call> calls, const std::shared_ptr<call_sink>& sink) override {
    for (auto& c : calls) {
      const auto& agent = c.spec->agents.at(c.request.key.agent);
      const auto* cli = ctx_->find(agent.option);
      if (!cli) {
        debate::call_outcome out;
        out.key = c.request.key;
        out.error = call_errc::provider_error;
        out.error_message = "cli:" + agent.option + " is not configured (cli_agents." + agent.option +
                            ".command in the configuration)";
        sink->done(c.id, std::move(out));
        continue;
      }
      auto p = render_prompt(*ctx_->templates, *c.spec, c.request);
      process::process_request req;
      req.command = cli->command;
      req.input = std::move(p.system) + "\n\n" + std::move(p.user) + "\n";
      req.deadline = c.deadline;
      if (cli->timeout.count() > 0) req.deadline = std::min(req.deadline, steady_clock::now() + cli->timeout);
      req.stream = c.stream;
      auto tokens_in = estimated_tokens(req.input.size());
      auto st = std::make_shared<run_state>();
      auto on_output = [sink, id = c.id](std::string_view piece) { sink->delta(id, piece); };
      auto on_done = [ctx = ctx_, reg = reg_, st, sink, id = c.id, spec = c.spec, request = c.request,
                      name = cli->name, tokens_in](process::process_result r) {
        {
          std::lock_guard<std::mutex> lock{reg->mtx};
          st->done = true;
          reg->live.erase(st->run);
        }
        debate::call_outcome out;
        if (r) {
          out = outcome_of_reply(*spec, request, r->out);
          if (out.error) out.error_message = ctx->redact("cli:" + name + ": " + out.error_message);
          out.tokens_out = estimated_tokens(r->out.size());
        } else {
          out.key = request.key;
          out.error = call_error_of(r.error().code);
          out.error_message = ctx->redact("cli:" + name + ": " + r.error().message);
        }
        out.tokens_in = tokens_in;
        sink->done(id, std::move(out));
      };
      auto run = ctx_->runner->start(std::move(req), std::move(on_output), std::move(on_done));
      c.tag = run;
      std::lock_guard<std::mutex> lock{reg_->mtx};
      if (!st->done) {  // it may have ended already, even inside start()
        st->run = run;
        reg_->live.insert(run);
      }
    }
  }

  void cancel(call_id, uint64_t tag) override {
    if (tag) ctx_->runner->cancel(tag);
  }

private:
  std::shared_ptr<const cli_context> ctx_;
  std::shared_ptr<run_registry> reg_;
};

}  // namespace

provider_catalog cli_providers(const llm_options& opts, std::shared_ptr<process::process_runner> runner,
                               std::shared_ptr<const prompt_templates> templates) {
  if (opts.cli_agents.empty() || !runner) return {};
  auto ctx = std::make_shared<cli_context>();
  ctx->agents = opts.cli_agents;
  for (const auto& p : opts.providers) ctx->keys.insert(ctx->keys.end(), p.api_keys.begin(), p.api_keys.end());
  ctx->runner = std::move(runner);
  ctx->templates = std::move(templates);
  std::shared_ptr<const cli_context> shared = std::move(ctx);
  return {{"cli", [shared](scheduler&) -> std::unique_ptr<provider> { return std::make_unique<cli_provider>(shared); }}};
}

}  // namespace aragora::agent
