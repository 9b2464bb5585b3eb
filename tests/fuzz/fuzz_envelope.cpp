// Fuzz target: what a node reads from another node. The input is the bytes CAF hands the
// envelope's inspect (its length, then the protobuf); a payload that reads is then converted as
// its receiver would (agent calls, outcomes, a report) and written again. No crash, no hang, no
// abort; a refusal is a wire error.

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "actors/agent/wire_codec.hpp"
#include "net/wire/envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aragora;
  // Protobuf logs every string that is not UTF-8 on stderr; the fuzzer finds many.
  static google::protobuf::LogSilencer quiet;
  caf::execution_unit* no_context = nullptr;
  caf::binary_deserializer source{no_context, reinterpret_cast<const char*>(data), size};
  wire::envelope e;
  if (auto err = source(e)) {
    if (!wire::wire_code(err)) std::abort();  // every refusal has a wire code
    return 0;
  }
  switch (e.kind()) {
    case v1::Envelope::kAgentCalls: (void)agent::from_proto(e->agent_calls()); break;
    case v1::Envelope::kAgentOutcomes: (void)agent::outcomes_from_proto(e->agent_outcomes()); break;
    case v1::Envelope::kDebateReport: (void)debate::from_proto(e->debate_report()); break;
    default: break;
  }
  // What was read can be written again (an echo, a forward).
  std::vector<char> out;
  caf::binary_serializer sink{no_context, out};
  if (sink(e)) std::abort();
  return 0;
}
