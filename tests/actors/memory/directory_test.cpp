// The memory coordinator's directory (issue 8, defect 3), without actors: routing, one batch in
// flight per entry, moves adopted before the next batch, the start-up wait, the bounds; and a
// simulation of the tiers with every message order the channels allow, checking that each entry
// ends exactly as applying its outcomes one at a time leaves it.

#include "actors/memory/directory.hpp"

#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <map>
#include <random>

namespace aragora::memory {
namespace {

constexpr int64_t now = 1'800'000'000;
using action = directory::action;

entry make(std::string id, tier where = tier::slow) {
  entry e;
  e.id = std::move(id);
  e.where = where;
  e.importance = 0.7;
  e.created_s = e.updated_s = now;
  return e;
}

/// A directory whose four tiers have answered: slow holds "a", glacial "g".
directory loaded_directory(size_t max_waiting = 100) {
  directory d(4, max_waiting);
  std::vector<action> out;
  d.loaded(tier::fast, {}, out);
  d.loaded(tier::medium, {}, out);
  d.loaded(tier::slow, {"a"}, out);
  d.loaded(tier::glacial, {"g"}, out);
  EXPECT_TRUE(out.empty());
  return d;
}

const directory::send_batch& batch(const action& a) {
  EXPECT_TRUE(std::holds_alternative<directory::send_batch>(a));
  return std::get<directory::send_batch>(a);
}

batch_result applied(std::optional<entry> moved = std::nullopt) {
  return {batch_result::status::applied, std::move(moved)};
}

TEST(Directory, RoutesAnOutcomeToTheOneTierHoldingTheEntry) {
  auto d = loaded_directory();
  std::vector<action> out;
  d.outcome("g", true, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(batch(out[0]).to, tier::glacial);
  EXPECT_EQ(batch(out[0]).id, "g");
  EXPECT_EQ(batch(out[0]).outcomes, std::vector<bool>{true});
  EXPECT_FALSE(d.idle());
}

TEST(Directory, OutcomesArrivingWhileABatchIsInFlightGoTogetherInOrderAfterIt) {
  auto d = loaded_directory();
  std::vector<action> out;
  d.outcome("a", true, out);
  d.outcome("a", false, out);
  d.outcome("a", true, out);
  d.outcome("a", false, out);
  ASSERT_EQ(out.size(), 1u);  // one batch in flight per entry
  EXPECT_EQ(d.waiting(), 3u);
  out.clear();
  d.answered("a", applied(), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(batch(out[0]).to, tier::slow);
  EXPECT_EQ(batch(out[0]).outcomes, (std::vector<bool>{false, true, false}));
  out.clear();
  d.answered("a", applied(), out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(d.idle());
  EXPECT_EQ(d.dropped().unknown + d.dropped().failed + d.dropped().refused, 0u);
}

TEST(Directory, AMovedEntryIsAdoptedByItsNewTierBeforeItsNextOutcomesGoThere) {
  auto d = loaded_directory();
  std::vector<action> out;
  d.outcome("a", true, out);
  d.outcome("a", false, out);
  out.clear();
  d.answered("a", applied(make("a", tier::glacial)), out);
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(std::holds_alternative<directory::send_adopt>(out[0]));
  EXPECT_EQ(std::get<directory::send_adopt>(out[0]).to, tier::glacial);
  EXPECT_EQ(std::get<directory::send_adopt>(out[0]).e.id, "a");
  EXPECT_EQ(batch(out[1]).to, tier::glacial);
  EXPECT_EQ(batch(out[1]).outcomes, std::vector<bool>{false});
  EXPECT_EQ(d.where("a"), tier::glacial);
}

TEST(Directory, EverythingWaitsInOrderUntilEveryTierHasListedItsEntries) {
  directory d(4, 100);
  std::vector<action> out;
  d.outcome("g", true, out);
  d.remember(make("new"), out);
  d.outcome("new", false, out);
  d.outcome("g", false, out);
  d.loaded(tier::glacial, {"g"}, out);
  d.loaded(tier::fast, {}, out);
  d.loaded(tier::fast, {}, out);  // a second answer counts once
  d.loaded(tier::medium, {}, out);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(d.ready());
  EXPECT_FALSE(d.idle());
  d.loaded(tier::slow, {}, out);
  ASSERT_TRUE(d.ready());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(batch(out[0]).id, "g");
  EXPECT_EQ(batch(out[0]).outcomes, std::vector<bool>{true});
  ASSERT_TRUE(std::holds_alternative<directory::send_remember>(out[1]));
  EXPECT_EQ(batch(out[2]).id, "new");
  EXPECT_EQ(batch(out[2]).to, tier::slow);
  EXPECT_EQ(d.waiting(), 1u);  // g's second outcome, behind its first
}

TEST(Directory, ARememberedIdAlreadyHeldKeepsItsEntry) {
  auto d = loaded_directory();
  std::vector<action> out;
  d.remember(make("g"), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.dropped().duplicate, 1u);
  EXPECT_EQ(d.where("g"), tier::glacial);
  d.remember(make("b"), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(d.where("b"), tier::slow);
}

TEST(Directory, AnEntryTheTierNoLongerHoldsDropsWhatWaitsForIt) {
  auto d = loaded_directory();
  std::vector<action> out;
  d.outcome("a", true, out);
  d.outcome("a", true, out);
  d.outcome("a", true, out);
  d.outcome("nobody", true, out);
  EXPECT_EQ(d.dropped().unknown, 1u);
  out.clear();
  d.answered("a", {batch_result::status::unknown, std::nullopt}, out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.dropped().unknown, 4u);
  EXPECT_FALSE(d.where("a"));
  EXPECT_TRUE(d.idle());
}

TEST(Directory, AFailedBatchIsCountedAndTheNextOneStillGoes) {
  auto d = loaded_directory();
  std::vector<action> out;
  d.outcome("a", true, out);
  d.outcome("a", true, out);
  d.outcome("a", false, out);
  out.clear();
  d.answered("a", {batch_result::status::failed, std::nullopt}, out);
  EXPECT_EQ(d.dropped().failed, 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(batch(out[0]).outcomes, (std::vector<bool>{true, false}));
  EXPECT_EQ(d.where("a"), tier::slow);
  out.clear();
  d.answered("a", applied(), out);  // an answer for no batch in flight changes nothing
  d.answered("a", applied(), out);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(d.idle());
}

TEST(Directory, AtMostMaxWaitingOutcomesWait) {
  auto d = loaded_directory(2);
  std::vector<action> out;
  d.outcome("a", true, out);  // in flight, not waiting
  d.outcome("a", true, out);
  d.outcome("a", true, out);
  d.outcome("a", true, out);
  EXPECT_EQ(d.waiting(), 2u);
  EXPECT_EQ(d.dropped().refused, 1u);
  directory early(4, 1);
  early.remember(make("x"), out);
  early.outcome("x", true, out);
  EXPECT_EQ(early.dropped().refused, 1u);
}

TEST(Directory, EvictionsAndDirectRemembersKeepItCurrent) {
  auto d = loaded_directory();
  std::vector<action> out;
  d.held(tier::fast, "f");  // remembered straight into fast
  EXPECT_EQ(d.where("f"), tier::fast);
  d.forgotten(tier::slow, {"f", "g"});  // neither is in slow: nothing changes
  EXPECT_EQ(d.where("f"), tier::fast);
  EXPECT_EQ(d.where("g"), tier::glacial);
  d.outcome("g", true, out);
  d.forgotten(tier::glacial, {"g"});  // in flight: its answer (unknown) clears it
  EXPECT_EQ(d.where("g"), tier::glacial);
  d.answered("g", {batch_result::status::unknown, std::nullopt}, out);
  EXPECT_FALSE(d.where("g"));
  d.forgotten(tier::fast, {"f"});
  EXPECT_FALSE(d.where("f"));
  EXPECT_EQ(d.size(), 1u);  // a
}

// -- the tiers simulated, messages delivered in random orders ----------------------------------

/// The reference: outcomes applied one at a time, each in the tier that holds the entry then.
entry one_at_a_time(entry e, const std::vector<bool>& outcomes, int& moves) {
  for (bool ok : outcomes) {
    record_outcome(e, ok, now);
    auto step = transition(e, now);
    if (step == move::promote) e.where = *faster(e.where), e.last_promotion_s = now;
    if (step == move::demote) e.where = *slower(e.where);
    moves += step != move::stay;
  }
  return e;
}

TEST(Continuum, RecordOutcomesMovesAsOneAtATimeDoes) {
  std::vector<bool> outcomes(10, true);
  outcomes.insert(outcomes.end(), {false, false, false, true, true, true});
  int moves = 0;
  auto want = one_at_a_time(make("a"), outcomes, moves);
  EXPECT_EQ(moves, 3);  // slow -> glacial -> slow -> glacial
  auto got = make("a");
  record_outcomes(got, outcomes, now);
  EXPECT_EQ(got.where, want.where);
  EXPECT_EQ(got.successes, want.successes);
  EXPECT_EQ(got.failures, want.failures);
  EXPECT_EQ(got.updates, want.updates);
  EXPECT_DOUBLE_EQ(got.surprise, want.surprise);
  EXPECT_EQ(got.last_promotion_s, now);
}

struct simulation {
  using to_tier = std::variant<directory::send_remember, directory::send_adopt, directory::send_batch>;
  struct reply {
    std::string id;
    batch_result r;
  };
  directory dir{4, 1'000};
  std::array<std::map<std::string, entry>, 4> index;  // each tier's live entries
  std::map<std::string, entry> stored;                 // the column families, merged
  std::array<std::deque<to_tier>, 4> inbox;            // coordinator -> tier, in order
  std::array<std::deque<reply>, 4> replies;            // tier -> coordinator, in order
  std::deque<std::pair<std::string, bool>> client;     // outcomes still to send, in order

  void route(std::vector<action>& out) {
    for (auto& a : out) {
      tier to = tier::slow;
      if (auto* m = std::get_if<directory::send_adopt>(&a)) to = m->to;
      if (auto* b = std::get_if<directory::send_batch>(&a)) to = b->to;
      inbox[static_cast<size_t>(to)].push_back(std::move(a));
    }
    out.clear();
  }

  /// What a tier actor does with one message.
  void tier_step(size_t t) {
    auto m = std::move(inbox[t].front());
    inbox[t].pop_front();
    if (auto* r = std::get_if<directory::send_remember>(&m)) {
      r->e.where = static_cast<tier>(t);
      stored[r->e.id] = r->e;
      index[t][r->e.id] = r->e;
    } else if (auto* a = std::get_if<directory::send_adopt>(&m)) {
      index[t][a->e.id] = a->e;
    } else {
      auto& b = std::get<directory::send_batch>(m);
      auto it = index[t].find(b.id);
      if (it == index[t].end()) {
        replies[t].push_back({b.id, {batch_result::status::unknown, std::nullopt}});
        return;
      }
      auto e = it->second;
      record_outcomes(e, b.outcomes, now);
      stored[e.id] = e;
      batch_result r{batch_result::status::applied, std::nullopt};
      if (e.where != static_cast<tier>(t)) {
        index[t].erase(it);
        r.moved = e;
      } else {
        it->second = e;
      }
      replies[t].push_back({b.id, std::move(r)});
    }
  }

  void run(std::mt19937& rng) {
    std::vector<action> out;
    for (;;) {
      std::vector<int> ready;  // 0 = client; 1..4 = a tier's inbox; 5..8 = a tier's replies
      if (!client.empty()) ready.push_back(0);
      for (int t = 0; t < 4; ++t) {
        if (!inbox[t].empty()) ready.push_back(1 + t);
        if (!replies[t].empty()) ready.push_back(5 + t);
      }
      if (ready.empty()) return;
      int pick = ready[std::uniform_int_distribution<size_t>(0, ready.size() - 1)(rng)];
      if (pick == 0) {
        dir.outcome(client.front().first, client.front().second, out);
        client.pop_front();
      } else if (pick <= 4) {
        tier_step(static_cast<size_t>(pick - 1));
      } else {
        auto r = std::move(replies[pick - 5].front());
        replies[pick - 5].pop_front();
        dir.answered(r.id, r.r, out);
      }
      route(out);
    }
  }
};

TEST(Directory, EveryInterleavingRecordsEveryOutcomeOnceInOrder) {
  std::vector<bool> outcomes(10, true);
  outcomes.insert(outcomes.end(), {false, false, false, true, true, true, true, false, true});
  int moves = 0;
  const auto want = one_at_a_time(make("x"), outcomes, moves);
  ASSERT_GE(moves, 3);
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    simulation sim;
    std::vector<action> out;
    for (auto t : all_tiers) sim.dir.loaded(t, {}, out);
    for (const char* id : {"x", "y", "z"}) sim.dir.remember(make(id), out);
    sim.route(out);
    for (bool ok : outcomes)
      for (const char* id : {"x", "y", "z"}) sim.client.emplace_back(id, ok);
    sim.run(rng);
    ASSERT_TRUE(sim.dir.idle()) << "seed " << seed;
    for (const char* id : {"x", "y", "z"}) {
      const auto& got = sim.stored.at(id);
      ASSERT_EQ(got.successes + got.failures, outcomes.size()) << id << " seed " << seed;
      ASSERT_EQ(got.updates, want.updates) << id << " seed " << seed;
      ASSERT_EQ(got.where, want.where) << id << " seed " << seed;
      ASSERT_DOUBLE_EQ(got.surprise, want.surprise) << id << " seed " << seed;
      ASSERT_EQ(sim.dir.where(id), want.where) << id << " seed " << seed;
      // Exactly one tier's index holds it, the one the store says.
      int holders = 0;
      for (size_t t = 0; t < 4; ++t) holders += sim.index[t].count(id);
      ASSERT_EQ(holders, 1) << id << " seed " << seed;
      ASSERT_TRUE(sim.index[static_cast<size_t>(want.where)].count(id)) << id << " seed " << seed;
    }
  }
}

}  // namespace
}  // namespace aragora::memory
