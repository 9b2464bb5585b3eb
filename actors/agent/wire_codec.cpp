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
  if (auto* e = std::get_if<debate::decode_error>(&requests)) return std::move(*e);
  agent_calls out;
  out.spec = std::move(spec);
  out.requests = std::move(std::get<std::vector<debate::call_request>>(requests));
  return out;
}

v1::AgentOutcomes to_proto(std::string_view debate_id, const debate::call_outcomes& outcomes) {
  return debate::to_proto(debate_id, outcomes.items);
}

debate::decoded<debate::call_outcomes> outcomes_from_proto(const v1::AgentOutcomes& p) {
  auto items = debate::from_proto(p);
  if (auto* e = std::get_if<debate::decode_error>(&items)) return std::move(*e);
  return debate::call_outcomes{std::move(std::get<std::vector<debate::call_outcome>>(items))};
}

}  // namespace aragora::agent
