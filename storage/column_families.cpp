#include "storage/column_families.hpp"

namespace aragora::storage {

std::string_view name(cf family) {
  switch (family) {
    case cf::debates: return "debates";
    case cf::debate_events: return "debate_events";
    case cf::critiques: return "critiques";
    case cf::evidence: return "evidence";
    case cf::evidence_by_hash: return "evidence_by_hash";
    case cf::elo: return "elo";
    case cf::consensus: return "consensus";
    case cf::memory_fast: return "memory_fast";
    case cf::memory_medium: return "memory_medium";
    case cf::memory_slow: return "memory_slow";
    case cf::memory_glacial: return "memory_glacial";
    case cf::audit: return "audit";
    case cf::debate_index: return "debate_index";
  }
  return "unknown";
}

std::optional<cf> cf_from_name(std::string_view n) {
  for (auto f : all_cfs)
    if (name(f) == n) return f;
  return std::nullopt;
}

}  // namespace aragora::storage
