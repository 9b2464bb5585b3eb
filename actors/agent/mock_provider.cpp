#include "actors/agent/mock_provider.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <new>
#include <string>

#include "actors/debate/machine.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/base/text/utf8.hpp"

namespace aragora::agent {

using debate::call_outcome;
using debate::call_request;
using debate::debate_spec;
using debate::phase;

std::optional<mock_style> parse_style(std::string_view s) {
  if (s == "supportive") return mock_style::supportive;
  if (s == "critical") return mock_style::critical;
  if (s == "balanced") return mock_style::balanced;
  if (s == "contrarian") return mock_style::contrarian;
  return std::nullopt;
}

std::string_view to_string(mock_style s) {
  switch (s) {
    case mock_style::supportive: return "supportive";
    case mock_style::critical: return "critical";
    case mock_style::balanced: return "balanced";
    case mock_style::contrarian: return "contrarian";
  }
  return "balanced";
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

namespace {

struct style_traits {
  std::string_view position;
  std::string_view critique_tone;
  std::string_view vote_reason;
  double severity_low, severity_high;
  double confidence;
};

constexpr std::array<style_traits, 4> traits{{
    {"I support moving ahead: the benefits outweigh the risks if the change is staged carefully.",
     "A solid proposal that needs only minor tightening.",
     "it is the most practical path and its risks are manageable", 2.0, 4.0, 0.85},
    {"I am not convinced yet: the costs and failure modes need answers before we commit.",
     "The proposal leaves serious questions open.",
     "it is the only one that takes the failure modes seriously", 6.0, 9.0, 0.60},
    {"There is a workable middle path: adopt it where it clearly pays off and keep the rest simple.",
     "Reasonable overall, with gaps worth closing.",
     "it balances the benefits against the cost most honestly", 4.0, 6.0, 0.70},
    {"I argue for the opposite course: the status quo, improved, beats a disruptive change.",
     "The proposal rests on assumptions nobody has tested.",
     "it is the least bad of the options on the table", 5.0, 8.0, 0.50},
}};

constexpr std::array<std::string_view, 16> plan_sentences{{
    "Start with a pilot limited to one team and measure it for four weeks.",
    "Write down the success criteria before any work begins.",
    "Keep a rollback path that can be exercised in under an hour.",
    "Budget the operational cost for the first year, including on-call time.",
    "Identify the two riskiest assumptions and test them first.",
    "Train the people who will run it, not only those who build it.",
    "Decide who owns the outcome and how progress will be reported.",
    "Compare against the cheapest alternative that meets the same goal.",
    "Automate the checks that prove the change works.",
    "Schedule a review after the first month and be willing to stop.",
    "Document the decision and the alternatives that were rejected.",
    "Limit the blast radius of a failure with staged rollouts.",
    "Ask the teams who depend on it what they need before starting.",
    "Measure the baseline today so the improvement can be proven later.",
    "Plan the migration of existing data as a separate, tested step.",
    "Keep the security review on the critical path, not after launch.",
}};

constexpr std::array<std::string_view, 12> issue_sentences{{
    "The plan has no measurable success criteria.",
    "The operational cost is not estimated.",
    "There is no rollback path.",
    "The security review is missing.",
    "It ignores the skills the team has today.",
    "The timeline looks optimistic.",
    "There is no comparison with simpler alternatives.",
    "The data migration risks are not addressed.",
    "Ownership after launch is unclear.",
    "The failure modes under load are not discussed.",
    "The dependency on other teams is underestimated.",
    "The benefits are asserted rather than measured.",
}};

constexpr std::array<std::string_view, 8> revision_sentences{{
    "I have tightened the success criteria in response.",
    "I now include an explicit rollback drill.",
    "I added a cost estimate for the first year.",
    "I moved the security review earlier.",
    "I narrowed the pilot to reduce risk.",
    "I added a comparison with the simplest alternative.",
    "I assigned a single owner for the outcome.",
    "I split the data migration into its own step.",
}};

// Appends at most `max` bytes of `s` on one line.
void append_one_line(std::string& out, std::string_view s, size_t max) {
  auto start = out.size();
  out.append(text::utf8_prefix(s, max));
  std::replace(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(), '\n', ' ');
}

// Readable filler: the plan sentences in a few fixed orders, about 16 KiB, with the offset of
// every sentence start. Built once; texts copy a slice instead of appending sentence by sentence.
struct filler {
  std::string text;
  std::vector<uint32_t> starts;

  filler() {
    splitmix64 order(0xA5A5A5A5ull);
    std::array<size_t, plan_sentences.size()> idx{};
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    while (text.size() < 16 * 1024) {
      for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[order.below(i)]);
      for (auto i : idx) {
        starts.push_back(static_cast<uint32_t>(text.size()));
        text.append(plan_sentences[i]);
        text.push_back(' ');
      }
    }
  }
};

const filler& filler_pool() {
  static const filler pool;
  return pool;
}

// Fills `text` up to `bytes` with plan sentences (when `bytes` is set) and cuts it there.
void fit(std::string& text, uint32_t bytes, splitmix64& rng) {
  if (bytes == 0) return;
  if (text.size() < bytes) {
    const auto& pool = filler_pool();
    text.push_back(' ');
    size_t at = pool.starts[rng.below(pool.starts.size())];
    while (text.size() < bytes) {
      auto take = std::min<size_t>(bytes - text.size(), pool.text.size() - at);
      text.append(pool.text, at, take);
      at = 0;
    }
  }
  text.resize(text::utf8_prefix(text, bytes).size());
}

struct context {
  const debate_spec& spec;
  const call_request& call;
  const style_traits& style;
  mock_style kind;
  uint32_t message_bytes;
};

std::string_view name_of(const context& c, uint8_t i) {
  return c.spec.agents[i].name;
}

// The agent's standing position does not depend on the round, so its revisions stay close to
// each other (and can converge); the contrarian drifts one sentence per round.
void position_text(const context& c, uint64_t base_seed, bool revision, std::string& text) {
  splitmix64 base(base_seed);
  const auto& spec = c.spec;
  text += revision ? "Revised position on \"" : "On \"";
  append_one_line(text, spec.question, 80);
  text += "\": ";
  text += c.style.position;
  if (!spec.context.empty()) {
    text += " Prior decision on record: \"";
    append_one_line(text, spec.context, 160);
    text += "\" - I take it into account.";
  }
  // Three distinct plan sentences: a start and a stride coprime with the pool size.
  size_t start = base.below(plan_sentences.size());
  size_t stride = 2 * base.below(plan_sentences.size() / 2) + 1;
  for (size_t i = 0; i < 3; ++i) {
    text += ' ';
    text += plan_sentences[(start + i * stride) % plan_sentences.size()];
  }
  if (c.kind == mock_style::contrarian) {
    splitmix64 drift(base_seed ^ (uint64_t{c.call.key.round} << 40));
    text += ' ';
    text += plan_sentences[drift.below(plan_sentences.size())];
  }
  const auto& critiques = debate::items(c.call.critiques);
  if (!critiques.empty()) {
    text += " Answering ";
    for (size_t i = 0; i < critiques.size(); ++i) {
      if (i) text += i + 1 == critiques.size() ? " and " : ", ";
      text += name_of(c, critiques[i].critic);
    }
    text += ": ";
    splitmix64 answer(base_seed ^ (uint64_t{c.call.key.round} << 32));
    text += revision_sentences[answer.below(revision_sentences.size())];
  }
  fit(text, c.message_bytes, base);
}

uint32_t tokens(size_t bytes) {
  return static_cast<uint32_t>(bytes / 4 + 1);
}

}  // namespace

call_outcome mock_reply(const debate_spec& spec, const call_request& call,
                        const mock_options& opts) {
  call_outcome out;
  out.key = call.key;
  const auto& me = spec.agents[call.key.agent];
  auto kind = parse_style(me.option).value_or(mock_style::balanced);
  context c{spec, call, traits[static_cast<size_t>(kind)], kind, opts.message_bytes};
  uint64_t agent_seed = fnv1a(me.name) ^ (uint64_t{spec.seed} * 0x9E3779B97F4A7C15ull);
  splitmix64 rng(agent_seed ^ (uint64_t{call.key.packed()} * 0xD1B54A32D192ED03ull));

  if (opts.fail_rate > 0 && rng.uniform() < opts.fail_rate) {
    out.error = debate::call_errc::provider_error;
    out.error_message = "mock provider failure (simulated, fail rate " +
                        std::to_string(opts.fail_rate) + ")";
    return out;
  }

  size_t input = spec.question.size() + spec.context.size();
  // Texts are composed in a per-thread scratch buffer and copied out at their exact size, so a
  // debate holds no spare capacity for as long as it lives.
  thread_local std::string scratch;
  scratch.clear();
  auto& text = scratch;
  switch (call.key.ph) {
    case phase::propose:
    case phase::revise: {
      if (call.target_text) input += call.target_text->size();
      for (const auto& cr : debate::items(call.critiques)) input += cr.text->size();
      position_text(c, agent_seed, call.key.ph == phase::revise, text);
      break;
    }
    case phase::critique: {
      input += call.target_text ? call.target_text->size() : 0;
      auto [lo, hi] = std::pair{c.style.severity_low, c.style.severity_high};
      out.severity = std::round((lo + (hi - lo) * rng.uniform()) * 10.0) / 10.0;
      size_t n_issues = kind == mock_style::critical ? 3 : 2;
      size_t first = rng.below(issue_sentences.size());
      std::array<std::string_view, 3> picked{};
      for (size_t i = 0; i < n_issues; ++i) {
        picked[i] = issue_sentences[(first + i * 5) % issue_sentences.size()];
        if (i) out.issues += '\n';
        out.issues += picked[i];
      }
      text += "On ";
      text += name_of(c, call.key.target);
      text += "'s proposal for \"";
      append_one_line(text, spec.question, 80);
      text += "\": ";
      text += c.style.critique_tone;
      text += " Issues:";
      for (size_t i = 0; i < n_issues; ++i) {
        text += " (";
        text += static_cast<char>('1' + i);
        text += ") ";
        text += picked[i];
      }
      text += " Suggestion: ";
      text += plan_sentences[rng.below(plan_sentences.size())];
      fit(text, c.message_bytes, rng);
      break;
    }
    case phase::vote: {
      const auto& proposals = debate::items(call.proposals);
      std::array<uint8_t, 256> others;  // agent indices are bytes
      size_t n_others = 0;
      for (const auto& p : proposals) {
        input += p.text->size();
        if (p.agent != call.key.agent) others[n_others++] = p.agent;
      }
      if (n_others == 0)
        out.choice = proposals.empty() ? debate::no_agent : proposals.front().agent;
      else if (kind == mock_style::supportive)
        out.choice = others[0];
      else if (kind == mock_style::contrarian)
        out.choice = others[n_others - 1];
      else
        out.choice = others[rng.below(n_others)];
      out.confidence = std::clamp(c.style.confidence + (rng.uniform() - 0.5) * 0.1, 0.1, 1.0);
      out.confidence = std::round(out.confidence * 100.0) / 100.0;
      text += "I vote for ";
      text += out.choice == debate::no_agent ? std::string_view{"nobody"} : name_of(c, out.choice);
      text += " on \"";
      append_one_line(text, spec.question, 80);
      text += "\": ";
      text += c.style.vote_reason;
      text += '.';
      break;
    }
    case phase::judge: {
      std::array<double, 256> support{};
      double total = 0;
      for (const auto& b : debate::items(call.ballots)) {
        support[b.choice] += b.confidence;
        total += b.confidence;
      }
      out.choice = debate::no_agent;
      for (const auto& p : debate::items(call.proposals)) {
        input += p.text->size();
        if (out.choice == debate::no_agent || support[p.agent] > support[out.choice])
          out.choice = p.agent;
      }
      double share = total > 0 && out.choice != debate::no_agent ? support[out.choice] / total : 0;
      out.confidence = std::round((0.6 + 0.35 * share) * 100.0) / 100.0;
      text += "Synthesis on \"";
      append_one_line(text, spec.question, 80);
      text += "\": adopt ";
      text += out.choice == debate::no_agent ? std::string_view{"no"} : name_of(c, out.choice);
      text += "'s proposal, with these conditions:";
      for (int i = 0; i < 3; ++i) {
        text += ' ';
        text += plan_sentences[rng.below(plan_sentences.size())];
      }
      fit(text, c.message_bytes, rng);
      break;
    }
  }
  out.tokens_in = tokens(input);
  out.tokens_out = tokens(text.size());
  out.cost_usd = (out.tokens_in + out.tokens_out) / 1000.0 * defaults::mock_usd_per_1k_tokens;
  out.text = debate::make_text(std::string{text});
  return out;
}

void run_with_mock(debate::debate_machine& m, debate::time_point now, const mock_options& opts) {
  (void)m.start(now);
  while (!m.finished()) {
    auto calls = m.calls();  // a copy: recording the step's last reply starts the next one
    for (const auto& c : calls) {
      auto r = m.record(mock_reply(m.spec(), c, opts), now);
      if (r.new_step || m.finished()) break;
    }
  }
}

std::vector<std::string_view> delta_pieces(std::string_view text) {
  constexpr size_t piece = 32;
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    // Cut after the first space at or past `piece` bytes: a space is never inside a character.
    auto space = text.size() - start > piece ? text.find(' ', start + piece) : std::string_view::npos;
    auto end = space == std::string_view::npos ? text.size() : space + 1;
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

mock_provider::mock_provider(mock_options opts, scheduler& sched) : opts_(opts), sched_(sched) {}

mock_provider::~mock_provider() {
  for (const auto& t : timers_) sched_.cancel(t.handle);
}

void mock_provider::answer(provider_call& call, call_sink& sink) const {
  auto out = [&]() -> debate::call_outcome {
    try {
      return mock_reply(*call.spec, call.request, opts_);
    } catch (const std::exception& e) {
      // Out of memory for one reply fails that call, not the worker.
      debate::call_outcome failed;
      failed.key = call.request.key;
      failed.error = debate::call_errc::provider_error;
      failed.error_message = std::string{"the provider failed: "} +
                             (dynamic_cast<const std::bad_alloc*>(&e) ? "out of memory" : e.what());
      return failed;
    }
  }();
  if (call.stream && out.ok() && out.text)
    for (auto piece : delta_pieces(*out.text)) sink.delta(call.id, piece);
  sink.done(call.id, std::move(out));
}

void mock_provider::grow() {
  std::vector<group> bigger(std::max<size_t>(16, ring_.size() * 2));
  for (size_t i = 0; i < count_; ++i) bigger[i] = std::move(at(i));
  ring_.swap(bigger);
  head_ = 0;
}

void mock_provider::start(std::span<provider_call> calls, const std::shared_ptr<call_sink>& sink) {
  if (calls.empty()) return;
  if (opts_.latency_ms == 0) {
    for (auto& c : calls) answer(c, *sink);
    return;
  }
  auto now = sched_.now();
  auto due_at = now + std::chrono::milliseconds{opts_.latency_ms};
  // Too slow for its deadline: never answered, cut off at the deadline by the runner.
  if (std::none_of(calls.begin(), calls.end(), [&](const auto& c) { return due_at < c.deadline; }))
    return;
  if (count_ == ring_.size()) grow();
  auto number = first_ + count_;
  auto& g = at(count_++);
  g.due = due_at;
  g.sink = sink;
  g.calls.clear();  // empty since it was answered
  g.calls.reserve(calls.size());
  g.live = 0;
  for (auto& c : calls) {
    if (due_at >= c.deadline) continue;
    c.tag = (number << 16) | g.calls.size();
    g.calls.push_back(std::move(c));
    ++g.live;
    ++live_;
  }
  // Steps coming due within the same millisecond share a timer. Each timer answers its own steps
  // when its turn comes on the scheduler's thread, as a timer per step would, in order with the
  // rest of what that thread does (in an agent worker, the next steps' calls in its mailbox).
  using std::chrono::milliseconds;
  steady_clock::time_point until{std::chrono::ceil<milliseconds>(due_at.time_since_epoch())};
  if (timers_.empty() || timers_.back().at < until) {
    auto h = sched_.after(until - now, [this, until] { due(until); });
    if (h != 0) timers_.push_back({until, h});
  }
}

void mock_provider::cancel(call_id id, uint64_t tag) {
  auto number = tag >> 16;
  if (id == 0 || number < first_ || number >= first_ + count_) return;  // answered or unknown
  auto& g = at(number - first_);
  auto index = static_cast<size_t>(tag & 0xFFFF);
  if (index >= g.calls.size() || g.calls[index].id != id) return;
  g.calls[index] = {};
  --g.live;
  if (--live_ > 0) return;
  // Nothing left to answer: drop the waiting groups and their timers.
  for (const auto& t : timers_) sched_.cancel(t.handle);
  timers_.clear();
  for (size_t i = 0; i < count_; ++i) {
    at(i).calls = {};
    at(i).sink.reset();
  }
  first_ += count_;
  count_ = 0;
}

void mock_provider::due(steady_clock::time_point until) {
  while (!timers_.empty() && timers_.front().at <= until) timers_.pop_front();  // fired, or late
  while (count_ > 0 && at(0).due <= until) {
    // Out of the ring before answering (a sink that starts calls in turn may grow it), with its
    // buffer: the ring holds memory only for the calls waiting in it.
    auto& g = at(0);
    auto calls = std::move(g.calls);
    auto sink = std::move(g.sink);
    live_ -= g.live;
    g.live = 0;
    head_ = (head_ + 1) & (ring_.size() - 1);
    --count_;
    ++first_;
    for (auto& c : calls)
      if (c.id != 0) answer(c, *sink);  // 0: cancelled
  }
}

provider_catalog standard_providers(const mock_options& opts) {
  return {{"mock", [opts](scheduler& sched) -> std::unique_ptr<provider> {
             return std::make_unique<mock_provider>(opts, sched);
           }}};
}

}  // namespace aragora::agent
