#include "actors/debate/receipt.hpp"

#include <gtest/gtest.h>

#include <random>

#include "actors/debate/canonical.hpp"
#include "actors/debate/codec.hpp"
#include "runtime/crypto/sha256.hpp"
#include "tests/support/drive.hpp"

namespace aragora::debate {
namespace {

v1::Receipt finished_receipt(std::optional<std::string> key = std::nullopt,
                             double fail_rate = 0.0) {
  auto spec = test::make_spec([&](debate_spec& s) {
    s.rounds = 2;
    s.mock.fail_rate = fail_rate;
  });
  debate_machine m(spec);
  test::drive(m, test::mock);
  return make_receipt(m, key);
}

TEST(Receipt, CoversTheWholeResult) {
  auto r = finished_receipt();
  EXPECT_EQ(r.receipt_id(), "DR-0000000000000001");
  EXPECT_EQ(r.algorithm(), receipt_algorithm);
  EXPECT_EQ(r.messages_size(), 24);
  EXPECT_EQ(r.votes_size(), 3);
  EXPECT_EQ(r.agents_size(), 3);
  EXPECT_EQ(r.sha256().size(), 64u);
  EXPECT_FALSE(r.has_signature());
  EXPECT_EQ(r.sha256(), crypto::to_hex(crypto::sha256(canonical_receipt(r))));
  auto v = verify_receipt(r, std::nullopt);
  EXPECT_TRUE(v.valid()) << v.detail;
}

TEST(Receipt, AnyTamperingIsDetected) {
  auto base = finished_receipt();
  std::vector<std::function<void(v1::Receipt&)>> tampers{
      [](v1::Receipt& r) { r.set_confidence(r.confidence() + 0.01); },
      [](v1::Receipt& r) { r.set_verdict(v1::Verdict::approved); },
      [](v1::Receipt& r) { r.set_question(r.question() + "?"); },
      [](v1::Receipt& r) { r.mutable_messages(5)->set_sha256(std::string(64, '0')); },
      [](v1::Receipt& r) { r.mutable_votes(0)->set_choice("someone-else"); },
      [](v1::Receipt& r) { r.mutable_agents(1)->set_failures(0 + 1); },
      [](v1::Receipt& r) { r.mutable_completed_at()->set_seconds(1); },
      [](v1::Receipt& r) { r.mutable_messages()->RemoveLast(); },
  };
  for (size_t i = 0; i < tampers.size(); ++i) {
    auto r = base;
    tampers[i](r);
    auto v = verify_receipt(r, std::nullopt);
    EXPECT_FALSE(v.valid()) << "tamper " << i;
    EXPECT_EQ(v.error, verify_errc::digest_mismatch) << "tamper " << i;
  }
}

TEST(Receipt, SealingAndTheFullReceiptAgree) {
  auto spec = test::make_spec([](debate_spec& s) { s.rounds = 2; });
  debate_machine m(spec);
  test::drive(m, test::mock);
  std::string key(32, 'k');
  auto sealed = seal_receipt(m, std::nullopt);
  auto full = make_receipt(m, std::nullopt);
  EXPECT_EQ(sealed.sha256, full.sha256());
  EXPECT_EQ(sealed.id, full.receipt_id());
  auto signed_seal = seal_receipt(m, key);
  auto signed_full = make_receipt(m, key);
  ASSERT_TRUE(signed_seal.signature);
  EXPECT_EQ(signed_seal.sha256, sealed.sha256);
  EXPECT_EQ(signed_seal.signature->value, signed_full.signature().value());
}

TEST(Receipt, SurvivesTheJsonRoundTrip) {
  auto r = finished_receipt(std::string("0123456789abcdef0123456789abcdef"));
  auto json = to_json(r, true);
  v1::Receipt back;
  std::string err;
  ASSERT_TRUE(from_json(json, back, err)) << err;
  auto v = verify_receipt(back, std::string("0123456789abcdef0123456789abcdef"));
  EXPECT_TRUE(v.valid()) << v.detail;
  EXPECT_TRUE(v.signature_checked);
}

TEST(Receipt, SignatureNeedsTheRightKey) {
  std::string key(32, 'k');
  auto r = finished_receipt(key);
  ASSERT_TRUE(r.has_signature());
  EXPECT_EQ(r.signature().algorithm(), "HMAC-SHA256");
  EXPECT_EQ(r.signature().key_id().size(), 16u);
  EXPECT_TRUE(verify_receipt(r, key).valid());
  EXPECT_EQ(verify_receipt(r, std::string(32, 'x')).error, verify_errc::signature_mismatch);
  EXPECT_EQ(verify_receipt(r, std::nullopt).error, verify_errc::missing_key);
  auto forged = r;
  forged.mutable_signature()->set_value(std::string(64, 'a'));
  EXPECT_EQ(verify_receipt(forged, key).error, verify_errc::signature_mismatch);
}

TEST(Receipt, AnUnsignedReceiptIsRefusedWhereReceiptsAreSigned) {
  // Tamper, recompute the public digest, drop the signature: only the key catches it.
  auto r = finished_receipt(std::string(32, 'k'));
  r.set_verdict(v1::Verdict::approved);
  r.set_sha256(crypto::to_hex(crypto::sha256(canonical_receipt(r))));
  r.clear_signature();
  EXPECT_TRUE(verify_receipt(r, std::nullopt).valid());  // no key: only the digest is checked
  EXPECT_EQ(verify_receipt(r, std::string(32, 'k')).error, verify_errc::missing_signature);
}

TEST(Receipt, UnknownAlgorithmIsRefused) {
  auto r = finished_receipt();
  r.set_algorithm("md5");
  EXPECT_EQ(verify_receipt(r, std::nullopt).error, verify_errc::unsupported_algorithm);
}

TEST(Receipt, AFailedDebateNeverReportsAConfidentVerdict) {
  auto r = finished_receipt(std::nullopt, 1.0);
  EXPECT_EQ(r.status(), v1::Status::failed);
  EXPECT_EQ(r.verdict(), v1::Verdict::rejected);
  EXPECT_EQ(r.confidence(), 0.0);
  EXPECT_FALSE(r.consensus_reached());
  EXPECT_EQ(r.messages_size(), 0);
  for (const auto& a : r.agents()) {
    EXPECT_FALSE(a.contributing());
    EXPECT_EQ(a.failures(), a.calls());
  }
  EXPECT_TRUE(verify_receipt(r, std::nullopt).valid());
}

TEST(Canonical, EncodingIsPinned) {
  // The format is a contract with external verifiers (docs/receipt.md): changing it breaks every
  // stored receipt.
  canonical_writer w;
  w.field("a", "xyz");
  w.field("n", uint64_t{42});
  w.field("d", 0.1234567);
  w.field("b", true);
  w.field("u", "h\xC3\xA9");
  EXPECT_EQ(w.bytes(), "a=3:xyz\nn=2:42\nd=8:0.123457\nb=1:1\nu=3:h\xC3\xA9\n");
  EXPECT_EQ(canonical_double(-0.0000001), 0.0);
}

TEST(Canonical, DoublesPrintLikePrintfWithSixDecimals) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> wide(-1e6, 1e6), unit(0, 1);
  std::vector<double> values{0.0, -0.0, 1.0, -1.0, 0.5, 0.1234565, 0.9999995, 2.0 / 3.0,
                             1e-7, -1e-7, 999999.9999995, 123456789.123456789, 1e11};
  for (int i = 0; i < 100'000; ++i) {
    values.push_back(wide(rng));
    values.push_back(unit(rng));
  }
  for (double v : values) {
    canonical_writer w;
    w.field("x", v);
    char expected[64];
    int n = std::snprintf(expected, sizeof expected, "%.6f", canonical_double(v));
    std::string want = "x=" + std::to_string(n) + ":" + std::string(expected, n) + "\n";
    ASSERT_EQ(w.bytes(), want) << v;
  }
}

TEST(Canonical, MessageDigestCoversEveryFieldOfEveryPhase) {
  for (auto ph : {phase::propose, phase::critique, phase::revise, phase::vote, phase::judge}) {
    SCOPED_TRACE(to_string(ph));
    message_fields base{1, ph, "a", "b", 1000, "text", 5.0, "x", 0.5};
    auto d = message_digest(base);
    auto changed = [&](auto edit) {
      auto m = base;
      edit(m);
      return message_digest(m) != d;
    };
    EXPECT_TRUE(changed([](message_fields& m) { m.round = 2; }));
    EXPECT_TRUE(changed([&](message_fields& m) {
      m.ph = ph == phase::propose ? phase::revise : phase::propose;
    }));
    EXPECT_TRUE(changed([](message_fields& m) { m.agent = "c"; }));
    EXPECT_TRUE(changed([](message_fields& m) { m.target = "c"; }));
    EXPECT_TRUE(changed([](message_fields& m) { m.at_us = 1001; }));
    EXPECT_TRUE(changed([](message_fields& m) { m.text = "text!"; }));
    // Each phase digests the fields it has, and only those (a vote has no severity).
    bool critique = ph == phase::critique;
    bool chooses = ph == phase::vote || ph == phase::judge;
    EXPECT_EQ(changed([](message_fields& m) { m.severity = 5.1; }), critique);
    EXPECT_EQ(changed([](message_fields& m) { m.issues = "y"; }), critique);
    EXPECT_EQ(changed([](message_fields& m) { m.issues = "x\ny"; }), critique);
    EXPECT_EQ(changed([](message_fields& m) { m.confidence = 0.6; }), chooses);
  }
}

TEST(Canonical, EmptyValuesAreWrittenWithoutReadingThem) {
  // A default string_view has a null data pointer: memcpy from it is undefined (UBSan flags it)
  // even for zero bytes. Every proposal's digest writes such an empty target.
  canonical_writer w;
  w.field("t", std::string_view{});
  EXPECT_EQ(w.bytes(), "t=0:\n");
  crypto::sha256_hasher h;
  {
    canonical_writer hashing{h};
    hashing.field("t", std::string_view{});
    hashing.flush();
  }
  EXPECT_EQ(crypto::to_hex(h.finish()), crypto::to_hex(crypto::sha256("t=0:\n")));
  message_fields m{1, phase::propose, "a", {}, 1000, {}, 0, {}, 0};
  EXPECT_EQ(message_digest(m), message_digest({1, phase::propose, "a", "", 1000, "", 0, "", 0}));
}

}  // namespace
}  // namespace aragora::debate
