#pragma once
// Where each memory entry lives and the outcomes waiting for it: the memory coordinator's logic,
// pure (the actor in memory_tiers.cpp is its shell).
//
// Issue 8, defect 3: the coordinator sent every outcome to all four tiers, and the tier that held
// the entry applied it. An entry that moved was dropped from the old tier's index at once and
// adopted by the new tier only when the old tier's `adopt` arrived, so an outcome that reached
// the new tier before that, or the old one after the move, was lost (20 sent, 10 stored).
//
// Now the directory routes each entry's outcomes to the one tier that holds it, one batch per
// entry at a time: outcomes that arrive while a batch is in flight wait here and go together as
// the next batch. A batch that moves the entry comes back with it; the coordinator then sends
// `adopt` to the new tier and only after it the next batch, both from the coordinator to the same
// tier, so the tier has the entry before its next outcomes. Nothing is sent twice, so nothing is
// applied twice. Until every tier has said which entries it loaded from the store, everything
// waits (in order), so outcomes sent right after a restart are not dropped either.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "actors/memory/continuum.hpp"

namespace aragora::memory {

/// A tier's answer to a batch of outcomes.
struct batch_result {
  enum class status : uint8_t {
    applied,  // recorded; `moved` holds the entry when it now lives in another tier
    unknown,  // the tier does not hold the entry (evicted, or never stored)
    failed,   // not recorded: the write failed (or no answer came)
  };
  status what = status::unknown;
  std::optional<entry> moved;
};

class directory {
public:
  struct send_remember {  // to the slow tier
    entry e;
  };
  struct send_adopt {
    tier to;
    entry e;
  };
  struct send_batch {
    tier to;
    std::string id;
    std::vector<bool> outcomes;
  };
  using action = std::variant<send_remember, send_adopt, send_batch>;

  /// What was not recorded, by cause.
  struct drop_counts {
    uint64_t unknown = 0;    // outcomes for an entry no tier holds (evicted, expired and gone)
    uint64_t refused = 0;    // outcomes and remembers over `max_waiting`
    uint64_t failed = 0;     // outcomes whose batch failed
    uint64_t duplicate = 0;  // remembers of an id already held: the held entry keeps its counts
  };

  /// `tiers` inventories are awaited before anything is routed; at most `max_waiting` outcomes
  /// (and, before then, remembers) wait at a time.
  directory(size_t tiers, size_t max_waiting);

  /// Tier `t` loaded `ids` from its column family (empty if it could not say). After the last
  /// inventory, what waited is routed, in the order it came.
  void loaded(tier t, const std::vector<std::string>& ids, std::vector<action>& out);
  /// A new entry: stored in slow unless an entry with its id is already held.
  void remember(entry e, std::vector<action>& out);
  void outcome(const std::string& id, bool success, std::vector<action>& out);
  /// The answer to the batch in flight for `id`.
  void answered(const std::string& id, const batch_result& r, std::vector<action>& out);
  /// Tier `t` stored an entry (a remember sent to it directly is learnt this way).
  void held(tier t, const std::string& id);
  /// Tier `t` evicted these entries.
  void forgotten(tier t, const std::vector<std::string>& ids);

  [[nodiscard]] bool ready() const { return loaded_ >= tiers_; }
  /// Nothing waits and no batch is in flight.
  [[nodiscard]] bool idle() const { return ready() && waiting_ == 0 && in_flight_ == 0; }
  [[nodiscard]] size_t waiting() const { return waiting_; }
  [[nodiscard]] size_t size() const { return slots_.size(); }
  [[nodiscard]] std::optional<tier> where(const std::string& id) const;
  [[nodiscard]] const drop_counts& dropped() const { return dropped_; }

private:
  struct slot {
    explicit slot(tier where) : at(where) {}
    tier at;
    size_t in_flight = 0;  // outcomes of the batch sent, 0 when none is
    std::vector<bool> next;
  };
  struct early {  // a remember (e) or an outcome (id, success) that came before the inventories
    std::optional<entry> e;
    std::string id;
    bool success = false;
  };

  void send_next(const std::string& id, slot& s, std::vector<action>& out);

  size_t tiers_;
  size_t max_waiting_;
  size_t loaded_ = 0;
  uint8_t loaded_mask_ = 0;  // which tiers answered: a second inventory counts once
  size_t waiting_ = 0;
  size_t in_flight_ = 0;  // batches
  std::unordered_map<std::string, slot> slots_;
  std::vector<early> early_;
  drop_counts dropped_;
};

}  // namespace aragora::memory
