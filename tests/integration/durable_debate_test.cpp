// One debate through a node with a store: everything it should leave behind is there.

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <algorithm>

#include "actors/critique/patterns.hpp"
#include "actors/debate/codec.hpp"
#include "actors/debate/store/persistence.hpp"
#include "actors/debate/receipt.hpp"
#include "actors/ranking/ranking.hpp"
#include "runtime/node/local_node.hpp"
#include "tests/support/drive.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;

struct fixture : test::temp_store {
  fixture() : test::temp_store("durable") {}
};

debate::debate_finished run(node::local_node& node, std::function<void(debate::debate_spec&)> edit,
                            bool cancel = false, std::string id = {}) {
  auto spec = std::make_shared<debate::debate_spec>(*test::make_spec(edit));
  spec->id = id.empty() ? node.next_debate_id() : std::move(id);
  spec->requested_by = "test";
  caf::scoped_actor self{node.system()};
  auto d = node.start_debate(spec, self);
  if (cancel) self->send(d, debate::cancel_atom::value, std::string{"stopped by the test"});
  debate::debate_finished done;
  self->receive([&](debate::debate_finished& f) { done = std::move(f); },
                caf::after(10s) >> [] { FAIL() << "no result"; });
  return done;
}

TEST(DurableDebate, LeavesItsRecordEventsConsensusAuditRatingCritiquesAndMemory) {
  fixture f;
  std::string id;
  {
    node::local_node node{config::node_config{}, std::nullopt, f.db};
    auto done = run(node, [](debate::debate_spec& s) { s.rounds = 2; });
    id = done.id;
    ASSERT_TRUE(done.machine);
    EXPECT_EQ(done.summary.calls_sent, done.machine->agent_calls());
  }  // the node's shutdown flushes memory
  auto stored = debate::load_debate(*f.db, id).value();
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->record.status(), v1::Status::running);
  EXPECT_EQ(stored->record.receipt().debate_id(), id);
  ASSERT_FALSE(stored->events.empty());
  EXPECT_EQ(stored->events.size(), stored->record.last_seq());
  for (size_t i = 0; i < stored->events.size(); ++i) EXPECT_EQ(stored->events[i].seq(), i + 1);

  auto consensus = f.db->get(storage::cf::consensus, id).value();
  ASSERT_TRUE(consensus);
  v1::ConsensusRecord c;
  ASSERT_TRUE(c.ParseFromString(*consensus));
  EXPECT_EQ(c.participating_size(), 3);
  EXPECT_EQ(c.agreeing_size() + c.dissenting_size(), 3);
  EXPECT_EQ(c.dissents_size(), c.dissenting_size());
  EXPECT_EQ(c.topic_hash(), debate::topic_hash("adopt kubernetes should we"));

  auto audit = debate::load_audit(*f.db).value();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action(), "debate.start");
  EXPECT_EQ(audit[0].actor(), "test");
  EXPECT_EQ(audit[1].action(), "debate.end");

  auto ratings = ranking::load_ratings(*f.db).value();
  EXPECT_EQ(ratings.size(), 3u);
  EXPECT_TRUE(f.db->get(storage::cf::elo, "match/" + id).value());

  auto patterns = critique::load_patterns(*f.db).value();
  EXPECT_FALSE(patterns.empty());
  EXPECT_TRUE(f.db->get(storage::cf::critiques, "debate/" + id).value());

  EXPECT_TRUE(f.db->get(storage::cf::memory_slow, "m-" + id).value());
}

TEST(DurableDebate, AMemoryOfANonAsciiQuestionStaysReadable) {
  // The memory entry quotes the first 100 bytes of the question; byte 100 is inside an "é".
  std::string question = "x";
  for (int i = 0; i < 60; ++i) question += "\xC3\xA9";
  question += "?";
  fixture f;
  std::string id;
  {
    node::local_node node{config::node_config{}, std::nullopt, f.db};
    auto done = run(node, [&](debate::debate_spec& s) { s.question = question; });
    ASSERT_TRUE(done.machine);
    id = done.machine->spec().id;
  }  // the node's shutdown flushes memory
  auto stored = f.db->get(storage::cf::memory_slow, "m-" + id).value();
  ASSERT_TRUE(stored);
  v1::MemoryEntry entry;
  ASSERT_TRUE(entry.ParseFromString(*stored)) << "not valid UTF-8";
  EXPECT_NE(entry.content().find("x\xC3\xA9"), std::string::npos);
}

TEST(DurableDebate, ASummaryOnlyJudgedDebateKeepsTheDissentersReasoning) {
  // A summary-only debate lets go of texts once they are on disk; the judge step comes after the
  // votes' write, and the consensus record still quotes the dissenting votes.
  fixture f;
  node::local_node node{config::node_config{}, std::nullopt, f.db};
  auto spec = std::make_shared<debate::debate_spec>(*test::make_spec([](debate::debate_spec& s) {
    s.consensus = debate::consensus_method::judge;
    s.agents.push_back({"contrarian", "mock", "contrarian"});
  }));
  spec->id = node.next_debate_id();
  caf::scoped_actor self{node.system()};
  (void)node.start_debate(spec, self, {}, debate::finish_report::summary);
  self->receive([](debate::debate_finished& done) { EXPECT_FALSE(done.machine); },
                caf::after(10s) >> [] { FAIL() << "no result"; });
  auto stored = f.db->get(storage::cf::consensus, spec->id).value();
  ASSERT_TRUE(stored);
  v1::ConsensusRecord c;
  ASSERT_TRUE(c.ParseFromString(*stored));
  ASSERT_GT(c.dissents_size(), 0);
  for (const auto& d : c.dissents()) EXPECT_FALSE(d.reasoning().empty()) << d.agent();
}

TEST(DurableDebate, TheNextDebateOnTheSameQuestionIsGivenThePriorDecision) {
  fixture f;
  node::local_node node{config::node_config{}, std::nullopt, f.db};
  auto first = run(node, {});
  ASSERT_TRUE(first.machine);
  EXPECT_TRUE(first.machine->spec().context.empty());
  // Memory writes are asynchronous: wait until the first decision is there.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!f.db->get(storage::cf::memory_slow, "m-" + first.id).value() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(f.db->get(storage::cf::memory_slow, "m-" + first.id).value());
  auto second = run(node, [](debate::debate_spec& s) { s.question = "Should we adopt Kubernetes now?"; });
  ASSERT_TRUE(second.machine);
  const auto& context = second.machine->spec().context;
  EXPECT_NE(context.find("Should we adopt Kubernetes?"), std::string::npos) << context;
  // The mock agents cite it.
  EXPECT_NE(second.machine->transcript().front().text->find("Prior decision on record"),
            std::string::npos);
}

TEST(DurableDebate, AStoredDebateReplaysWithTheRulesItStartedWith) {
  fixture f;
  config::node_config cfg;
  cfg.machine.supermajority = 0.95;  // the node's rule when the debate ran
  std::string id;
  {
    node::local_node node{cfg, std::nullopt, f.db};
    auto done = run(node, [](debate::debate_spec& s) { s.consensus = debate::consensus_method::supermajority; });
    id = done.id;
  }
  auto stored = debate::load_debate(*f.db, id).value();
  ASSERT_TRUE(stored);
  EXPECT_DOUBLE_EQ(stored->record.rules().supermajority(), 0.95);
  // Replayed under a different configuration, the debate still uses 0.95.
  auto rebuilt = debate::rebuild(*stored, debate::machine_options{});
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<debate::debate_machine>>(rebuilt));
  const auto& m = *std::get<std::unique_ptr<debate::debate_machine>>(rebuilt);
  EXPECT_DOUBLE_EQ(m.options().supermajority, 0.95);
  EXPECT_EQ(static_cast<int>(m.outcome().status), static_cast<int>(stored->record.status()));
}

TEST(DurableDebate, AReplayedDebateSealsTheReceiptItCompletedWith) {
  // `aragora show` prints the result of the replayed log: it must check against the receipt
  // sealed at completion, although the debate let go of its texts once they were on disk.
  fixture f;
  config::node_config cfg;
  cfg.mock.fail_rate = 0.1;
  node::local_node node{cfg, std::nullopt, f.db};
  auto spec = std::make_shared<debate::debate_spec>(*test::make_spec([](debate::debate_spec& s) {
    s.consensus = debate::consensus_method::judge;
    s.rounds = 2;
    s.agents.push_back({"contrarian", "mock", "contrarian"});
  }));
  spec->id = node.next_debate_id();
  caf::scoped_actor self{node.system()};
  (void)node.start_debate(spec, self, {}, debate::finish_report::summary);
  self->receive([](debate::debate_finished&) {}, caf::after(10s) >> [] { FAIL() << "no result"; });
  auto stored = debate::load_debate(*f.db, spec->id).value();
  ASSERT_TRUE(stored && stored->record.has_receipt());
  const auto& receipt = stored->record.receipt();
  ASSERT_TRUE(debate::verify_receipt(receipt, std::nullopt).valid());
  auto rebuilt = debate::rebuild(*stored, debate::machine_options{});
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<debate::debate_machine>>(rebuilt));
  const auto& m = *std::get<std::unique_ptr<debate::debate_machine>>(rebuilt);
  auto again = debate::make_receipt(m, std::nullopt);
  EXPECT_EQ(again.result_sha256(), receipt.result_sha256());
  EXPECT_EQ(again.sha256(), receipt.sha256());
  debate::sealed_receipt ref{receipt.receipt_id(), receipt.sha256(), std::nullopt};
  v1::DebateResult result;
  debate::fill_result(m, &ref, result);
  auto checked = debate::check_result(receipt, result);
  EXPECT_TRUE(checked.valid()) << checked.detail;
}

TEST(DurableDebate, ACancelledDebateIsAuditedAsSuch) {
  fixture f;
  std::string id;
  {
    config::node_config cfg;
    cfg.mock.latency_ms = 500;
    node::local_node node{cfg, std::nullopt, f.db};
    auto done = run(node, {}, true);
    id = done.id;
    EXPECT_EQ(done.summary.status, debate::debate_status::cancelled);
  }
  auto audit = debate::load_audit(*f.db).value();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[1].action(), "debate.cancel");
  EXPECT_EQ(audit[1].detail(), "stopped by the test");
  EXPECT_FALSE(f.db->get(storage::cf::consensus, id).value());  // nothing was decided
}

// Stores written before runtime/ids hold 16-hex-digit ids. They stay readable beside the new
// 26-character ones, even one that the other begins with: event keys end the id with '/'.
TEST(DurableDebate, OldHexIdsAndNewIdsLiveInOneStoreWithoutMixingTheirEvents) {
  fixture f;
  const std::string old_id = "0190a1b2c3d4e5f6";
  const std::string longer = old_id + "ABCDEFGHJK";  // 26 characters that begin with it
  std::string fresh;
  {
    node::local_node node{config::node_config{}, std::nullopt, f.db};
    ASSERT_TRUE(run(node, [](debate::debate_spec& s) { s.rounds = 1; }, false, old_id).machine);
    ASSERT_TRUE(run(node, [](debate::debate_spec& s) { s.rounds = 2; }, false, longer).machine);
    auto done = run(node, [](debate::debate_spec& s) { s.rounds = 1; });
    ASSERT_TRUE(done.machine);
    fresh = done.id;
  }
  EXPECT_EQ(fresh.size(), 26u);
  for (const auto& id : {old_id, longer, fresh}) {
    SCOPED_TRACE(id);
    auto stored = debate::load_debate(*f.db, id).value();
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->record.spec().id(), id);
    EXPECT_EQ(stored->events.size(), stored->record.last_seq()) << "only its own events";
    for (const auto& e : stored->events) EXPECT_EQ(e.debate_id(), id);
  }
  auto records = debate::load_records(*f.db).value();
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.spec().id());
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> expected{old_id, longer, fresh};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);
}

}  // namespace
}  // namespace aragora
