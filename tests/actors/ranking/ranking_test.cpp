#include "actors/ranking/ranking.hpp"

#include <gtest/gtest.h>


#include "actors/debate/store/persistence.hpp"
#include "actors/debate/receipt.hpp"
#include "tests/support/drive.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora::ranking {
namespace {

struct temp_store : test::temp_store {
  temp_store() : test::temp_store("ranking") {}
};

v1::DebateRecord finished(uint32_t seed, std::function<void(debate::debate_spec&)> edit = {},
                          agent::mock_options mock = {}) {
  auto spec = test::make_spec([&](debate::debate_spec& s) {
    s.seed = seed;
    s.id = "debate-" + std::to_string(seed);
    if (edit) edit(s);
  });
  debate::debate_machine m(spec);
  test::drive(m, test::mock_with(mock));
  auto receipt = debate::make_receipt(m, std::nullopt);
  return debate::record_of(m, &receipt);
}

TEST(MatchFrom, OnlyDecidedDebatesWithTwoContributorsCount) {
  auto ok = finished(1);
  auto m = match_from(ok);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->participants.size(), 3u);
  EXPECT_EQ(m->votes.size(), 3u);
  auto failed = finished(2, {}, test::failing(1.0));
  EXPECT_EQ(failed.status(), v1::Status::failed);
  EXPECT_FALSE(match_from(failed));
  auto running = ok;
  running.set_status(v1::Status::running);
  EXPECT_FALSE(match_from(running));
}

TEST(Ranking, RecordingIsIdempotentPerDebate) {
  temp_store s;
  rating_table table;
  elo_params p;
  auto r = finished(1);
  ASSERT_TRUE(record_debate(*s.db, table, r, p).value());
  auto after_first = table;
  EXPECT_FALSE(record_debate(*s.db, table, r, p).value());  // duplicate: nothing changes
  for (const auto& [name, rt] : table) {
    EXPECT_EQ(rt.elo, after_first[name].elo);
    EXPECT_EQ(rt.debates, 1u);
  }
  // Ratings survive a reopen, and a replay through a fresh table is still a no-op.
  s.reopen();
  auto loaded = load_ratings(*s.db).value();
  ASSERT_EQ(loaded.size(), 3u);
  for (const auto& [name, rt] : loaded) EXPECT_DOUBLE_EQ(rt.elo, after_first[name].elo);
  EXPECT_FALSE(record_debate(*s.db, loaded, r, p).value());
  double sum = 0;
  for (const auto& [name, rt] : loaded) sum += rt.elo;
  EXPECT_NEAR(sum, 3 * 1500.0, 1e-6);  // zero-sum
}

TEST(Ranking, ReconcileRecordsFinishedDebatesThatWereNotRated) {
  temp_store s;
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    storage::write_batch b;
    auto r = finished(seed);
    b.put(storage::cf::debates, r.spec().id(), r.SerializeAsString(), 0);
    ASSERT_FALSE(s.db->write(b, false));
  }
  rating_table table;
  EXPECT_EQ(reconcile(*s.db, table, {}).value(), 5u);
  EXPECT_EQ(reconcile(*s.db, table, {}).value(), 0u);
  uint32_t debates = 0;
  for (const auto& [name, rt] : table) debates += rt.debates;
  EXPECT_EQ(debates, 15u);
  auto board = leaderboard(table, "", {});
  ASSERT_EQ(board.agents_size(), 3);
  EXPECT_GE(board.agents(0).elo(), board.agents(1).elo());
  EXPECT_GE(board.agents(1).elo(), board.agents(2).elo());
  auto general = leaderboard(table, "general", {});
  EXPECT_EQ(general.agents_size(), 3);
  EXPECT_EQ(leaderboard(table, "astronomy", {}).agents_size(), 0);
}

}  // namespace
}  // namespace aragora::ranking
