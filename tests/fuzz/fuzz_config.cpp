// Fuzz target: the YAML configuration loader. Any input ends in a node_config or a config_error:
// no crash, no hang, no abort. A config that loads must also be usable: the debates it
// describes pass validation and its timer tick fits its timeouts.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "actors/debate/types.hpp"
#include "runtime/config/config.hpp"
#include "runtime/base/defaults.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aragora;
  auto r = config::parse_config(std::string_view{reinterpret_cast<const char*>(data), size});
  if (!r) return 0;
  auto* cfg = &r.value();
  auto spec = config::default_spec(*cfg);
  spec.id = "fuzz";
  spec.question = "Should we adopt Kubernetes?";
  spec.agents = {{"a", "mock", "critical"}, {"b", "mock", "balanced"}};
  if (auto err = debate::validate(spec)) std::abort();  // accepted, yet every debate refused
  if (!agent::valid_fail_rate(cfg->mock.fail_rate)) std::abort();
  if (cfg->timer_tick < defaults::min_timer_tick || cfg->timer_tick > defaults::max_timer_tick ||
      cfg->timer_tick > cfg->agent_timeout || cfg->timer_tick > cfg->phase_grace)
    std::abort();
  return 0;
}
