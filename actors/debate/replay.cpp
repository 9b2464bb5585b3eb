#include "actors/debate/replay.hpp"

#include <unordered_map>

#include "actors/debate/codec.hpp"

namespace aragora::debate {

std::variant<std::unique_ptr<debate_machine>, std::string> replay(
    std::shared_ptr<const debate_spec> spec, const machine_options& options,
    std::span<const v1::Event> events) {
  std::unordered_map<std::string_view, uint8_t> index;
  for (size_t i = 0; i < spec->agents.size(); ++i)
    index.emplace(spec->agents[i].name, static_cast<uint8_t>(i));
  auto agent = [&](const std::string& name) -> std::optional<uint8_t> {
    auto it = index.find(name);
    if (it == index.end()) return std::nullopt;
    return it->second;
  };
  auto m = std::make_unique<debate_machine>(std::move(spec), options);
  auto fail = [&](const v1::Event& e, const std::string& why) {
    return std::variant<std::unique_ptr<debate_machine>, std::string>{
        "event " + std::to_string(e.seq()) + " (" +
        v1::EventType::Value_Name(e.type()) + "): " + why};
  };
  // The pending call of the current step an outcome answers.
  auto pending_key = [&](phase ph, uint32_t round, uint8_t who,
                         std::optional<uint8_t> target) -> std::optional<call_key> {
    for (size_t i = 0; i < m->calls().size(); ++i) {
      const auto& k = m->calls()[i].key;
      if (!m->pending(i) || k.ph != ph || k.round != round || k.agent != who) continue;
      if (target && k.target != *target) continue;
      return k;
    }
    return std::nullopt;
  };

  if (events.empty() || events.front().type() != v1::EventType::debate_start ||
      events.front().seq() != 1)
    return std::string{"the log does not begin with the debate's start (events expired or lost)"};
  for (const auto& e : events) {
    auto at = from_timestamp(e.timestamp());
    switch (e.type()) {
      case v1::EventType::debate_start:
        if (m->started()) return fail(e, "a second start");
        (void)m->start(at);
        break;
      case v1::EventType::agent_message:
      case v1::EventType::critique:
      case v1::EventType::vote: {
        if (e.seq() != m->last_seq() + 1) return fail(e, "out of sequence");
        const auto& msg = e.message();
        auto who = agent(msg.agent());
        if (!who) return fail(e, "unknown agent '" + msg.agent() + "'");
        auto ph = static_cast<phase>(msg.phase());
        std::optional<uint8_t> target;
        if (ph == phase::critique) {
          target = agent(msg.target());
          if (!target) return fail(e, "unknown target '" + msg.target() + "'");
        }
        auto key = pending_key(ph, msg.round(), *who, target);
        if (!key) return fail(e, "answers no pending call");
        call_outcome o;
        o.key = *key;
        o.text = make_text(msg.text());
        o.severity = msg.critique().severity();
        o.issues = join_issues(msg.critique().issues());
        if (ph == phase::vote || ph == phase::judge) {
          auto choice = agent(msg.vote().choice());
          if (!choice) return fail(e, "unknown choice '" + msg.vote().choice() + "'");
          o.choice = *choice;
          o.confidence = msg.vote().confidence();
        }
        o.tokens_out = msg.tokens();
        o.tokens_in = msg.tokens_in();
        o.cost_usd = msg.cost_usd();
        o.context_ratio = msg.context_ratio();
        (void)m->record(std::move(o), at);
        break;
      }
      case v1::EventType::agent_error: {
        if (e.seq() != m->last_seq() + 1) return fail(e, "out of sequence");
        const auto& err = e.error();
        auto who = agent(e.agent());
        if (!who) return fail(e, "unknown agent '" + e.agent() + "'");
        auto ph = static_cast<phase>(err.phase());
        std::optional<uint8_t> target;
        if (ph == phase::critique) target = agent(err.target());
        if (ph == phase::judge) target = static_cast<uint8_t>(err.attempt());
        auto key = pending_key(ph, e.round(), *who, target);
        if (!key) return fail(e, "answers no pending call");
        auto code = parse_call_errc(err.code());
        if (!code) return fail(e, "unknown error code '" + err.code() + "'");
        call_outcome o;
        o.key = *key;
        o.error = *code;
        o.error_message = err.message();
        o.tokens_in = err.tokens_in();
        o.tokens_out = err.tokens_out();
        o.cost_usd = err.cost_usd();
        (void)m->record(std::move(o), at);
        break;
      }
      case v1::EventType::debate_end:
        // An end the outcomes did not produce was a cancellation.
        if (!m->finished()) (void)m->cancel(at, e.end().error());
        break;
      default:
        break;  // derived events: checked below
    }
    if (m->last_seq() < e.seq()) return fail(e, "not produced by replaying the log before it");
  }
  return m;
}

}  // namespace aragora::debate
