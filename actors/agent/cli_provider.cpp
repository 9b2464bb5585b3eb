#include "actors/agent/cli_provider.hpp"

#include <mutex>
#include <unordered_map>

#include "runtime/base/process/process_runner.hpp"
#include "runtime/base/text/redact.hpp"
#include "runtime/base/text/utf8.hpp"

namespace aragora::agent {

using debate::call_errc;

namespace {

struct cli_context {
  std::vector<cli_agent_options> agents;
  // Every configured API key and the receipt signing key: a command's output may quote one (a
  // tool that prints its environment, a script run with `set -x`).
  std::vector<std::string> secrets;
  size_t longest_secret = 0;
  std::shared_ptr<process::process_runner> runner;
  std::shared_ptr<const prompt_templates> templates;

  [[nodiscard]] const cli_agent_options* find(std::string_view name) const {
    for (const auto& a : agents)
      if (a.name == name) return &a;
    return nullptr;
  }
  [[nodiscard]] std::string redact(std::string msg) const { return text::redact(std::move(msg), secrets); }
};

/// One call's run. Its fields are guarded by the registry's mutex.
struct run_state {
  bool done = false;
  bool cancelled = false;  // nothing more is reported for it
  uint64_t run = 0;
  std::string held;        // streamed text not yet passed on: it may be the start of a secret
};

/// The runs of one worker's instance in flight, for cancel and the instance's end.
struct run_registry {
  std::mutex mtx;
  std::unordered_map<uint64_t, std::shared_ptr<run_state>> live;  // by run id
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
      for (auto& [run, st] : reg_->live) {
        st->cancelled = true;
        live.push_back(run);
      }
    }
    for (auto r : live) ctx_->runner->cancel(r);
  }

  void start(std::span<provider_call> calls, const std::shared_ptr<call_sink>& sink) override {
    for (auto& c : calls) {
      try {
        start_one(c, sink);
      } catch (const std::exception& e) {  // out of memory, no thread: this call fails, not the batch
        debate::call_outcome out;
        out.key = c.request.key;
        out.error = call_errc::provider_error;
        out.error_message = std::string{"cli: "} + e.what();
        sink->done(c.id, std::move(out));
      }
    }
  }

  void cancel(call_id, uint64_t tag) override {
    if (!tag) return;
    {
      std::lock_guard<std::mutex> lock{reg_->mtx};
      auto it = reg_->live.find(tag);
      if (it == reg_->live.end()) return;
      it->second->cancelled = true;
    }
    ctx_->runner->cancel(tag);
  }

private:
  void start_one(provider_call& c, const std::shared_ptr<call_sink>& sink) {
    const auto& agent = c.spec->agents.at(c.request.key.agent);
    const auto* cli = ctx_->find(agent.option);
    if (!cli) {
      debate::call_outcome out;
      out.key = c.request.key;
      out.error = call_errc::provider_error;
      out.error_message = "cli:" + agent.option + " is not configured (cli_agents." + agent.option +
                          ".command in the configuration)";
      sink->done(c.id, std::move(out));
      return;
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
    auto on_output = [ctx = ctx_, reg = reg_, st, sink, id = c.id](std::string_view piece) {
      std::string out;
      {
        std::lock_guard<std::mutex> lock{reg->mtx};
        if (st->cancelled) return;
        // Redacted as a whole, less a tail that could still grow into a secret.
        st->held = ctx->redact(st->held + std::string{piece});
        auto keep = std::min(st->held.size(), ctx->longest_secret > 0 ? ctx->longest_secret - 1 : 0);
        auto upto = text::utf8_prefix(st->held, st->held.size() - keep).size();
        out = text::utf8_scrub(std::string_view{st->held}.substr(0, upto));
        st->held.erase(0, upto);
      }
      if (!out.empty()) sink->delta(id, out);
    };
    auto on_done = [ctx = ctx_, reg = reg_, st, sink, id = c.id, spec = c.spec, request = c.request,
                    name = cli->name, tokens_in](process::process_result r) {
      std::string rest;
      {
        std::lock_guard<std::mutex> lock{reg->mtx};
        st->done = true;
        reg->live.erase(st->run);
        if (st->cancelled) return;
        rest = text::utf8_scrub(st->held);
      }
      if (!rest.empty()) sink->delta(id, rest);
      debate::call_outcome out;
      if (r) {
        out = outcome_of_reply(*spec, request, ctx->redact(std::move(r->out)));
        if (out.error) out.error_message = "cli:" + name + ": " + out.error_message;
        out.tokens_out = estimated_tokens(out.text ? out.text->size() : 0);
      } else {
        out.key = request.key;
        out.error = call_error_of(r.error().code);
        out.error_message = text::utf8_scrub(ctx->redact("cli:" + name + ": " + r.error().message));
      }
      out.tokens_in = tokens_in;
      sink->done(id, std::move(out));
    };
    auto run = ctx_->runner->start(std::move(req), std::move(on_output), std::move(on_done));
    c.tag = run;
    std::lock_guard<std::mutex> lock{reg_->mtx};
    if (!st->done) {  // it may have ended already, even inside start()
      st->run = run;
      reg_->live.emplace(run, st);
    }
  }

  std::shared_ptr<const cli_context> ctx_;
  std::shared_ptr<run_registry> reg_;
};

}  // namespace

provider_catalog cli_providers(const llm_options& opts, std::shared_ptr<process::process_runner> runner,
                               std::shared_ptr<const prompt_templates> templates,
                               const std::optional<std::string>& signing_key) {
  if (opts.cli_agents.empty() || !runner) return {};
  auto ctx = std::make_shared<cli_context>();
  ctx->agents = opts.cli_agents;
  for (const auto& p : opts.providers) ctx->secrets.insert(ctx->secrets.end(), p.api_keys.begin(), p.api_keys.end());
  if (signing_key) ctx->secrets.push_back(*signing_key);
  // Too short to tell from text (and never a real key): left alone.
  std::erase_if(ctx->secrets, [](const std::string& k) { return k.size() < 8; });
  for (const auto& k : ctx->secrets) ctx->longest_secret = std::max(ctx->longest_secret, k.size());
  ctx->runner = std::move(runner);
  ctx->templates = std::move(templates);
  std::shared_ptr<const cli_context> shared = std::move(ctx);
  return {{"cli", [shared](scheduler&) -> std::unique_ptr<provider> { return std::make_unique<cli_provider>(shared); }}};
}

}  // namespace aragora::agent
