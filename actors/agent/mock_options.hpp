#pragma once
// The mock provider's configuration (YAML `mock.*`, the CLI's --message-bytes, --latency-ms and
// --fail-rate). A node's setting, not part of a debate: a real provider's latency and failures are
// not in the spec either. Header-only so the config loader needs no agent library.

#include <cstdint>

#include "runtime/base/defaults.hpp"

namespace aragora::agent {

struct mock_options {
  uint32_t message_bytes = defaults::mock_message_bytes;  // target size of each text, 0 = natural
  uint32_t latency_ms = defaults::mock_latency_ms;        // simulated latency of every call
  double fail_rate = defaults::mock_fail_rate;            // probability in [0, 1] that a call fails
};

/// The fail rate is a probability (NaN is not).
[[nodiscard]] constexpr bool valid_fail_rate(double p) {
  return p >= 0.0 && p <= 1.0;
}

}  // namespace aragora::agent
