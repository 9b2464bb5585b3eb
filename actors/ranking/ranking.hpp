#pragma once
// The ranking: ELO ratings kept in the `elo` column family ("agent/<name>" -> AgentRating,
// "match/<debate id>" -> MatchRecord) and the actor that owns them.
//
// Recording is idempotent per debate id: a replayed or duplicated result changes nothing. The
// actor reconciles on start (every finished debate without a match record is recorded, oldest
// first), so a crash between a debate's end and its rating update loses nothing.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <memory>
#include <optional>
#include <string>

#include "actors/ranking/elo.hpp"
#include "aragora/v1/debate.pb.h"
#include "storage/store.hpp"

namespace aragora::ranking {

/// The match a finished debate makes, or nullopt when it does not count (failed, cancelled,
/// insufficient participation, fewer than two contributors).
[[nodiscard]] std::optional<match_input> match_from(const v1::DebateRecord& record);

[[nodiscard]] storage::result<rating_table> load_ratings(storage::store& db);

/// Sorted by rating, highest first; by the domain's rating when `domain` is set.
[[nodiscard]] v1::Leaderboard leaderboard(const rating_table& table, const std::string& domain,
                                          const elo_params& p);

/// Records the debate unless it was recorded before; updates `table` and the store together.
/// Returns whether it was recorded now.
[[nodiscard]] storage::result<bool> record_debate(storage::store& db, rating_table& table,
                                                  const v1::DebateRecord& record,
                                                  const elo_params& p);

/// Records every finished debate of the store that has no match record yet.
[[nodiscard]] storage::result<uint32_t> reconcile(storage::store& db, rating_table& table,
                                                  const elo_params& p);

/// Ask the ranking actor to record a finished debate (answered with `bool recorded`).
struct record_match {
  v1::DebateRecord record;
};

using leaderboard_atom = caf::atom_constant<caf::atom("leaders")>;

/// The ranking actor (detached: it reads and writes the store). Answers `record_match` with a
/// bool and `(leaderboard_atom, std::string domain)` with a v1::Leaderboard.
[[nodiscard]] caf::actor spawn_ranking(caf::actor_system& sys, std::shared_ptr<storage::store> db,
                                       elo_params p);

}  // namespace aragora::ranking

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::ranking::record_match)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(aragora::v1::Leaderboard)
