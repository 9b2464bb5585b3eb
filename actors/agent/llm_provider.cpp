#include "actors/agent/llm_provider.hpp"

#include <atomic>
#include <deque>
#include <mutex>
#include <random>
#include <unordered_map>

#include "actors/agent/agent_spec.hpp"
#include "net/llm/chat_codec.hpp"
#include "net/llm/http_client.hpp"
#include "net/llm/retry_policy.hpp"
#include "runtime/base/log/log.hpp"
#include "runtime/base/metrics/metrics.hpp"
#include "runtime/base/resilience/circuit_breaker.hpp"
#include "runtime/base/text/redact.hpp"
#include "runtime/base/text/utf8.hpp"

namespace aragora::agent {

using debate::call_errc;
using steady = std::chrono::steady_clock;

std::string default_base_url(std::string_view provider) {
  if (provider == "anthropic") return "https://api.anthropic.com/v1";
  if (provider == "openrouter") return "https://openrouter.ai/api/v1";
  if (provider == "ollama") return "http://127.0.0.1:11434/v1";
  return "https://api.openai.com/v1";
}

namespace {

/// One provider's shared state on a node: its breaker, its concurrency limit and the bounded
/// queue of calls waiting for a slot.
/// aragora_circuit_breaker_state{name="provider/<name>"}: 0 closed, 1 half-open, 2 open.
metrics::gauge& breaker_gauge(const std::string& provider) {
  static auto& family = metrics::process_gauge(
      "aragora_circuit_breaker_state",
      "A breaker's state: 0 closed, 1 half-open (a trial call admitted), 2 open (calls refused).",
      {"name"});
  return family.with({"provider/" + provider});
}

double gauge_value(resilience::breaker_state s) {
  switch (s) {
    case resilience::breaker_state::closed: return 0;
    case resilience::breaker_state::half_open: return 1;
    case resilience::breaker_state::open: return 2;
  }
  return 0;
}

class llm_gate {
public:
  llm_gate(const std::string& name, size_t max_in_flight, uint32_t failures, std::chrono::milliseconds recovery)
      : name_(name), max_(std::max<size_t>(1, max_in_flight)), breaker_(failures, recovery),
        gauge_(breaker_gauge(name)) {
    gauge_.set(0);
  }

  /// Runs `launch` now, or once a slot frees; false (and nothing runs) when the queue is full.
  [[nodiscard]] bool admit(std::function<void()> launch) {
    {
      std::lock_guard<std::mutex> lock{mtx_};
      if (in_flight_ >= max_) {
        if (waiting_.size() >= defaults::provider_max_waiting) return false;
        waiting_.push_back(std::move(launch));
        return true;
      }
      ++in_flight_;
    }
    run_launch(std::move(launch));
    return true;
  }

  /// A call let go of its slot: the next waiting one takes it. A launch that ends at once (a
  /// cancelled or expired call) releases again; those nested launches run in a loop here, not
  /// recursively, or a queue of 10,000 dead calls would be 10,000 frames deep.
  void release() {
    std::function<void()> next;
    {
      std::lock_guard<std::mutex> lock{mtx_};
      if (waiting_.empty()) {
        --in_flight_;
        return;
      }
      next = std::move(waiting_.front());
      waiting_.pop_front();
    }
    run_launch(std::move(next));
  }

  /// Runs a launch that holds a slot; one that throws gives the slot back.
  static void run_launch(std::function<void()> launch) {
    thread_local std::vector<std::function<void()>>* draining = nullptr;
    if (draining) {
      draining->push_back(std::move(launch));
      return;
    }
    std::vector<std::function<void()>> pending;
    draining = &pending;
    pending.push_back(std::move(launch));
    while (!pending.empty()) {
      auto f = std::move(pending.back());
      pending.pop_back();
      f();  // the launches catch what they throw (llm_call::guarded)
    }
    draining = nullptr;
  }

  /// Whether a call may go now; `trial` says it is the half-open trial (it must end in record()
  /// or abandon()); `why_not` says why not.
  [[nodiscard]] bool allow(steady::time_point now, bool& trial, std::string& why_not) {
    std::lock_guard<std::mutex> lock{mtx_};
    auto before = breaker_.state(now);
    bool allowed = breaker_.allow(now);
    trial = allowed && before == resilience::breaker_state::half_open;
    if (!allowed)
      why_not = before == resilience::breaker_state::open
                    ? "its breaker is open after repeated failures; calls go again in " +
                          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             breaker_.retry_after(now)).count()) + " ms"
                    : "its breaker is half-open and a trial call is in flight";
    observe(now);
    return allowed;
  }
  void abandon() {
    std::lock_guard<std::mutex> lock{mtx_};
    breaker_.abandon_trial();
  }
  [[nodiscard]] resilience::breaker_state state(steady::time_point now) {
    std::lock_guard<std::mutex> lock{mtx_};
    observe(now);  // the gauge follows an open breaker turning half-open with time
    return breaker_.state(now);
  }
  void record(bool ok, steady::time_point now) {
    std::lock_guard<std::mutex> lock{mtx_};
    if (ok) breaker_.record_success(now);
    else breaker_.record_failure(now);
    observe(now);
  }

  /// The key to use next; `rotate` moves on (a 429 on this one).
  [[nodiscard]] size_t key_index(bool rotate, size_t keys) {
    if (keys == 0) return 0;
    if (rotate) return key_.fetch_add(1) + 1;
    return key_.load();
  }

private:
  // Under mtx_: the gauge, and a log line when the state changes.
  void observe(steady::time_point now) {
    auto state = breaker_.state(now);
    if (state == last_) return;
    gauge_.set(gauge_value(state));
    if (state == resilience::breaker_state::open)
      log::warn("agents", "provider ", name_, ": breaker open after repeated failures; its calls go to fallbacks");
    else if (state == resilience::breaker_state::closed)
      log::info("agents", "provider ", name_, ": breaker closed again");
    last_ = state;
  }

  std::string name_;
  std::mutex mtx_;
  size_t max_;
  size_t in_flight_ = 0;
  std::deque<std::function<void()>> waiting_;
  resilience::circuit_breaker breaker_;
  metrics::gauge& gauge_;
  resilience::breaker_state last_ = resilience::breaker_state::closed;
  std::atomic<size_t> key_{0};
};

/// Summaries of debates' histories (context compression), shared by every call of the node: the
/// calls of one step ask for the same summary, and one of them has it written. Bounded: the
/// oldest finished entries go first.
class summary_cache {
public:
  using waiter = std::function<void(const std::optional<std::string>&)>;
  enum class found { ready, pending, absent };

  /// Ready: `out` is set (nullopt: the summary failed). Pending or absent: `w` runs once it is
  /// complete; absent: the caller writes it and calls complete().
  found find_or_wait(const std::string& key, std::optional<std::string>& out, waiter w) {
    std::lock_guard<std::mutex> lock{mtx_};
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.done) {
      out = it->second.summary;
      return found::ready;
    }
    if (it != entries_.end()) {
      it->second.waiters.push_back(std::move(w));
      return found::pending;
    }
    auto& e = entries_[key];
    e.waiters.push_back(std::move(w));
    order_.push_back(key);
    return found::absent;
  }
  /// Hands the summary to its waiters (not through the cache, whose bound may drop it first).
  void complete(const std::string& key, std::optional<std::string> summary) {
    std::vector<waiter> ready;
    {
      std::lock_guard<std::mutex> lock{mtx_};
      auto& e = entries_[key];
      e.done = true;
      e.summary = summary;
      ready.swap(e.waiters);
      while (order_.size() > defaults::compress_max_summaries) {
        auto old = entries_.find(order_.front());
        if (old != entries_.end() && !old->second.done) break;  // still awaited: kept
        if (old != entries_.end()) entries_.erase(old);
        order_.pop_front();
      }
    }
    for (auto& w : ready) w(summary);
  }

private:
  struct entry {
    bool done = false;
    std::optional<std::string> summary;
    std::vector<waiter> waiters;
  };
  std::mutex mtx_;
  std::unordered_map<std::string, entry> entries_;
  std::deque<std::string> order_;
};

struct provider_context;
/// Every configured provider of the node by name: where a call's fallback is found.
using provider_set = std::unordered_map<std::string, std::shared_ptr<provider_context>>;

/// What every call of one provider shares, whichever worker started it.
struct provider_context {
  llm_provider_options opts;
  llm::wire_format format = llm::wire_format::openai;
  llm::base_url url;
  std::optional<llm::transport_error> bad_url;  // reported by every call, not thrown
  uint32_t max_tokens = defaults::agent_max_tokens;
  uint32_t max_attempts = defaults::agent_max_attempts;
  std::shared_ptr<llm::http_client> http;
  std::shared_ptr<const prompt_templates> templates;
  std::shared_ptr<llm_gate> gate;
  std::weak_ptr<const provider_set> all;  // the catalog's; gone only after the calls
  // Context compression.
  bool compress = true;
  compression_rule rule;
  std::string summariser_provider, summariser_model;  // empty: the calling agent's own
  std::shared_ptr<summary_cache> summaries;

  /// The message with every key of this provider blanked out: API error bodies quote keys.
  [[nodiscard]] std::string redact(std::string msg) const { return text::redact(std::move(msg), opts.api_keys); }

  /// A request of `model` for `p` to this provider, with its key (the next one after a 429 when
  /// `rotate`) and version headers.
  [[nodiscard]] llm::http_request request(const std::string& model, prompt p, bool stream, bool rotate) const {
    llm::chat_request chat;
    chat.model = model;
    chat.system = std::move(p.system);
    chat.prompt = std::move(p.user);
    chat.max_tokens = max_tokens;
    chat.stream = stream;
    chat.reasoning_model = format == llm::wire_format::openai && llm::openai_reasoning_model(model);
    llm::http_request req;
    req.url = url;
    req.path = std::string{llm::endpoint_path(format)};
    req.body = llm::encode_request(format, chat);
    req.stream = stream;
    const auto& keys = opts.api_keys;
    if (!keys.empty()) {
      const auto& key = keys[gate->key_index(rotate, keys.size()) % keys.size()];
      if (format == llm::wire_format::anthropic) req.headers.emplace_back("x-api-key", key);
      else req.headers.emplace_back("Authorization", "Bearer " + key);
    }
    if (format == llm::wire_format::anthropic) req.headers.emplace_back("anthropic-version", "2023-06-01");
    return req;
  }
};

struct call_state {
  call_id id = 0;
  std::shared_ptr<const debate::debate_spec> spec;
  debate::call_request request;
  steady::time_point deadline;
  bool stream = false;            // this link streams
  bool stream_requested = false;  // the caller wants deltas
  std::string model;
  std::vector<model_ref> chain;  // the agent's provider and its fallbacks
  size_t link = 0;               // the one calling now
  std::string tried;             // what the links before it answered
  std::shared_ptr<call_sink> sink;
  std::atomic<bool> cancelled{false};
  std::atomic<bool> finished{false};
  std::atomic<uint64_t> http_id{0};
  bool trial = false;        // this attempt is its provider's half-open trial
  bool sent_deltas = false;  // text went out live: a retry would repeat it
  // Context compression: checked once per call; the summary replaces the first `summarised`
  // history messages. The call that had it written pays for it.
  bool compress_checked = false;
  size_t summarised = 0;
  std::optional<std::string> summary;
  double context_ratio = 0;
  uint32_t summary_tokens_in = 0, summary_tokens_out = 0;
  double summary_cost = 0;
  // One attempt's, on the I/O thread that runs it.
  uint32_t attempt = 0;
  bool rotate_key = false;
  std::chrono::milliseconds delay{0};
  std::string last_error;
  llm::sse_parser parser;
  std::optional<llm::stream_decoder> decoder;
  std::optional<llm::llm_error> stream_error;
  std::string delta;
};

/// The calls of one worker's instance in flight, for cancel; shared with the calls themselves,
/// which may outlive the instance.
struct call_registry {
  std::mutex mtx;
  std::unordered_map<call_id, std::weak_ptr<call_state>> calls;
};

// Less than this left before the deadline: no (further) attempt; a request written and aborted
// at once may still be billed.
constexpr std::chrono::milliseconds min_attempt_time{50};

uint64_t jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

class llm_call {
public:
  /// The call could not even wait for a slot of `at`: reported with none to give back.
  static void queue_full(const provider_context& at, const std::shared_ptr<call_registry>& reg,
                         const std::shared_ptr<call_state>& st) {
    if (st->finished.exchange(true)) return;
    {
      std::lock_guard<std::mutex> lock{reg->mtx};
      reg->calls.erase(st->id);
    }
    debate::call_outcome out;
    out.key = st->request.key;
    out.error = call_errc::provider_error;
    out.error_message = st->tried + at.opts.name + ": " + std::to_string(defaults::provider_max_waiting) +
                        " calls already wait for this provider";
    if (!st->cancelled) st->sink->done(st->id, std::move(out));
  }

  static void finish(const std::shared_ptr<provider_context>& ctx, const std::shared_ptr<call_registry>& reg,
                     const std::shared_ptr<call_state>& st, debate::call_outcome out) {
    if (st->finished.exchange(true)) return;
    if (st->trial) ctx->gate->abandon();  // ended without a verdict on the provider
    {
      std::lock_guard<std::mutex> lock{reg->mtx};
      reg->calls.erase(st->id);
    }
    if (!st->cancelled) st->sink->done(st->id, std::move(out));
    ctx->gate->release();
  }

  /// The provider's health, as this attempt saw it (and the trial, if it was one, reported).
  static void verdict(const std::shared_ptr<provider_context>& ctx, const std::shared_ptr<call_state>& st, bool ok) {
    ctx->gate->record(ok, steady::now());
    st->trial = false;
  }

  static void fail(const std::shared_ptr<provider_context>& ctx, const std::shared_ptr<call_registry>& reg,
                   const std::shared_ptr<call_state>& st, call_errc code, const std::string& message) {
    auto said = st->tried + ctx->redact(ctx->opts.name + ": " + message);
    // A provider's failure (a refused key, a spent quota, an open breaker, retries used up) moves
    // the call to the agent's next provider; a timeout, a cancel or an unusable reply does not.
    // Not once part of a reply went out live: the next link's reply would follow it on screen.
    if (code == call_errc::provider_error && !st->cancelled && !st->sent_deltas && fall_back(ctx, reg, st, said))
      return;
    debate::call_outcome out;
    out.key = st->request.key;
    out.error = code;
    out.error_message = std::move(said);
    // A summary it had written was paid for, whatever became of the call.
    out.tokens_in = st->summary_tokens_in;
    out.tokens_out = st->summary_tokens_out;
    out.cost_usd = st->summary_cost;
    finish(ctx, reg, st, std::move(out));
  }

  /// Hands the call to its next configured link; false when there is none.
  static bool fall_back(const std::shared_ptr<provider_context>& ctx, const std::shared_ptr<call_registry>& reg,
                        const std::shared_ptr<call_state>& st, const std::string& said) {
    auto all = ctx->all.lock();
    if (!all) return false;
    std::shared_ptr<provider_context> next;
    while (!next && st->link + 1 < st->chain.size()) {
      ++st->link;
      if (auto it = all->find(st->chain[st->link].provider); it != all->end()) next = it->second;
    }
    if (!next) return false;
    st->tried = said + "; then ";
    st->model = st->chain[st->link].model;
    st->stream = st->stream_requested && next->opts.stream;
    st->attempt = 0;
    st->delay = std::chrono::milliseconds{0};
    st->last_error.clear();
    if (st->trial) ctx->gate->abandon();
    st->trial = false;
    ctx->gate->release();
    if (!next->gate->admit([next, reg, st] { guarded(next, reg, st); })) queue_full(*next, reg, st);
    return true;
  }

  /// attempt(), and a failed call (its slot given back) if it throws (out of memory, no thread).
  static void guarded(const std::shared_ptr<provider_context>& ctx, const std::shared_ptr<call_registry>& reg,
                      const std::shared_ptr<call_state>& st) {
    try {
      attempt(ctx, reg, st);
    } catch (const std::exception& e) {
      debate::call_outcome out;
      out.key = st->request.key;
      out.error = call_errc::provider_error;
      out.error_message = ctx->opts.name + ": " + e.what();
      finish(ctx, reg, st, std::move(out));
    }
  }

  static void attempt(const std::shared_ptr<provider_context>& ctx, const std::shared_ptr<call_registry>& reg,
                      const std::shared_ptr<call_state>& st) {
    if (st->cancelled) return finish(ctx, reg, st, {});
    if (ctx->bad_url) return fail(ctx, reg, st, call_errc::provider_error, ctx->bad_url->message);
    auto now = steady::now();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(st->deadline - now) - st->delay;
    if (left < min_attempt_time)
      return fail(ctx, reg, st, call_errc::timeout,
                  st->last_error.empty() ? "no time left for the call" : st->last_error + "; no time left to retry");
    if (!st->compress_checked && ctx->compress) {
      st->compress_checked = true;
      // Only a phase whose prompt shows the history (by default: propose and revise).
      bool shows = ctx->templates->of(st->request.key.ph).find("{history}") != std::string::npos;
      if (auto n = shows ? to_summarise(st->request, ctx->rule) : 0) {
        st->summarised = n;
        auto key = st->spec->id + "/" + std::to_string(n);
        auto resume = [ctx, reg, st](const std::optional<std::string>& summary) {
          st->summary = summary;
          guarded(ctx, reg, st);
        };
        switch (ctx->summaries->find_or_wait(key, st->summary, resume)) {
          case summary_cache::found::ready: break;
          case summary_cache::found::pending: return;  // resumed when it is written
          case summary_cache::found::absent: return write_summary(ctx, st, key);
        }
      }
    }
    std::string refused;
    if (!ctx->gate->allow(now, st->trial, refused)) return fail(ctx, reg, st, call_errc::provider_error, refused);
    st->context_ratio = 0;
    auto p = st->summary ? render_compressed(*ctx->templates, *st->spec, st->request, *st->summary, st->summarised,
                                             &st->context_ratio)
                         : render_prompt(*ctx->templates, *st->spec, st->request);
    if (st->context_ratio >= 1) {  // a summary no shorter than what it replaces: the whole history
      st->context_ratio = 0;
      p = render_prompt(*ctx->templates, *st->spec, st->request);
    }
    auto req = ctx->request(st->model, std::move(p), st->stream, st->rotate_key);
    req.timeout = left;
    req.delay = st->delay;
    st->rotate_key = false;
    st->parser = llm::sse_parser{};
    st->decoder.emplace(ctx->format);
    st->stream_error.reset();
    auto before = st->http_id.load();
    auto id = ctx->http->start(
        std::move(req), [ctx, st](std::string_view bytes) { on_body(ctx, st, bytes); },
        [ctx, reg, st](llm::transport_result r) { on_done(ctx, reg, st, std::move(r)); });
    // Unless a retry of this call (on an I/O thread) already stored a newer exchange.
    st->http_id.compare_exchange_strong(before, id);
    if (st->cancelled) ctx->http->cancel(st->http_id.load());  // cancelled while it started
  }

  /// Asks the summariser (the configured model, or the agent's own) for the summary of the first
  /// `summarised` history messages; every call waiting for it resumes when it is written, failed
  /// or not (a failed one leaves their prompts uncompressed). It goes around the gate: the calls
  /// waiting for it hold the provider's slots.
  static void write_summary(const std::shared_ptr<provider_context>& ctx, const std::shared_ptr<call_state>& st,
                            const std::string& key) {
    auto sctx = ctx;
    auto model = st->model;
    if (!ctx->summariser_provider.empty()) {
      if (auto all = ctx->all.lock()) {
        if (auto it = all->find(ctx->summariser_provider); it != all->end()) {
          sctx = it->second;
          model = ctx->summariser_model;
        }
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(st->deadline - steady::now());
    if (sctx->bad_url || left < min_attempt_time) return ctx->summaries->complete(key, std::nullopt);
    auto p = summary_prompt(*ctx->templates, *st->spec, st->request, st->summarised);
    auto req = sctx->request(model, std::move(p), false, false);
    req.timeout = left / 2;  // the call itself needs the rest
    sctx->http->start(std::move(req), {}, [ctx, sctx, st, key](llm::transport_result r) {
      std::optional<std::string> summary;
      if (r && r->status / 100 == 2) {
        if (auto reply = llm::decode_reply(sctx->format, r->body); reply && !reply->text.empty()) {
          summary = text::utf8_scrub(text::utf8_prefix(reply->text, defaults::agent_reply_max_bytes));
          st->summary_tokens_in = reply->used.tokens_in;
          st->summary_tokens_out = reply->used.tokens_out;
          st->summary_cost = reply->used.tokens_in / 1000.0 * sctx->opts.price_per_1k_in +
                             reply->used.tokens_out / 1000.0 * sctx->opts.price_per_1k_out;
        }
      }
      if (!summary)
        log::warn("agents", "debate ", st->spec->id, ": the history's summary could not be written (",
                  sctx->redact(r ? "HTTP " + std::to_string(r->status) : r.error().message),
                  "); its prompts go uncompressed");
      ctx->summaries->complete(key, std::move(summary));
    });
  }

  static void on_body(const std::shared_ptr<provider_context>& ctx, const std::shared_ptr<call_state>& st,
                      std::string_view bytes) {
    if (st->stream_error) return;
    bool ok = st->parser.feed(bytes, [&](const llm::sse_event& e) {
      if (st->stream_error) return;
      if (auto err = st->decoder->on_event(e, st->delta)) {
        st->stream_error = std::move(err);
        return;
      }
      if (!st->delta.empty() && !st->cancelled) {
        st->sink->delta(st->id, st->delta);
        st->sent_deltas = true;
      }
    });
    if (!ok && !st->stream_error)
      st->stream_error = llm::llm_error{llm::llm_errc::stream_broken, "a stream event passed its size bound"};
    if (st->stream_error) ctx->http->cancel(st->http_id);
  }

  static void retry_or_fail(const std::shared_ptr<provider_context>& ctx, const std::shared_ptr<call_registry>& reg,
                            const std::shared_ptr<call_state>& st, call_errc code, std::string message,
                            std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
    st->last_error = message;
    if (st->sent_deltas)  // its text went out live: another attempt would stream it twice
      return fail(ctx, reg, st, code, message + " (after part of the reply was streamed)");
    if (st->attempt + 1 >= ctx->max_attempts)
      return fail(ctx, reg, st, code, message + " (after " + std::to_string(st->attempt + 1) + " attempts)");
    ++st->attempt;
    st->delay = llm::backoff(st->attempt, jitter(), retry_after);
    if (steady::now() + st->delay >= st->deadline)
      return fail(ctx, reg, st, code, message + "; no time left to retry");
    guarded(ctx, reg, st);
  }

  static void on_done(const std::shared_ptr<provider_context>& ctx, const std::shared_ptr<call_registry>& reg,
                      const std::shared_ptr<call_state>& st, llm::transport_result r) {
    if (st->cancelled) return finish(ctx, reg, st, {});
    if (st->stream_error) {
      verdict(ctx, st, false);
      auto msg = std::string{llm::to_string(st->stream_error->code)} + ": " + st->stream_error->message;
      if (st->stream_error->code == llm::llm_errc::api_error)  // e.g. overloaded, mid-stream
        return retry_or_fail(ctx, reg, st, call_errc::provider_error, msg);
      return fail(ctx, reg, st, call_errc::provider_error, msg);
    }
    if (!r) {
      auto code = r.code();
      if (code == llm::transport_errc::cancelled || code == llm::transport_errc::stopped)
        return fail(ctx, reg, st, call_errc::cancelled, r.error().message);
      verdict(ctx, st, false);
      auto errc = code == llm::transport_errc::timeout ? call_errc::timeout : call_errc::provider_error;
      if (llm::transient(code)) return retry_or_fail(ctx, reg, st, errc, r.error().message);
      return fail(ctx, reg, st, errc, r.error().message);
    }
    auto& res = *r;
    if (res.status / 100 != 2) {
      auto msg = "HTTP " + std::to_string(res.status) + ": " + llm::error_message(res.body);
      auto step = llm::after_status(res.status, res.body);
      if (step == llm::next_step::retry) {
        verdict(ctx, st, false);
        st->rotate_key = res.status == 429 && ctx->opts.api_keys.size() > 1;
        return retry_or_fail(ctx, reg, st, call_errc::provider_error, msg,
                             llm::parse_retry_after(res.retry_after, std::chrono::system_clock::now()));
      }
      // A key or quota problem, or a request the API refuses: retrying cannot help. The provider
      // itself answered: as far as its breaker goes, it is up.
      verdict(ctx, st, true);
      return fail(ctx, reg, st, call_errc::provider_error, msg);
    }
    llm::chat_reply reply;
    if (st->stream) {
      if (!st->decoder->done()) {
        verdict(ctx, st, false);
        return retry_or_fail(ctx, reg, st, call_errc::provider_error, "the stream ended before its end");
      }
      reply = st->decoder->take_reply();
    } else {
      auto decoded = llm::decode_reply(ctx->format, res.body);
      if (!decoded) {
        verdict(ctx, st, true);
        return fail(ctx, reg, st, call_errc::provider_error, decoded.error().message);
      }
      reply = std::move(*decoded);
    }
    verdict(ctx, st, true);
    auto out = outcome_of_reply(*st->spec, st->request, reply.text);
    if (out.error) out.error_message = ctx->redact(out.error_message);
    out.tokens_in = reply.used.tokens_in + st->summary_tokens_in;
    out.tokens_out = reply.used.tokens_out + st->summary_tokens_out;
    out.cost_usd = reply.used.tokens_in / 1000.0 * ctx->opts.price_per_1k_in +
                   reply.used.tokens_out / 1000.0 * ctx->opts.price_per_1k_out + st->summary_cost;
    out.context_ratio = st->context_ratio;
    finish(ctx, reg, st, std::move(out));
  }
};

class llm_provider final : public provider {
public:
  explicit llm_provider(std::shared_ptr<provider_context> ctx)
      : ctx_(std::move(ctx)), reg_(std::make_shared<call_registry>()) {}

  // A worker that goes (restarted, or the node stops) takes its calls along: nobody would read
  // their answers, and they would hold the provider's slots and spend tokens until their deadline.
  ~llm_provider() override {
    std::vector<std::shared_ptr<call_state>> live;
    {
      std::lock_guard<std::mutex> lock{reg_->mtx};
      for (auto& [id, w] : reg_->calls)
        if (auto st = w.lock()) live.push_back(std::move(st));
    }
    for (auto& st : live) {
      st->cancelled = true;
      if (auto h = st->http_id.load()) ctx_->http->cancel(h);
    }
  }

  void start(std::span<provider_call> calls, const std::shared_ptr<call_sink>& sink) override {
    for (auto& c : calls) {
      auto st = std::make_shared<call_state>();
      st->id = c.id;
      st->spec = c.spec;
      st->request = c.request;
      st->deadline = c.deadline;
      st->stream_requested = c.stream;
      st->stream = c.stream && ctx_->opts.stream;
      st->sink = sink;
      if (c.request.key.agent < c.spec->agents.size()) {
        st->chain = chain_of(c.spec->agents[c.request.key.agent]);
        st->model = st->chain.front().model;
      }
      c.tag = c.id;
      {
        std::lock_guard<std::mutex> lock{reg_->mtx};
        reg_->calls[c.id] = st;
      }
      auto ctx = ctx_;
      auto reg = reg_;
      if (!ctx_->gate->admit([ctx, reg, st] { llm_call::guarded(ctx, reg, st); }))
        llm_call::queue_full(*ctx_, reg_, st);
    }
  }

  void cancel(call_id id, uint64_t) override {
    std::shared_ptr<call_state> st;
    {
      std::lock_guard<std::mutex> lock{reg_->mtx};
      auto it = reg_->calls.find(id);
      if (it == reg_->calls.end()) return;
      st = it->second.lock();
    }
    if (!st) return;
    st->cancelled = true;
    if (auto h = st->http_id.load()) ctx_->http->cancel(h);
    // A call still queued for a slot ends when it gets one (attempt sees `cancelled`).
  }

private:
  std::shared_ptr<provider_context> ctx_;
  std::shared_ptr<call_registry> reg_;
};

}  // namespace

provider_catalog llm_providers(const llm_options& opts, std::shared_ptr<llm::http_client> http,
                               std::shared_ptr<const prompt_templates> templates, breaker_probe* probe) {
  provider_catalog out;
  auto all = std::make_shared<provider_set>();
  auto summaries = std::make_shared<summary_cache>();
  std::string summariser_provider, summariser_model;
  if (auto colon = opts.summariser.find(':'); colon != std::string::npos) {
    summariser_provider = opts.summariser.substr(0, colon);
    summariser_model = opts.summariser.substr(colon + 1);
  }
  for (const auto& p : opts.providers) {
    auto ctx = std::make_shared<provider_context>();
    ctx->all = all;
    (*all)[p.name] = ctx;
    ctx->opts = p;
    ctx->format = p.name == "anthropic" ? llm::wire_format::anthropic : llm::wire_format::openai;
    auto url = llm::parse_base_url(p.base_url.empty() ? default_base_url(p.name) : p.base_url);
    if (url) ctx->url = *url;
    else ctx->bad_url = url.error();
    ctx->max_tokens = opts.max_tokens;
    ctx->max_attempts = std::max<uint32_t>(1, opts.max_attempts);
    ctx->http = http;
    ctx->templates = templates;
    ctx->compress = opts.compression;
    ctx->summariser_provider = summariser_provider;
    ctx->summariser_model = summariser_model;
    ctx->summaries = summaries;
    ctx->gate = std::make_shared<llm_gate>(p.name, p.max_concurrency, opts.breaker_failures, opts.breaker_recovery);
    // Each factory holds the set too: it lives as long as a worker can start calls.
    out.emplace_back(p.name, [ctx, all](scheduler&) -> std::unique_ptr<provider> {
      return std::make_unique<llm_provider>(ctx);
    });
  }
  if (probe) {
    std::vector<std::string> names;  // not the options: they hold the keys
    for (const auto& p : opts.providers) names.push_back(p.name);
    *probe = [all, names = std::move(names)] {
      std::vector<provider_breaker> states;
      auto now = steady::now();
      for (const auto& n : names)
        if (auto it = all->find(n); it != all->end()) states.push_back({n, it->second->gate->state(now)});
      return states;
    };
  }
  return out;
}

}  // namespace aragora::agent
