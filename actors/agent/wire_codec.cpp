#include "actors/agent/wire_codec.hpp"

#include "actors/debate/codec.hpp"

namespace aragora::agent {

v1::AgentCalls to_proto(const agent_calls& calls) {
  v1::AgentCalls p;
  if (calls.spec) {
    p.set_debate_id(calls.spec->id);
    *p.mutable_spec() = debate::to_proto(*calls.spec);
  }
  debate::add_calls(calls.requests, p);
  return p;
}

debate::decoded<agent_calls> from_proto(const v1::AgentCalls& p) {
  using debate::decode_errc;
  auto spec = std::make_shared<debate::debate_spec>(debate::from_proto(p.spec()));
  if (spec->id != p.debate_id())
    return debate::decode_error{decode_errc::debate_id_mismatch,
                                "calls of debate \"" + p.debate_id() + "\" carry the spec of \"" +
                                    spec->id + "\""};
  if (auto bad = debate::validate(*spec))
    return debate::decode_error{decode_errc::bad_spec,
                                std::string{debate::to_string(bad->code)} + ": " + bad->message};
  auto requests = debate::calls_from_proto(p, spec->agents.size());
  if (!requests) return std::move(requests).error();
  agent_calls out;
  out.spec = std::move(spec);
  out.requests = std::move(requests).value();
  return out;
}

v1::AgentOutcomes to_proto(std::string_view debate_id, const debate::call_outcomes& outcomes) {
  return debate::to_proto(debate_id, outcomes.items);
}

debate::decoded<debate::call_outcomes> outcomes_from_proto(const v1::AgentOutcomes& p) {
  auto items = debate::from_proto(p);
  if (!items) return std::move(items).error();
  return debate::call_outcomes{std::move(items).value()};
}

}  // namespace aragora::agent
