// `aragora list` as a user runs it: pages newest first, the status filter following a debate
// from running to its end, a page that reads only its own records, and a store the previous
// version wrote (listed by a full scan, then indexed by the next command that writes). Real
// `aragora` processes on real data dirs (label e2e).

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <utility>

#include "actors/debate/codec.hpp"
#include "aragora/v1/debate.pb.h"
#include "aragora/v1/ops.pb.h"
#include "storage/store.hpp"
#include "tests/support/json.hpp"
#include "tests/support/scratch.hpp"
#include "tests/support/subprocess.hpp"

namespace aragora {
namespace {

using test::run;
using test::sh_quote;

const std::string bin = ARAGORA_BIN;

class ListCli : public test::scratch_test {};

v1::DebateList list_json(const std::string& dir, const std::string& flags = "") {
  auto r = run(bin + " list --json --data-dir " + sh_quote(dir) + flags);
  EXPECT_EQ(r.code, 0) << r.err;
  return test::parse_json<v1::DebateList>(r.out);
}

std::vector<std::string> ids(const v1::DebateList& l, int from = 0, int to = -1) {
  std::vector<std::string> out;
  for (int i = from; i < (to < 0 ? l.debates_size() : to); ++i) out.push_back(l.debates(i).id());
  return out;
}

/// Stores `n` finished debates (`aragora benchmark`, one round each).
void store_debates(const std::string& dir, int n) {
  auto r = run(bin + " benchmark --debates " + std::to_string(n) +
               " --rounds 1 --storage rocksdb --json --data-dir " + sh_quote(dir));
  ASSERT_EQ(r.code, 0) << r.err;
}

TEST_F(ListCli, ShowsTheNewestFirstAPageAtATime) {
  auto dir = path("data");
  store_debates(dir, 60);
  auto all = list_json(dir, " --limit 1000");
  ASSERT_EQ(all.debates_size(), 60);
  EXPECT_FALSE(all.more());
  for (int i = 1; i < all.debates_size(); ++i) {
    const auto& a = all.debates(i - 1);
    const auto& b = all.debates(i);
    auto ms = [](const v1::DebateListEntry& e) {
      return e.created_at().seconds() * 1000 + e.created_at().nanos() / 1'000'000;
    };
    EXPECT_GT(std::make_pair(ms(a), a.id()), std::make_pair(ms(b), b.id()))
        << "entry " << i << " is newer than the one before it";
  }

  auto first = list_json(dir);  // the default page
  EXPECT_EQ(ids(first), ids(all, 0, 50));
  EXPECT_TRUE(first.more());
  EXPECT_EQ(first.limit(), 50u);
  EXPECT_EQ(first.offset(), 0u);
  auto second = list_json(dir, " --offset 50");
  EXPECT_EQ(ids(second), ids(all, 50, 60));
  EXPECT_FALSE(second.more());
  EXPECT_EQ(second.offset(), 50u);
  auto inner = list_json(dir, " --limit 5 --offset 3");
  EXPECT_EQ(ids(inner), ids(all, 3, 8));
  EXPECT_TRUE(inner.more());
  EXPECT_TRUE(list_json(dir, " --offset 60").debates().empty());

  auto text = run(bin + " list -n 2 --data-dir " + dir);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find(all.debates(0).id()), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(all.debates(1).id()), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find(all.debates(2).id()), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("(more: --offset 2)"), std::string::npos) << text.out;
  auto past = run(bin + " list --offset 60 --data-dir " + dir);
  EXPECT_EQ(past.code, 0);
  EXPECT_NE(past.out.find("No debates after the newest 60"), std::string::npos) << past.out;
}

TEST_F(ListCli, AStatusPageFollowsADebateFromRunningToItsEnd) {
  auto dir = path("data");
  // 5 rounds of 3 steps at 200 ms: killed after about 1.2 s, mid-debate.
  auto killed = run("timeout -s KILL 1.2 " + bin +
                    " ask 'Still running?' --rounds 5 --early-stop off --latency-ms 200 "
                    "--data-dir " + dir);
  ASSERT_EQ(killed.code, 128 + 9) << killed.err;
  ASSERT_EQ(run(bin + " ask 'Done?' --data-dir " + dir).code, 0);
  auto running = list_json(dir, " --status running");
  ASSERT_EQ(running.debates_size(), 1);
  EXPECT_EQ(running.debates(0).question(), "Still running?");
  EXPECT_EQ(running.status(), "running");
  const auto id = running.debates(0).id();
  auto completed = list_json(dir, " --status completed");
  ASSERT_EQ(completed.debates_size(), 1);
  EXPECT_EQ(completed.debates(0).question(), "Done?");
  EXPECT_TRUE(list_json(dir, " --status failed").debates().empty());

  ASSERT_EQ(run(bin + " resume --data-dir " + dir).code, 0);
  EXPECT_TRUE(list_json(dir, " --status running").debates().empty())
      << "the debate's entry did not move when it ended";
  auto after = list_json(dir, " --status completed");
  ASSERT_EQ(after.debates_size(), 2);
  EXPECT_EQ(after.debates(0).question(), "Done?") << "newest first";
  EXPECT_EQ(after.debates(1).id(), id);
  EXPECT_EQ(after.debates(1).status(), "completed");
}

TEST_F(ListCli, TheFirstPageReadsNoOlderRecord) {
  // Listing used to read every record: one unreadable debate anywhere failed every listing. A
  // page reads its own records, so only the page that holds it reports it.
  auto dir = path("data");
  store_debates(dir, 60);
  const auto oldest = list_json(dir, " --limit 1000").debates(59).id();
  {
    storage::store_options o;
    o.path = dir;
    o.mode = storage::open_mode::existing;
    auto db = storage::store::open(o);
    ASSERT_TRUE(db.ok()) << db.error().message;
    storage::write_batch b;
    b.put(storage::cf::debates, oldest, "\xff\xff\xff\xff", 0);
    ASSERT_FALSE(db.value()->write(b, true));
  }
  auto first = run(bin + " list --json --data-dir " + dir);
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(first.err, "");
  EXPECT_EQ(test::parse_json<v1::DebateList>(first.out).debates_size(), 50);
  auto last = run(bin + " list --json --offset 50 --data-dir " + dir);
  EXPECT_EQ(last.code, 1);
  EXPECT_NE(last.err.find("storage_corrupt_record"), std::string::npos) << last.err;
  EXPECT_NE(last.err.find(oldest), std::string::npos) << last.err;
  EXPECT_EQ(test::parse_json<v1::DebateList>(last.out).debates_size(), 9)
      << "the readable debates of the page are still listed";
}

/// Turns the store in `dir` into what the previous version left: no list index family, and a
/// schema marker of 1.
void make_old_store(const std::string& dir) {
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions{}, dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions{});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions{}, dir, families, &handles, &db).ok());
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == "debate_index") EXPECT_TRUE(db->DropColumnFamily(handles[i]).ok());
  EXPECT_TRUE(db->Put(rocksdb::WriteOptions{}, "aragora/schema", "1").ok());
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
}

TEST_F(ListCli, AnOldStoreIsListedByAScanUntilTheNextWriterIndexesIt) {
  auto dir = path("data");
  for (const char* q : {"First?", "Second?", "Third?"})
    ASSERT_EQ(run(bin + " ask " + sh_quote(q) + " --data-dir " + dir).code, 0);
  auto indexed = list_json(dir);
  make_old_store(dir);

  auto scanned = run(bin + " list --json --limit 2 --data-dir " + dir);
  ASSERT_EQ(scanned.code, 0) << scanned.err;
  EXPECT_NE(scanned.err.find("has no list index (written by schema 1): all 3 records were read"),
            std::string::npos)
      << scanned.err;
  auto page = test::parse_json<v1::DebateList>(scanned.out);
  EXPECT_EQ(ids(page), ids(indexed, 0, 2));
  EXPECT_TRUE(page.more());
  auto doctor = run(bin + " doctor --json --data-dir " + dir);
  EXPECT_EQ(doctor.code, 0) << doctor.out << doctor.err;
  auto report = test::parse_json<v1::DoctorReport>(doctor.out);
  EXPECT_EQ(report.list_index().rfind("absent: the store follows schema 1", 0), 0u)
      << report.list_index();

  // `resume` opens the store to write: it builds the index, and says so.
  auto resume = run(bin + " resume --data-dir " + dir);
  ASSERT_EQ(resume.code, 0) << resume.err;
  EXPECT_NE(resume.err.find("upgraded from schema 1: built the list index of 3 debates"),
            std::string::npos)
      << resume.err;
  auto after = run(bin + " list --json --limit 2 --data-dir " + dir);
  ASSERT_EQ(after.code, 0) << after.err;
  EXPECT_EQ(after.err, "") << "still scanning after the upgrade";
  EXPECT_EQ(ids(test::parse_json<v1::DebateList>(after.out)), ids(indexed, 0, 2));
  auto healthy = test::parse_json<v1::DoctorReport>(
      run(bin + " doctor --json --data-dir " + dir).out);
  EXPECT_TRUE(healthy.healthy());
  EXPECT_EQ(healthy.list_index(), "complete: 6 entries");
  // A second writer finds nothing to upgrade.
  auto again = run(bin + " resume --data-dir " + dir);
  EXPECT_EQ(again.err.find("upgraded"), std::string::npos) << again.err;
}

TEST_F(ListCli, DoctorFindsAnIndexThatDisagreesWithTheRecords) {
  auto dir = path("data");
  ASSERT_EQ(run(bin + " ask 'Indexed?' --data-dir " + dir).code, 0);
  {
    storage::store_options o;
    o.path = dir;
    o.mode = storage::open_mode::existing;
    auto db = storage::store::open(o);
    ASSERT_TRUE(db.ok()) << db.error().message;
    storage::write_batch b;
    b.put(storage::cf::debate_index, "time/\x01\x02\x03\x04\x05\x06\x07\x08ghost", "", 0);
    ASSERT_FALSE(db.value()->write(b, true));
  }
  auto doctor = run(bin + " doctor --data-dir " + dir);
  EXPECT_EQ(doctor.code, 1) << doctor.out;
  EXPECT_NE(doctor.out.find("list index: 0 missing and 1 stale entries"), std::string::npos)
      << doctor.out;
}

}  // namespace
}  // namespace aragora
