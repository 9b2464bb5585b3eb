// The paged list of stored debates on a real RocksDB: order, pages, the status filter, a status
// change moving its entry, expiry, the read cost of a page, and stores an older version wrote
// (read by a full scan, upgraded on a read-write open) (label integration).

#include "actors/debate/store/list_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "actors/debate/store/persistence.hpp"
#include "tests/support/schema_marker.hpp"
#include "tests/support/temp_store.hpp"

namespace aragora::debate {
namespace {

constexpr int64_t t0 = 1'790'000'000;  // creation times, before the test clock's "now"

v1::DebateRecord record(const std::string& id, int64_t created_s, v1::Status::Value status,
                        int32_t nanos = 0) {
  v1::DebateRecord r;
  r.mutable_spec()->set_id(id);
  r.mutable_spec()->set_question("Question of " + id + "?");
  r.mutable_created_at()->set_seconds(created_s);
  r.mutable_created_at()->set_nanos(nanos);
  r.set_status(status);
  return r;
}

/// Stores the record the way debates are stored (persistence's add_record).
void store(storage::store& db, const v1::DebateRecord& r) {
  storage::write_batch b;
  add_record(b, r, db);
  ASSERT_FALSE(db.write(b, false));
}

/// Stores the record as the previous version did: no index entries.
void store_unindexed(storage::store& db, const v1::DebateRecord& r, int64_t expiry_s) {
  storage::write_batch b;
  b.put_message(storage::cf::debates, r.spec().id(), r, expiry_s);
  ASSERT_FALSE(db.write(b, false));
}

list_page page(storage::store& db, uint32_t limit, uint32_t offset = 0,
               std::optional<list_status> status = std::nullopt) {
  list_page p;
  auto err = list_debates(db, list_query{limit, offset, status}, p);
  EXPECT_FALSE(err) << err->message;
  return p;
}

std::vector<std::string> ids(const list_page& p) {
  std::vector<std::string> out;
  for (const auto& r : p.records) out.push_back(r.spec().id());
  return out;
}

using idv = std::vector<std::string>;

/// Every debate of the store, page after page of `limit`.
idv walk(storage::store& db, uint32_t limit, std::optional<list_status> status = std::nullopt) {
  idv all;
  for (uint32_t offset = 0;; offset += limit) {
    auto p = page(db, limit, offset, status);
    auto got = ids(p);
    all.insert(all.end(), got.begin(), got.end());
    if (!p.more) break;
    EXPECT_EQ(got.size(), limit) << "a page short of the limit said more follow";
    if (got.size() != limit) break;
  }
  return all;
}

TEST(ListDebates, NewestFirstByCreationTimeWhateverTheIdFormat) {
  test::temp_store f{"list-order"};
  ASSERT_EQ(f.db->schema(), storage::store::schema_version);
  // Ids that sort against their creation order: old hex ids, then ULID-like ones ("01...").
  store(*f.db, record("ffff0000000000a1", t0, v1::Status::consensus_reached));
  store(*f.db, record("01HF000000000002", t0 + 1, v1::Status::running));
  store(*f.db, record("01HF000000000001", t0 + 2, v1::Status::failed));
  store(*f.db, record("0000000000000009", t0 + 2, v1::Status::no_consensus, 500'000'000));
  store(*f.db, record("0000000000000008", t0 + 2, v1::Status::cancelled, 500'000'000));
  auto p = page(*f.db, 10);
  EXPECT_FALSE(p.scanned);
  EXPECT_FALSE(p.more);
  EXPECT_EQ(ids(p), (idv{"0000000000000009", "0000000000000008", "01HF000000000001",
                         "01HF000000000002", "ffff0000000000a1"}));
  EXPECT_EQ(p.records[0].spec().question(), "Question of 0000000000000009?");
  EXPECT_EQ(p.unreadable.unreadable, 0u);
}

TEST(ListDebates, PagesFollowEachOtherWithoutGapOrRepeat) {
  test::temp_store f{"list-pages"};
  idv newest_first;
  for (int i = 0; i < 23; ++i) {
    auto id = "d" + std::to_string(100 + i);
    store(*f.db, record(id, t0 + i, i % 3 ? v1::Status::consensus_reached : v1::Status::running));
    newest_first.insert(newest_first.begin(), id);
  }
  for (uint32_t limit : {1u, 5u, 22u, 23u, 1000u}) EXPECT_EQ(walk(*f.db, limit), newest_first);
  auto first = page(*f.db, 5);
  EXPECT_TRUE(first.more);
  EXPECT_EQ(ids(first), idv(newest_first.begin(), newest_first.begin() + 5));
  // The last page, exactly full: nothing more.
  auto last = page(*f.db, 3, 20);
  EXPECT_EQ(ids(last), idv(newest_first.begin() + 20, newest_first.end()));
  EXPECT_FALSE(last.more);
  auto one_short = page(*f.db, 3, 19);
  EXPECT_EQ(one_short.records.size(), 3u);
  EXPECT_TRUE(one_short.more);
  for (uint32_t offset : {23u, 24u, UINT32_MAX}) {
    auto past = page(*f.db, 5, offset);
    EXPECT_TRUE(past.records.empty()) << offset;
    EXPECT_FALSE(past.more) << offset;
  }
}

TEST(ListDebates, AStatusPageHoldsOnlyThatStatusNewestFirst) {
  test::temp_store f{"list-status"};
  std::map<list_status, idv> by_status;
  const v1::Status::Value cycle[] = {v1::Status::running,       v1::Status::consensus_reached,
                                     v1::Status::failed,        v1::Status::no_consensus,
                                     v1::Status::cancelled,     v1::Status::insufficient_participation,
                                     v1::Status::consensus_reached};
  for (int i = 0; i < 40; ++i) {
    auto id = "s" + std::to_string(100 + i);
    auto status = cycle[i % 7];
    store(*f.db, record(id, t0 + i, status));
    auto& v = by_status[list_status_of(status)];
    v.insert(v.begin(), id);
  }
  for (auto s : all_list_statuses) {
    ASSERT_FALSE(by_status[s].empty());
    EXPECT_EQ(walk(*f.db, 4, s), by_status[s]) << to_string(s);
    auto p = page(*f.db, 2, 1, s);
    EXPECT_EQ(ids(p), idv(by_status[s].begin() + 1, by_status[s].begin() + 3)) << to_string(s);
    for (const auto& r : p.records) EXPECT_EQ(list_status_of(r.status()), s);
  }
}

TEST(ListDebates, AStatusChangeMovesTheIndexEntry) {
  test::temp_store f{"list-move"};
  store(*f.db, record("d1", t0, v1::Status::running));
  store(*f.db, record("d2", t0 + 1, v1::Status::running));
  EXPECT_EQ(ids(page(*f.db, 10, 0, list_status::running)), (idv{"d2", "d1"}));
  // The end of d1 (its record rewritten in the final batch) and a failure of d2.
  store(*f.db, record("d1", t0, v1::Status::no_consensus));
  store(*f.db, record("d2", t0 + 1, v1::Status::failed));
  EXPECT_TRUE(page(*f.db, 10, 0, list_status::running).records.empty());
  EXPECT_EQ(ids(page(*f.db, 10, 0, list_status::completed)), idv{"d1"});
  EXPECT_EQ(ids(page(*f.db, 10, 0, list_status::failed)), idv{"d2"});
  EXPECT_EQ(ids(page(*f.db, 10)), (idv{"d2", "d1"})) << "one time entry per debate";
  // Not merely hidden by the record check: the running entries are gone from the index.
  size_t running_entries = 0;
  ASSERT_FALSE(f.db->scan(storage::cf::debate_index, index_prefix(list_status::running),
                          [&](std::string_view, std::string_view) { return ++running_entries; }));
  EXPECT_EQ(running_entries, 0u);
  auto check = check_index(*f.db);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check.value().entries, 4u);
  EXPECT_EQ(check.value().missing + check.value().stale, 0u) << check.value().first_problem;
}

TEST(ListDebates, AStatusPageNeverShowsADebateUnderAStatusItNoLongerHas) {
  // An entry that has not moved: what a reader meets when the debate ends between its index
  // scan and its record reads, or what a writer that failed to move it would leave.
  test::temp_store f{"list-stale"};
  store(*f.db, record("d1", t0, v1::Status::running));
  store(*f.db, record("d2", t0 + 1, v1::Status::consensus_reached));
  const auto ms = created_ms(record("d2", t0 + 1, v1::Status::running));
  storage::write_batch b;
  b.put(storage::cf::debate_index, index_key(list_status::running, ms, "d2"), "", 0);
  ASSERT_FALSE(f.db->write(b, false));
  EXPECT_EQ(ids(page(*f.db, 10, 0, list_status::running)), idv{"d1"});
  EXPECT_EQ(ids(page(*f.db, 10, 0, list_status::completed)), idv{"d2"});
}

TEST(ListDebates, ExpiredDebatesLeaveThePagesAndTheIndex) {
  test::temp_store f{"list-expiry"};
  store(*f.db, record("old-running", t0, v1::Status::running));  // kept while running
  for (int i = 0; i < 5; ++i)
    store(*f.db, record("done-" + std::to_string(i), t0 + 10 + i, v1::Status::consensus_reached));
  ASSERT_EQ(page(*f.db, 10).records.size(), 6u);
  f.now->fetch_add(f.db->retention().of(storage::cf::debates) - 1);
  ASSERT_EQ(page(*f.db, 10).records.size(), 6u) << "a second before the expiry";
  f.now->fetch_add(1);
  auto p = page(*f.db, 1);
  EXPECT_EQ(ids(p), idv{"old-running"});
  EXPECT_FALSE(p.more) << "expired entries counted as more";
  EXPECT_TRUE(page(*f.db, 10, 0, list_status::completed).records.empty());
  EXPECT_TRUE(page(*f.db, 10, 1).records.empty()) << "expired entries counted by the offset";
  // Compaction drops the expired entries with their records.
  ASSERT_FALSE(f.db->compact_all());
  EXPECT_EQ(f.db->count_keys(storage::cf::debates), 1u);
  EXPECT_EQ(f.db->count_keys(storage::cf::debate_index), 2u);
}

TEST(ListDebates, APageReadsItsOwnRecordsAndNoOthers) {
  test::temp_store f{"list-cost"};
  for (int i = 0; i < 2000; ++i)
    store(*f.db, record("d" + std::to_string(10000 + i), t0 + i, v1::Status::consensus_reached));
  // An old record that does not parse: a page that read every record would stumble on it.
  storage::write_batch b;
  b.put(storage::cf::debates, "d10000", "\xff\xff\xff\xff", 0);
  ASSERT_FALSE(f.db->write(b, false));
  auto before = f.db->stats().reads;
  auto p = page(*f.db, 10);
  // 11 index entries (the page and the one that says more follow) and 10 records.
  EXPECT_EQ(f.db->stats().reads - before, 21u);
  EXPECT_EQ(p.records.size(), 10u);
  EXPECT_EQ(p.unreadable.unreadable, 0u);
  EXPECT_EQ(p.records[0].spec().id(), "d11999");
  // The last page reaches it, says so, and still lists the others.
  auto last = page(*f.db, 10, 1990);
  EXPECT_EQ(last.records.size(), 9u);
  EXPECT_EQ(last.unreadable.unreadable, 1u);
  EXPECT_EQ(last.unreadable.first_key, "d10000");
  EXPECT_FALSE(last.more);
}

TEST(ListDebates, AReaderOfTheListFamiliesOnlyListsAsWell) {
  test::temp_store f{"list-families"};
  store(*f.db, record("d1", t0, v1::Status::running));
  store(*f.db, record("d2", t0 + 1, v1::Status::cancelled));
  f.db.reset();
  storage::store_options o;
  o.path = f.path;
  o.now_s = f.clock();
  o.mode = storage::open_mode::read_only;
  o.families = {list_families.begin(), list_families.end()};
  auto r = storage::store::open(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(ids(page(*r.value(), 10)), (idv{"d2", "d1"}));
  EXPECT_EQ(ids(page(*r.value(), 10, 0, list_status::cancelled)), idv{"d2"});
}

// -- stores the previous version wrote (schema 1: no index) ---------------------------------------

/// Closes the store and sets its schema marker back to 1, as the previous version left it.
void make_schema_1(test::temp_store& f) {
  f.db.reset();
  ASSERT_EQ(test::raw_schema_marker(f.path, "1"), "1");
}

std::unique_ptr<storage::store> open(test::temp_store& f, storage::open_mode mode,
                                     bool with_upgrade) {
  storage::store_options o;
  o.path = f.path;
  o.now_s = f.clock();
  o.mode = mode;
  if (with_upgrade) o.upgrade = upgrade_store;
  auto r = storage::store::open(o);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? std::move(r.value()) : nullptr;
}

TEST(ListUpgrade, AnOldStoreIsListedByAFullScanUntilItIsUpgraded) {
  test::temp_store f{"list-old"};
  idv newest_first, failed;
  for (int i = 0; i < 30; ++i) {
    // Ids against the creation order, two debates a millisecond apart in each second.
    auto id = "z" + std::to_string(999 - i);
    auto status = i % 4 == 0 ? v1::Status::failed : v1::Status::consensus_reached;
    store_unindexed(*f.db, record(id, t0 + i / 2, status, (i % 2) * 1'000'000),
                    f.db->expiry_for(storage::cf::debates));
    newest_first.insert(newest_first.begin(), id);
    if (status == v1::Status::failed) failed.insert(failed.begin(), id);
  }
  make_schema_1(f);

  auto ro = open(f, storage::open_mode::read_only, true);
  ASSERT_TRUE(ro);
  EXPECT_EQ(ro->schema(), 1u);
  auto scanned = page(*ro, 7, 3);
  EXPECT_TRUE(scanned.scanned);
  EXPECT_EQ(scanned.scanned_records, 30u);
  EXPECT_TRUE(scanned.more);
  EXPECT_EQ(ids(scanned), idv(newest_first.begin() + 3, newest_first.begin() + 10));
  EXPECT_EQ(walk(*ro, 4), newest_first);
  EXPECT_EQ(walk(*ro, 3, list_status::failed), failed);
  ro.reset();

  // A writer without the upgrade leaves the store as it found it: still listed by a scan.
  auto plain = open(f, storage::open_mode::existing, false);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->schema(), 1u);
  EXPECT_TRUE(page(*plain, 5).scanned);
  plain.reset();

  auto rw = open(f, storage::open_mode::existing, true);
  ASSERT_TRUE(rw);
  EXPECT_EQ(rw->schema(), storage::store::schema_version);
  ASSERT_EQ(rw->open_notes().size(), 1u);
  EXPECT_NE(rw->open_notes()[0].find("upgraded from schema 1: built the list index of 30 debates"),
            std::string::npos)
      << rw->open_notes()[0];
  auto indexed = page(*rw, 7, 3);
  EXPECT_FALSE(indexed.scanned);
  EXPECT_EQ(ids(indexed), ids(scanned));
  EXPECT_EQ(walk(*rw, 4), newest_first);
  EXPECT_EQ(walk(*rw, 3, list_status::failed), failed);
  auto check = check_index(*rw);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check.value().entries, 60u);
  EXPECT_EQ(check.value().missing + check.value().stale, 0u) << check.value().first_problem;
  rw.reset();
  EXPECT_EQ(test::raw_schema_marker(f.path), std::to_string(storage::store::schema_version));
}

TEST(ListUpgrade, TheIndexItBuildsExpiresWithEachRecord) {
  test::temp_store f{"list-old-expiry"};
  const auto now = f.now->load();
  store_unindexed(*f.db, record("soon", t0, v1::Status::consensus_reached), now + 100);
  store_unindexed(*f.db, record("later", t0 + 1, v1::Status::failed), now + 200);
  store_unindexed(*f.db, record("never", t0 + 2, v1::Status::running), 0);
  make_schema_1(f);
  auto db = open(f, storage::open_mode::existing, true);
  ASSERT_TRUE(db);
  EXPECT_EQ(ids(page(*db, 10)), (idv{"never", "later", "soon"}));
  f.now->store(now + 100);
  EXPECT_EQ(ids(page(*db, 10)), (idv{"never", "later"}));
  f.now->store(now + 200);
  EXPECT_EQ(ids(page(*db, 10)), idv{"never"});
  EXPECT_TRUE(page(*db, 10, 0, list_status::failed).records.empty());
  ASSERT_FALSE(db->compact_all());
  EXPECT_EQ(db->count_keys(storage::cf::debate_index), 2u);
}

TEST(ListUpgrade, ARunningEntryOfADebateAnOldWriterFinishedIsDropped) {
  // This version ran a debate on the old store without upgrading it (its running entry is in
  // the index); the previous version then finished it, writing no index.
  test::temp_store f{"list-old-stale"};
  store(*f.db, record("d1", t0, v1::Status::running));
  store(*f.db, record("d2", t0 + 1, v1::Status::running));
  store_unindexed(*f.db, record("d1", t0, v1::Status::consensus_reached), 0);
  make_schema_1(f);
  auto db = open(f, storage::open_mode::existing, true);
  ASSERT_TRUE(db);
  EXPECT_EQ(ids(page(*db, 10, 0, list_status::running)), idv{"d2"});
  EXPECT_EQ(ids(page(*db, 10, 0, list_status::completed)), idv{"d1"});
  size_t running_entries = 0;
  ASSERT_FALSE(db->scan(storage::cf::debate_index, index_prefix(list_status::running),
                        [&](std::string_view, std::string_view) { return ++running_entries; }));
  EXPECT_EQ(running_entries, 1u);
  auto check = check_index(*db);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check.value().missing + check.value().stale, 0u) << check.value().first_problem;
}

TEST(ListUpgrade, ARecordThatDoesNotParseIsListedLastAsUnreadable) {
  test::temp_store f{"list-old-bad"};
  store_unindexed(*f.db, record("good", t0, v1::Status::consensus_reached), 0);
  storage::write_batch b;
  b.put(storage::cf::debates, "bad", "\xff\xff\xff\xff", 0);
  ASSERT_FALSE(f.db->write(b, false));
  make_schema_1(f);
  auto db = open(f, storage::open_mode::existing, true);
  ASSERT_TRUE(db);
  ASSERT_EQ(db->open_notes().size(), 1u);
  const auto& note = db->open_notes()[0];
  EXPECT_NE(note.find("list index of 1 debate "), std::string::npos) << note;
  EXPECT_NE(note.find("1 record(s) do not parse (first 'bad')"), std::string::npos) << note;
  // Not left out in silence: the page that reaches it reports it.
  auto p = page(*db, 10);
  EXPECT_EQ(ids(p), idv{"good"});
  EXPECT_EQ(p.unreadable.unreadable, 1u);
  EXPECT_EQ(p.unreadable.first_key, "bad");
  EXPECT_EQ(page(*db, 1).unreadable.unreadable, 0u) << "the newest page reached it";
  EXPECT_TRUE(page(*db, 1).more);
  auto check = check_index(*db);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check.value().missing + check.value().stale, 0u) << check.value().first_problem;
}

TEST(IndexCheck, FindsMissingAndStaleEntries) {
  test::temp_store f{"list-check"};
  store(*f.db, record("d1", t0, v1::Status::consensus_reached));
  store_unindexed(*f.db, record("d2", t0 + 1, v1::Status::running), 0);  // 2 missing
  storage::write_batch b;
  b.put(storage::cf::debate_index, index_key(list_status::failed, 5, "ghost"), "", 0);
  ASSERT_FALSE(f.db->write(b, false));
  auto check = check_index(*f.db);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check.value().entries, 3u);
  EXPECT_EQ(check.value().missing, 2u);
  EXPECT_EQ(check.value().stale, 1u);
  EXPECT_NE(check.value().first_problem.find("d2"), std::string::npos)
      << check.value().first_problem;
}

}  // namespace
}  // namespace aragora::debate
