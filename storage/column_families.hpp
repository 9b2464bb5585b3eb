#pragma once
// The column families of a node's RocksDB (DESIGN: one per kind of record).

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace aragora::storage {

enum class cf : uint8_t {
  debates,           // debate id -> DebateRecord
  debate_events,     // debate id + big-endian seq -> Event
  critiques,         // pattern id -> CritiquePattern
  evidence,          // evidence id -> EvidenceRecord
  evidence_by_hash,  // content hash -> evidence id
  elo,               // "agent/<name>" -> AgentRating, "match/<debate id>" -> MatchRecord
  consensus,         // debate id -> ConsensusRecord
  memory_fast,
  memory_medium,
  memory_slow,
  memory_glacial,
  audit,             // time + sequence -> AuditEntry
  debate_index,      // the list index of `debates`: creation time + id, by status too (schema 2)
  placements,        // debate id -> Placement: the epoch of a debate that moved (a cluster's journal)
};

inline constexpr size_t cf_count = 14;

inline constexpr std::array<cf, cf_count> all_cfs{
    cf::debates,   cf::debate_events, cf::critiques,   cf::evidence,
    cf::evidence_by_hash, cf::elo,    cf::consensus,   cf::memory_fast,
    cf::memory_medium,    cf::memory_slow, cf::memory_glacial, cf::audit,
    cf::debate_index, cf::placements,
};

[[nodiscard]] std::string_view name(cf family);
[[nodiscard]] std::optional<cf> cf_from_name(std::string_view name);

/// How long each kind of record is kept, in seconds; 0 = until deleted.
struct retention_policy {
  std::array<int64_t, cf_count> ttl_s{};

  [[nodiscard]] static retention_policy defaults();
  [[nodiscard]] int64_t of(cf family) const { return ttl_s[static_cast<size_t>(family)]; }
  void set(cf family, int64_t s) { ttl_s[static_cast<size_t>(family)] = s; }
};

}  // namespace aragora::storage
