// Durable debates where things went wrong: agent calls that failed, and stored logs that cannot
// be replayed. What is on disk must still rebuild the debate, or be reported and set aside.

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "actors/debate/store/persistence.hpp"
#include "actors/debate/receipt.hpp"
#include "runtime/node/local_node.hpp"
#include "tests/support/drive.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora {
namespace {

using namespace std::chrono_literals;

using machine_ptr = std::unique_ptr<debate::debate_machine>;

size_t count_type(const std::vector<v1::Event>& events, v1::EventType::Value type) {
  return static_cast<size_t>(std::count_if(events.begin(), events.end(),
                                           [&](const v1::Event& e) { return e.type() == type; }));
}

TEST(DurableFailures, FailedCallsAreStoredAndTheLogRebuildsTheSameReceipt) {
  test::temp_store f{"failures"};
  auto spec = std::make_shared<debate::debate_spec>(*test::make_spec([](debate::debate_spec& s) {
    s.rounds = 3;
    s.seed = 7;
  }));
  debate::debate_finished done;
  {
    config::node_config cfg;
    cfg.mock.fail_rate = 0.15;  // with this seed proposals, critiques and votes fail
    node::local_node node{cfg, std::nullopt, f.db};
    spec->id = node.next_debate_id();
    caf::scoped_actor self{node.system()};
    (void)node.start_debate(spec, self);
    self->receive([&](debate::debate_finished& x) { done = std::move(x); },
                  caf::after(10s) >> [] { FAIL() << "no result"; });
  }
  ASSERT_TRUE(done.machine);
  const auto& live = *done.machine;
  ASSERT_GT(live.failed_calls(), 0u) << "the seed must produce failed calls";
  ASSERT_LT(live.failed_calls(), live.agent_calls());
  std::set<debate::phase> failed_in;
  for (const auto& e : live.errors()) failed_in.insert(e.key.ph);
  EXPECT_EQ(failed_in.size(), 3u) << "the seed no longer makes every kind of call fail";

  auto stored = debate::load_debate(*f.db, spec->id).value();
  ASSERT_TRUE(stored);
  // Every event is on disk, the failures included, with no gap.
  EXPECT_EQ(count_type(stored->events, v1::EventType::agent_error), live.errors().size());
  ASSERT_EQ(stored->events.size(), live.last_seq());
  for (size_t i = 0; i < stored->events.size(); ++i) EXPECT_EQ(stored->events[i].seq(), i + 1);
  EXPECT_EQ(stored->record.receipt().sha256(), done.receipt.sha256);

  // `show` and `resume` rebuild the debate from this log: it must come out as it ended.
  auto rebuilt = debate::rebuild(*stored, debate::machine_options{});
  ASSERT_TRUE(std::holds_alternative<machine_ptr>(rebuilt)) << std::get<std::string>(rebuilt);
  const auto& m = *std::get<machine_ptr>(rebuilt);
  ASSERT_TRUE(m.finished());
  EXPECT_EQ(m.failed_calls(), live.failed_calls());
  EXPECT_EQ(m.errors().size(), live.errors().size());
  EXPECT_EQ(m.transcript().size(), live.transcript().size());
  EXPECT_EQ(debate::seal_receipt(m, std::nullopt).sha256, done.receipt.sha256);
}

/// Stores a debate stopped after `steps` completed steps, as a process killed mid-debate leaves
/// it: its events so far and a record that says running.
void store_running(storage::store& db, const std::string& id, uint32_t steps,
                   const std::function<void(v1::DebateRecord&)>& edit = {}) {
  auto spec = test::make_spec([&](debate::debate_spec& s) {
    s.id = id;
    s.rounds = 3;
  });
  debate::debate_machine m(spec);
  std::vector<debate::event_ref> events;
  auto now = test::fake_epoch();
  auto keep = [&](const debate::debate_machine::step_result& r) {
    events.insert(events.end(), r.events.begin(), r.events.end());
  };
  keep(m.start(now));
  for (uint32_t done = 0; done < steps && !m.finished();) {
    for (size_t i = 0; i < m.calls().size(); ++i) {
      if (!m.pending(i)) continue;
      auto r = m.record(test::mock(m.spec(), m.calls()[i]), now += 1ms);
      keep(r);
      if (r.new_step) {
        ++done;
        break;
      }
    }
  }
  ASSERT_FALSE(m.finished());
  storage::write_batch b;
  debate::add_events(b, m, events, db.expiry_for(storage::cf::debate_events));
  auto record = debate::record_of(m, nullptr);
  if (edit) edit(record);
  debate::add_record(b, record, db);
  ASSERT_FALSE(db.write(b, true));
}

TEST(DurableFailures, ARecordWithTheMockOptionsOfBeforeStillResumesWithTheNodesMock) {
  // Records written before issue 8 kept the mock's options in the spec (DebateSpec.mock). They
  // load, and the debate continues with the resuming node's mock: the stored options are ignored
  // (honoured, this fail rate would fail every call, this latency would outlast the test).
  test::temp_store f{"old-mock"};
  const std::string id = "00000000000000c3";
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  store_running(*f.db, id, 2, [](v1::DebateRecord& r) {
    auto* mock = r.mutable_spec()->mutable_mock();
    mock->set_fail_rate(1.0);
    mock->set_latency_ms(60'000);
    mock->set_message_bytes(64);
  });
  auto stored = debate::load_debate(*f.db, id).value();
  ASSERT_TRUE(stored);
  ASSERT_TRUE(stored->record.spec().has_mock()) << "the record was not written as before";
#pragma GCC diagnostic pop
  node::local_node node{config::node_config{}, std::nullopt, f.db};
  caf::scoped_actor self{node.system()};
  auto resumed = node.resume_unfinished(self);
  ASSERT_EQ(resumed.ids, std::vector<std::string>{id});
  debate::debate_finished done;
  self->receive([&](debate::debate_finished& x) { done = std::move(x); },
                caf::after(10s) >> [] { FAIL() << "the resumed debate did not finish"; });
  ASSERT_TRUE(done.machine);
  EXPECT_EQ(done.machine->failed_calls(), 0u);
  debate::debate_machine reference(test::make_spec([&](debate::debate_spec& s) {
    s.id = id;
    s.rounds = 3;
  }));
  test::drive(reference, test::mock);
  auto texts = [](const debate::debate_machine& m) {
    std::vector<std::string> out;
    for (auto i : m.canonical_order()) out.push_back(*m.transcript()[i].text);
    return out;
  };
  EXPECT_EQ(texts(*done.machine), texts(reference)) << "not the node's mock at natural length";
}

TEST(DurableFailures, ResumeSetsAsideALogWithAGapAndResumesTheOthers) {
  test::temp_store f{"gap"};
  const std::string intact = "00000000000000a1", broken = "00000000000000b2";
  store_running(*f.db, intact, 2);
  store_running(*f.db, broken, 2);
  // An outcome event lost from the middle of the broken debate's log.
  auto before = debate::load_debate(*f.db, broken).value();
  ASSERT_TRUE(before);
  ASSERT_GT(before->events.size(), 5u);
  ASSERT_EQ(before->events[3].type(), v1::EventType::agent_message);
  storage::write_batch erase;
  erase.erase(storage::cf::debate_events, debate::event_key(broken, 4));
  ASSERT_FALSE(f.db->write(erase, true));

  node::local_node node{config::node_config{}, std::nullopt, f.db};
  caf::scoped_actor self{node.system()};
  auto resumed = node.resume_unfinished(self);
  EXPECT_EQ(resumed.ids, std::vector<std::string>{intact});
  ASSERT_EQ(resumed.unreadable.size(), 1u);
  EXPECT_EQ(resumed.unreadable[0].first, broken);
  EXPECT_NE(resumed.unreadable[0].second.find("event 5"), std::string::npos)
      << resumed.unreadable[0].second;

  debate::debate_finished done;
  self->receive([&](debate::debate_finished& x) { done = std::move(x); },
                caf::after(10s) >> [] { FAIL() << "the intact debate did not finish"; });
  EXPECT_EQ(done.id, intact);
  EXPECT_FALSE(debate::ended_badly(done.summary.status));

  // The broken one is marked failed, with why, and its log is kept as it was.
  auto after = debate::load_debate(*f.db, broken).value();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->record.status(), v1::Status::failed);
  EXPECT_EQ(after->record.error().rfind("cannot resume: ", 0), 0u) << after->record.error();
  EXPECT_EQ(after->events.size(), before->events.size() - 1);
  auto finished = debate::load_debate(*f.db, intact).value();
  ASSERT_TRUE(finished);
  EXPECT_NE(finished->record.status(), v1::Status::running);
  EXPECT_TRUE(finished->record.has_receipt());

  // Nothing is left to resume: the failed one no longer blocks every later resume.
  auto again = node.resume_unfinished(self);
  EXPECT_TRUE(again.ids.empty());
  EXPECT_TRUE(again.unreadable.empty());
}

TEST(DurableFailures, ADebateLeftRunningPastTheRetentionIsStillListedAndSetAside) {
  // A debate whose process died is kept until someone resumes it, however late; its events
  // expire with the retention, so resume then finds no log and sets it aside as failed.
  test::temp_store f{"stale"};
  const std::string stale = "00000000000000c3";
  store_running(*f.db, stale, 2);
  {
    debate::debate_machine done(test::make_spec());  // a finished one, for contrast
    (void)test::drive(done, test::mock);
    storage::write_batch b;
    debate::add_record(b, debate::record_of(done, nullptr), *f.db);
    ASSERT_FALSE(f.db->write(b, true));
  }
  ASSERT_EQ(debate::load_records(*f.db).value().size(), 2u);
  f.now->fetch_add(f.db->retention().of(storage::cf::debates) + 1);

  auto records = debate::load_records(*f.db).value();
  ASSERT_EQ(records.size(), 1u) << "the finished debate outlived its retention";
  EXPECT_EQ(records[0].spec().id(), stale);
  EXPECT_EQ(records[0].status(), v1::Status::running);
  auto stored = debate::load_debate(*f.db, stale).value();
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->events.empty());

  node::local_node node{config::node_config{}, std::nullopt, f.db};
  caf::scoped_actor self{node.system()};
  auto resumed = node.resume_unfinished(self);
  EXPECT_TRUE(resumed.ids.empty());
  ASSERT_EQ(resumed.unreadable.size(), 1u);
  EXPECT_EQ(resumed.unreadable[0].first, stale);
  auto after = debate::load_debate(*f.db, stale).value();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->record.status(), v1::Status::failed);
}

}  // namespace
}  // namespace aragora
