#include "storage/column_families.hpp"

#include <chrono>

#include "runtime/base/defaults.hpp"

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
    case cf::placements: return "placements";
  }
  return "unknown";
}

std::optional<cf> cf_from_name(std::string_view n) {
  for (auto f : all_cfs)
    if (name(f) == n) return f;
  return std::nullopt;
}

retention_policy retention_policy::defaults() {
  using namespace std::chrono;
  auto s = [](auto d) { return duration_cast<seconds>(d).count(); };
  retention_policy r;
  r.set(cf::debates, s(defaults::retain_debates));
  r.set(cf::debate_events, s(defaults::retain_debates));
  r.set(cf::critiques, s(defaults::retain_critiques));
  r.set(cf::evidence, s(defaults::retain_evidence));
  r.set(cf::evidence_by_hash, s(defaults::retain_evidence));
  r.set(cf::elo, 0);
  r.set(cf::consensus, s(defaults::retain_consensus));
  r.set(cf::memory_fast, s(defaults::retain_memory_fast));
  r.set(cf::memory_medium, s(defaults::retain_memory_medium));
  r.set(cf::memory_slow, s(defaults::retain_memory_slow));
  r.set(cf::memory_glacial, s(defaults::retain_memory_glacial));
  r.set(cf::audit, s(defaults::retain_audit));
  // Each index entry carries its record's expiry; the retention only makes the sweeper compact
  // the family, which drops expired entries and the tombstones of moved ones.
  r.set(cf::debate_index, s(defaults::retain_debates));
  r.set(cf::placements, s(defaults::retain_debates));
  return r;
}

}  // namespace aragora::storage
