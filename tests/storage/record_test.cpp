// Pure storage rules, no RocksDB directory: the record frame, key encodings, column family
// names and the retention defaults (label unit).

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

#include "storage/column_families.hpp"
#include "storage/record.hpp"
#include "storage/store.hpp"

namespace aragora::storage {
namespace {

TEST(Record, FramesAndUnframes) {
  auto framed = frame_record(1234567890123, "payload");
  ASSERT_EQ(framed.size(), record_header_size + 7);
  auto r = unframe_record(framed);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->expiry_s, 1234567890123);
  EXPECT_EQ(r->payload, "payload");
  EXPECT_FALSE(r->expired_at(1234567890122));
  EXPECT_TRUE(r->expired_at(1234567890123));
  EXPECT_FALSE(unframe_record("short"));
  EXPECT_FALSE(unframe_record(std::string(12, '\x07')));  // unknown format
  auto forever = unframe_record(frame_record(0, "x"));
  EXPECT_FALSE(forever->expired_at(INT64_MAX));
}

TEST(Record, AnEmptyPayloadIsAValidRecordAndAHeaderCutShortIsNot) {
  auto framed = frame_record(7, "");
  ASSERT_EQ(framed.size(), record_header_size);
  auto r = unframe_record(framed);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->expiry_s, 7);
  EXPECT_TRUE(r->payload.empty());
  EXPECT_FALSE(unframe_record(framed.substr(0, record_header_size - 1)));
}

TEST(Record, TheHeaderIsTheVersionThenTheExpiryBigEndian) {
  // The layout is on disk in every store: it must not drift.
  auto framed = record_header(0x0102030405060708, 0);
  ASSERT_EQ(framed.size(), record_header_size);
  EXPECT_EQ(static_cast<uint8_t>(framed[0]), record_format);
  EXPECT_EQ(framed.substr(1), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  // A payload appended to the header reads back like a framed one.
  framed += "abc";
  EXPECT_EQ(framed, frame_record(0x0102030405060708, "abc"));
}

TEST(Record, BigEndianKeysSortByNumber) {
  std::string a, b;
  append_be32(a, 255);
  append_be32(b, 256);
  EXPECT_LT(a, b);
  EXPECT_EQ(read_be32(b), 256u);
  std::string c;
  append_be64(c, 0x0102030405060708ull);
  EXPECT_EQ(read_be64(c), 0x0102030405060708ull);
  std::string d, e;
  append_be64(d, 0xFFull);
  append_be64(e, 0x100ull);
  EXPECT_LT(d, e);
}

TEST(ColumnFamilies, EveryNameIsDistinctAndReadsBack) {
  std::set<std::string_view> names;
  for (auto family : all_cfs) {
    EXPECT_TRUE(names.insert(name(family)).second) << name(family);
    EXPECT_EQ(cf_from_name(name(family)), family);
  }
  EXPECT_EQ(names.size(), cf_count);
  EXPECT_FALSE(cf_from_name("holograms"));
  EXPECT_FALSE(cf_from_name("default"));
}

TEST(Retention, DefaultsFollowTheCapacityGuide) {
  auto r = retention_policy::defaults();
  constexpr int64_t day = 24 * 3600;
  EXPECT_EQ(r.of(cf::debates), 365 * day);
  EXPECT_EQ(r.of(cf::debate_events), 365 * day);  // a debate's log lives as long as its record
  EXPECT_EQ(r.of(cf::critiques), 180 * day);
  EXPECT_EQ(r.of(cf::evidence), 90 * day);
  EXPECT_EQ(r.of(cf::evidence_by_hash), 90 * day);
  EXPECT_EQ(r.of(cf::memory_fast), 3600);
  EXPECT_EQ(r.of(cf::memory_medium), day);
  EXPECT_EQ(r.of(cf::memory_slow), 7 * day);
  EXPECT_EQ(r.of(cf::memory_glacial), 30 * day);
  EXPECT_EQ(r.of(cf::audit), 730 * day);
  EXPECT_EQ(r.of(cf::elo), 0);
}

}  // namespace
}  // namespace aragora::storage
