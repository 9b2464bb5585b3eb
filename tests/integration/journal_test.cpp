// The journal actor on its own (label integration): single appends and batches of several
// debates' appends, each checked, fenced and made durable on its own, answered in order. Real
// actors, real RocksDB; the sink is this test.

#include <gtest/gtest.h>

#include <caf/all.hpp>

#include <set>

#include "actors/debate/actor/messages.hpp"
#include "actors/debate/store/persistence.hpp"
#include "net/wire/envelope.hpp"
#include "runtime/node/cluster_messages.hpp"
#include "runtime/node/journal.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;
using wire::envelope;

/// A debate's step as a worker sends it: its event `seq` in the debate_events family.
v1::JournalAppend step(const std::string& id, uint64_t epoch, uint32_t seq) {
  v1::Event ev;
  ev.set_debate_id(id);
  ev.set_seq(seq);
  ev.set_type(v1::EventType::agent_message);
  storage::write_batch b;
  b.put_message(storage::cf::debate_events, debate::event_key(id, seq), ev, 0);
  v1::JournalAppend a;
  a.set_debate_id(id);
  a.set_epoch(epoch);
  for (const auto& op : b.ops()) {
    auto& w = *a.add_writes();
    w.set_family(static_cast<uint32_t>(op.family));
    w.set_key(op.key);
    w.set_value(op.value);
  }
  return a;
}

bool stored(storage::store& db, const std::string& id, uint32_t seq) {
  auto v = db.get(storage::cf::debate_events, debate::event_key(id, seq));
  return v.ok() && v.value().has_value();
}

struct journal_fixture : ::testing::Test {
  test::temp_store store{"journal"};
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;
  caf::actor journal;

  void start(node::epoch_table epochs = {}) {
    wire::add_wire_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
    node::journal_links links;
    links.sink = caf::actor{*self};
    journal = node::spawn_journal(*sys, store.db, std::move(epochs), links);
  }

  void TearDown() override {
    if (journal) caf::anon_send_exit(journal, caf::exit_reason::user_shutdown);
    self.reset();
  }

  /// Asks and waits; the answer or an empty envelope on an error.
  v1::Envelope ask(v1::Envelope e) {
    v1::Envelope out;
    (*self)->request(journal, 5s, node::append_atom::value, envelope{std::move(e)})
        .receive([&](envelope& r) { out = *r; },
                 [&](caf::error& err) { ADD_FAILURE() << sys->render(err); });
    return out;
  }

  /// The events the sink was sent (debate id, seq), until it is quiet.
  std::set<std::pair<std::string, uint32_t>> sunk() {
    std::set<std::pair<std::string, uint32_t>> out;
    bool more = true;
    while (more)
      (*self)->receive([&](debate::event_ptr& ev) { out.emplace(ev->debate_id(), ev->seq()); },
                       [](debate::debate_durable&) {},
                       caf::after(200ms) >> [&] { more = false; });
    return out;
  }
};

TEST_F(journal_fixture, ASingleAppendIsAnsweredWithOneAck) {
  start();
  v1::Envelope e;
  *e.mutable_journal_append() = step("d1", 1, 1);
  auto r = ask(std::move(e));
  ASSERT_EQ(r.kind_case(), v1::Envelope::kJournalAck);
  EXPECT_EQ(r.journal_ack().debate_id(), "d1");
  EXPECT_FALSE(r.journal_ack().fenced());
  EXPECT_EQ(r.journal_ack().error(), "");
  EXPECT_TRUE(stored(*store.db, "d1", 1));
  EXPECT_EQ(sunk(), (std::set<std::pair<std::string, uint32_t>>{{"d1", 1}}));
}

TEST_F(journal_fixture, ABatchIsAckedInOrderEachAppendOnItsOwn) {
  node::epoch_table epochs;
  epochs.set("moved", 2);  // handed over: its old owner's epoch-1 append is stale
  start(std::move(epochs));
  v1::Envelope e;
  auto& b = *e.mutable_journal_batch();
  *b.add_appends() = step("a", 1, 1);
  *b.add_appends() = step("moved", 1, 5);
  auto bad = step("c", 1, 1);
  bad.mutable_writes(0)->set_family(static_cast<uint32_t>(storage::cf::elo));  // not a debate's
  *b.add_appends() = bad;
  *b.add_appends() = step("b", 1, 1);
  *b.add_appends() = step("moved", 2, 5);  // its new owner
  auto r = ask(std::move(e));
  ASSERT_EQ(r.kind_case(), v1::Envelope::kJournalAcks);
  const auto& acks = r.journal_acks().acks();
  ASSERT_EQ(acks.size(), 5);
  EXPECT_EQ(acks[0].debate_id(), "a");
  EXPECT_FALSE(acks[0].fenced());
  EXPECT_EQ(acks[0].error(), "");
  EXPECT_EQ(acks[1].debate_id(), "moved");
  EXPECT_TRUE(acks[1].fenced());
  EXPECT_EQ(acks[1].epoch(), 2u);
  EXPECT_EQ(acks[2].debate_id(), "c");
  EXPECT_FALSE(acks[2].fenced());
  EXPECT_NE(acks[2].error().find("journal_refused"), std::string::npos) << acks[2].error();
  EXPECT_EQ(acks[3].debate_id(), "b");
  EXPECT_EQ(acks[3].error(), "");
  EXPECT_EQ(acks[4].debate_id(), "moved");
  EXPECT_FALSE(acks[4].fenced());
  EXPECT_EQ(acks[4].error(), "");
  // What was acked is on disk and streamed; what was refused is neither.
  EXPECT_TRUE(stored(*store.db, "a", 1));
  EXPECT_TRUE(stored(*store.db, "b", 1));
  EXPECT_TRUE(stored(*store.db, "moved", 5));
  EXPECT_FALSE(stored(*store.db, "c", 1));
  EXPECT_EQ(sunk(), (std::set<std::pair<std::string, uint32_t>>{{"a", 1}, {"b", 1}, {"moved", 5}}));
}

TEST_F(journal_fixture, ABatchOfOnlyRefusedAppendsAndAnEmptyBatchAreAnswered) {
  node::epoch_table epochs;
  epochs.set("x", 3);
  start(std::move(epochs));
  v1::Envelope stale;
  *stale.mutable_journal_batch()->add_appends() = step("x", 1, 1);
  *stale.mutable_journal_batch()->add_appends() = step("x", 2, 1);
  auto r = ask(std::move(stale));
  ASSERT_EQ(r.kind_case(), v1::Envelope::kJournalAcks);
  ASSERT_EQ(r.journal_acks().acks_size(), 2);
  EXPECT_TRUE(r.journal_acks().acks(0).fenced());
  EXPECT_TRUE(r.journal_acks().acks(1).fenced());
  EXPECT_FALSE(stored(*store.db, "x", 1));

  v1::Envelope empty;
  empty.mutable_journal_batch();
  r = ask(std::move(empty));
  ASSERT_EQ(r.kind_case(), v1::Envelope::kJournalAcks);
  EXPECT_EQ(r.journal_acks().acks_size(), 0);

  v1::Envelope other;
  other.mutable_heartbeat()->set_node("w");
  (*self)->request(journal, 5s, node::append_atom::value, envelope{std::move(other)})
      .receive([](envelope&) { ADD_FAILURE() << "a heartbeat was taken as an append"; },
               [](caf::error&) {});
}

}  // namespace
}  // namespace aragora
