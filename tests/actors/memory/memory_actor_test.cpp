// The memory tiers as actors on a real store: recall, outcomes moving entries between column
// families, expiry with a moved clock.

#include "actors/memory/memory_tiers.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "aragora/v1/debate.pb.h"
#include "tests/support/temp_store.hpp"

namespace aragora::memory {
namespace {

using namespace std::chrono_literals;

struct fixture : test::temp_store {
  std::unique_ptr<caf::actor_system_config> cfg = std::make_unique<caf::actor_system_config>();
  std::unique_ptr<caf::actor_system> system = std::make_unique<caf::actor_system>(*cfg);
  caf::actor_system& sys = *system;
  std::unique_ptr<memory_system> mem;

  fixture() : test::temp_store("memory") { mem = std::make_unique<memory_system>(sys, db); }
  ~fixture() { mem->stop(); }

  /// What a process restart does: memory stops, the actor system and the store close, then
  /// both open again and the tiers reload their entries from RocksDB.
  void restart() {
    mem->stop();
    mem.reset();
    system.reset();  // waits for every actor, so nothing holds the store any more
    reopen();
    cfg = std::make_unique<caf::actor_system_config>();
    system = std::make_unique<caf::actor_system>(*cfg);
    mem = std::make_unique<memory_system>(*system, db);
  }

  entry make(std::string id, std::string topic) {
    entry e;
    e.id = std::move(id);
    e.topic = topic;
    e.content = "on \"" + topic + "\" the verdict was approved";
    e.importance = 0.7;
    e.created_s = e.updated_s = now->load();
    return e;
  }

  std::vector<recalled> recall(const std::string& q) {
    caf::scoped_actor self{*system};
    std::vector<recalled> out;
    self->request(mem->coordinator(), 5s, recall_atom::value, q, uint32_t{3})
        .receive([&](std::vector<recalled>& r) { out = std::move(r); },
                 [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  void flush() {
    caf::scoped_actor self{*system};
    self->request(mem->coordinator(), 5s, flush_atom::value)
        .receive([](bool ok) { EXPECT_TRUE(ok); },
                 [](caf::error& e) { ADD_FAILURE() << "flush: " << caf::to_string(e); });
  }

  bool stored_in(tier t, const std::string& id) { return db->get(cf_of(t), id).value().has_value(); }

  /// The stored entry and the tier whose column family holds it; a failure if not exactly one.
  std::optional<std::pair<tier, v1::MemoryEntry>> stored(const std::string& id) {
    std::optional<std::pair<tier, v1::MemoryEntry>> out;
    for (auto t : all_tiers) {
      auto got = db->get(cf_of(t), id);
      if (!got.ok() || !got.value()) continue;
      v1::MemoryEntry p;
      EXPECT_TRUE(p.ParseFromString(*got.value()));
      EXPECT_FALSE(out) << id << " is stored in " << to_string(out->first) << " and "
                        << to_string(t);
      out.emplace(t, std::move(p));
    }
    return out;
  }
};

/// The entry as applying `outcomes` one after the other leaves it (the pure rules), and how many
/// times it moves between tiers on the way.
entry applied_in_order(entry e, const std::vector<bool>& outcomes, int64_t now, int& moves) {
  for (bool ok : outcomes) {
    record_outcome(e, ok, now);
    auto step = transition(e, now);
    if (step == move::stay) continue;
    ++moves;
    if (step == move::promote) {
      e.where = *faster(e.where);
      e.last_promotion_s = now;
    } else {
      e.where = *slower(e.where);
    }
  }
  return e;
}

TEST(MemoryActors, RemembersIntoSlowAndRecallsByRelevance) {
  fixture f;
  caf::anon_send(f.mem->coordinator(), remember{f.make("m1", "Should we adopt Kubernetes?")});
  caf::anon_send(f.mem->coordinator(), remember{f.make("m2", "Which database for billing?")});
  f.flush();
  EXPECT_TRUE(f.stored_in(tier::slow, "m1"));
  auto hits = f.recall("Adopt Kubernetes this quarter?");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].e.id, "m1");
  EXPECT_GT(hits[0].score, 0);
  EXPECT_TRUE(f.recall("Tabs or spaces?").empty());
  EXPECT_NE(context_from(hits).find("Kubernetes"), std::string::npos);
}

TEST(MemoryActors, ConfirmedDecisionsSinkAndReversalsRiseAcrossColumnFamilies) {
  fixture f;
  caf::anon_send(f.mem->coordinator(), remember{f.make("k8s", "Should we adopt Kubernetes?")});
  f.flush();
  // Ten confirmations: stable enough to demote to glacial.
  for (int i = 0; i < 10; ++i) caf::anon_send(f.mem->coordinator(), outcome{"k8s", true});
  f.flush();
  f.flush();  // the move is written by slow, then adopted by glacial
  EXPECT_FALSE(f.stored_in(tier::slow, "k8s"));
  EXPECT_TRUE(f.stored_in(tier::glacial, "k8s"));
  // More confirmations, then the decision stops holding: surprise promotes it back to slow.
  for (int i = 0; i < 10; ++i) caf::anon_send(f.mem->coordinator(), outcome{"k8s", true});
  for (int i = 0; i < 3; ++i) caf::anon_send(f.mem->coordinator(), outcome{"k8s", false});
  f.flush();
  f.flush();
  EXPECT_TRUE(f.stored_in(tier::slow, "k8s"));
  EXPECT_FALSE(f.stored_in(tier::glacial, "k8s"));
  ASSERT_EQ(f.recall("Kubernetes?").size(), 1u);
  EXPECT_EQ(f.recall("Kubernetes?")[0].e.where, tier::slow);
}

// Issue 8, defect 3: outcomes sent while an entry moves between tiers were dropped by the tier
// that had just given it away and by the one that had not adopted it yet (20 sent, 10 stored).
// Twenty outcomes per entry move each entry slow -> glacial -> slow -> glacial; all of them are
// sent at once, so most arrive while the entry is in flight. Every one must be in the stored
// entry, exactly once, in the order sent; and a restart keeps the counts and goes on counting.
TEST(MemoryActors, NoOutcomeIsLostOrDoubledWhileEntriesMoveBetweenTiers) {
  fixture f;
  std::vector<bool> outcomes(10, true);
  outcomes.insert(outcomes.end(), 3, false);
  outcomes.insert(outcomes.end(), 7, true);
  const int entries = 8;
  std::vector<entry> first;
  for (int i = 0; i < entries; ++i) {
    first.push_back(f.make("e" + std::to_string(i), "Should we adopt Kubernetes?"));
    caf::anon_send(f.mem->coordinator(), remember{first.back()});
  }
  f.flush();
  for (bool ok : outcomes)
    for (int i = 0; i < entries; ++i)
      caf::anon_send(f.mem->coordinator(), outcome{"e" + std::to_string(i), ok});
  f.flush();

  int moves = 0;
  const auto want = applied_in_order(first[0], outcomes, f.now->load(), moves);
  ASSERT_EQ(moves, 3);  // the sequence does move the entry while outcomes are in flight
  ASSERT_EQ(want.where, tier::glacial);
  auto check = [&](const entry& want, const char* when) {
    for (int i = 0; i < entries; ++i) {
      auto id = "e" + std::to_string(i);
      auto got = f.stored(id);
      ASSERT_TRUE(got) << id << " " << when;
      EXPECT_EQ(got->first, want.where) << id << " " << when;
      EXPECT_EQ(got->second.successes() + got->second.failures(),
                want.successes + want.failures) << id << " " << when;
      EXPECT_EQ(got->second.successes(), want.successes) << id << " " << when;
      EXPECT_EQ(got->second.failures(), want.failures) << id << " " << when;
      EXPECT_EQ(got->second.updates(), want.updates) << id << " " << when;
      EXPECT_DOUBLE_EQ(got->second.surprise(), want.surprise) << id << " " << when;
    }
  };
  check(want, "before the restart");

  // Outcomes sent at once after a restart wait for the tiers to reload, then count too; a
  // resumed debate remembering its entry again changes nothing (it used to land a second copy in
  // slow, or reset the counts of the one there).
  f.restart();
  caf::anon_send(f.mem->coordinator(), remember{first[0]});
  const std::vector<bool> more{false, false, true, false};
  for (bool ok : more)
    for (int i = 0; i < entries; ++i)
      caf::anon_send(f.mem->coordinator(), outcome{"e" + std::to_string(i), ok});
  f.flush();
  auto after = applied_in_order(want, more, f.now->load(), moves);
  check(after, "after the restart");
  EXPECT_EQ(after.successes + after.failures, outcomes.size() + more.size());
  ASSERT_EQ(f.recall("Kubernetes?").size(), 3u);
  EXPECT_EQ(f.recall("Kubernetes?")[0].e.where, after.where);
}

TEST(MemoryActors, EntriesExpireWithTheirTier) {
  fixture f;
  auto e = f.make("short", "Should we adopt Kubernetes?");
  caf::anon_send(f.mem->tier_actor(tier::fast), remember{e});
  f.flush();
  EXPECT_EQ(f.recall("Kubernetes?").size(), 1u);
  f.now->fetch_add(f.db->retention().of(cf_of(tier::fast)));
  EXPECT_TRUE(f.recall("Kubernetes?").empty());
  EXPECT_FALSE(f.stored_in(tier::fast, "short"));
  ASSERT_FALSE(f.db->compact(cf_of(tier::fast)));
  EXPECT_EQ(f.db->count_keys(cf_of(tier::fast)), 0u);
}

TEST(MemoryActors, AFullTierEvictsTheLeastImportantFromItsColumnFamily) {
  fixture f;
  const auto cap = params(tier::fast).cap;
  for (size_t i = 0; i <= cap; ++i) {
    auto e = f.make("e" + std::to_string(i), "topic " + std::to_string(i));
    e.importance = i == 0 ? 0.1 : 0.7;  // e0 is the one to go
    caf::anon_send(f.mem->tier_actor(tier::fast), remember{std::move(e)});
  }
  f.flush();
  EXPECT_EQ(f.db->count_keys(cf_of(tier::fast)), cap);
  EXPECT_FALSE(f.stored_in(tier::fast, "e0"));
  EXPECT_TRUE(f.stored_in(tier::fast, "e1"));
  EXPECT_TRUE(f.stored_in(tier::fast, "e" + std::to_string(cap)));
}

}  // namespace
}  // namespace aragora::memory
