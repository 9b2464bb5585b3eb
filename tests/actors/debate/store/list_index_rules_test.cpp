// The pure rules of the debates' list index, no store: key order, the status of a list, the
// entries a record's batch carries, the checks of a query (label unit).

#include "actors/debate/store/list_index.hpp"

#include <gtest/gtest.h>

#include "storage/record.hpp"

namespace aragora::debate {
namespace {

v1::DebateRecord record(const std::string& id, int64_t created_s, v1::Status::Value status) {
  v1::DebateRecord r;
  r.mutable_spec()->set_id(id);
  r.mutable_created_at()->set_seconds(created_s);
  r.mutable_created_at()->set_nanos(250'000'000);
  r.set_status(status);
  return r;
}

TEST(IndexKeys, SortByCreationTimeWhateverTheIdFormat) {
  // A later debate with an id that sorts first (a ULID-like id after the hex ones) still sorts
  // after an earlier one, for every prefix.
  for (auto status : {std::optional<list_status>{}, std::optional{list_status::completed}}) {
    EXPECT_LT(index_key(status, 1000, "zz-old-format"), index_key(status, 1001, "01HF-new"));
    EXPECT_LT(index_key(status, 255, "b"), index_key(status, 256, "a"));
    // The same millisecond: the id decides, so the order is total.
    EXPECT_LT(index_key(status, 7, "a"), index_key(status, 7, "b"));
  }
}

TEST(IndexKeys, EachPrefixHoldsOnlyItsOwnEntries) {
  const auto every = index_prefix(std::nullopt);
  for (auto s : all_list_statuses) {
    auto key = index_key(s, 42, "d1");
    EXPECT_EQ(key.rfind(index_prefix(s), 0), 0u);
    EXPECT_NE(key.rfind(every, 0), 0u) << "a status entry inside the time prefix";
    for (auto other : all_list_statuses)
      if (other != s) EXPECT_NE(key.rfind(index_prefix(other), 0), 0u) << to_string(s);
  }
  EXPECT_EQ(index_key(std::nullopt, 42, "d1").rfind(every, 0), 0u);
}

TEST(IndexKeys, CreationTimeIsMillisecondsAndNeverNegative) {
  EXPECT_EQ(created_ms(record("d", 1'800'000'000, v1::Status::running)), 1'800'000'000'250u);
  EXPECT_EQ(created_ms(record("d", -5, v1::Status::running)), 0u);
  EXPECT_EQ(created_ms(v1::DebateRecord{}), 0u);
}

TEST(ListStatus, EveryStoredStatusHasOneListStatus) {
  EXPECT_EQ(list_status_of(v1::Status::running), list_status::running);
  EXPECT_EQ(list_status_of(v1::Status::consensus_reached), list_status::completed);
  EXPECT_EQ(list_status_of(v1::Status::no_consensus), list_status::completed);
  EXPECT_EQ(list_status_of(v1::Status::insufficient_participation), list_status::completed);
  EXPECT_EQ(list_status_of(v1::Status::failed), list_status::failed);
  EXPECT_EQ(list_status_of(v1::Status::cancelled), list_status::cancelled);
  for (auto s : all_list_statuses) EXPECT_EQ(parse_list_status(to_string(s)), s);
  EXPECT_FALSE(parse_list_status("Running"));
  EXPECT_FALSE(parse_list_status("consensus_reached"));
  EXPECT_FALSE(parse_list_status(""));
}

/// The index operations of a batch, as (erase?, key, expiry).
struct index_op {
  bool erase;
  std::string key;
  int64_t expiry_s;
  bool operator==(const index_op&) const = default;
};

std::vector<index_op> index_ops(const storage::write_batch& b) {
  std::vector<index_op> out;
  for (const auto& op : b.ops()) {
    EXPECT_EQ(op.family, storage::cf::debate_index);
    int64_t expiry = -1;
    if (!op.erase) {
      auto v = storage::unframe_record(op.value);
      EXPECT_TRUE(v && v->payload.empty());
      if (v) expiry = v->expiry_s;
    }
    out.push_back({op.erase, op.key, expiry});
  }
  return out;
}

TEST(AddIndex, ARunningRecordGetsATimeAndARunningEntry) {
  storage::write_batch b;
  auto r = record("d1", 1'800'000'000, v1::Status::running);
  add_index(b, r, 0);
  const auto ms = created_ms(r);
  EXPECT_EQ(index_ops(b), (std::vector<index_op>{
                              {false, index_key(std::nullopt, ms, "d1"), 0},
                              {false, index_key(list_status::running, ms, "d1"), 0},
                          }));
}

TEST(AddIndex, AFinishedRecordMovesItsEntryAndExpiresWithTheRecord) {
  for (auto [status, listed] : {std::pair{v1::Status::no_consensus, list_status::completed},
                                std::pair{v1::Status::failed, list_status::failed},
                                std::pair{v1::Status::cancelled, list_status::cancelled}}) {
    storage::write_batch b;
    auto r = record("d1", 1'800'000'000, status);
    add_index(b, r, 1'900'000'000);
    const auto ms = created_ms(r);
    EXPECT_EQ(index_ops(b), (std::vector<index_op>{
                                {false, index_key(std::nullopt, ms, "d1"), 1'900'000'000},
                                {false, index_key(listed, ms, "d1"), 1'900'000'000},
                                {true, index_key(list_status::running, ms, "d1"), -1},
                            }))
        << to_string(listed);
  }
}

TEST(Query, LimitOffsetAndStatusAreCheckedAtTheirEdges) {
  auto q = make_query(1, 0, "");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->limit, 1u);
  EXPECT_EQ(q->offset, 0u);
  EXPECT_FALSE(q->status);
  q = make_query(defaults::max_list_limit, UINT32_MAX, "failed");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->limit, defaults::max_list_limit);
  EXPECT_EQ(q->offset, UINT32_MAX);
  EXPECT_EQ(q->status, list_status::failed);

  auto refused = [](int64_t limit, int64_t offset, std::string_view status) {
    auto e = make_query(limit, offset, status);
    return e ? std::string{"accepted"} : std::string{e.error().code_name()};
  };
  EXPECT_EQ(refused(0, 0, ""), "bad_limit");
  EXPECT_EQ(refused(-1, 0, ""), "bad_limit");
  EXPECT_EQ(refused(int64_t{defaults::max_list_limit} + 1, 0, ""), "bad_limit");
  EXPECT_EQ(refused(10, -1, ""), "bad_offset");
  EXPECT_EQ(refused(10, int64_t{UINT32_MAX} + 1, ""), "bad_offset");
  EXPECT_EQ(refused(10, 0, "done"), "bad_status");
  EXPECT_EQ(refused(10, 0, "RUNNING"), "bad_status");
  auto e = make_query(10, 0, "done");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.code(), query_errc::bad_status);
  EXPECT_NE(e.error().message.find("running, completed, failed, cancelled"), std::string::npos)
      << e.error().message;
}

}  // namespace
}  // namespace aragora::debate
