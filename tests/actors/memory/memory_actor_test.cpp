// The memory tiers as actors on a real store: recall, outcomes moving entries between column
// families, expiry with a moved clock.

#include "actors/memory/memory_tiers.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include "tests/support/temp_store.hpp"

namespace aragora::memory {
namespace {

using namespace std::chrono_literals;

struct fixture : test::temp_store {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::unique_ptr<memory_system> mem;

  fixture() : test::temp_store("memory") { mem = std::make_unique<memory_system>(sys, db); }
  ~fixture() { mem->stop(); }

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
    caf::scoped_actor self{sys};
    std::vector<recalled> out;
    self->request(mem->coordinator(), 5s, recall_atom::value, q, uint32_t{3})
        .receive([&](std::vector<recalled>& r) { out = std::move(r); },
                 [](caf::error& e) { ADD_FAILURE() << caf::to_string(e); });
    return out;
  }

  void flush() {
    caf::scoped_actor self{sys};
    self->request(mem->coordinator(), 5s, flush_atom::value)
        .receive([](bool ok) { EXPECT_TRUE(ok); },
                 [](caf::error& e) { ADD_FAILURE() << "flush: " << caf::to_string(e); });
  }

  bool stored_in(tier t, const std::string& id) { return db->get(cf_of(t), id).value().has_value(); }
};

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
