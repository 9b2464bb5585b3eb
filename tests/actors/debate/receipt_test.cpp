#include "actors/debate/receipt.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "actors/debate/canonical.hpp"
#include "actors/debate/codec.hpp"
#include "runtime/base/crypto/sha256.hpp"
#include "tests/support/drive.hpp"

namespace aragora::debate {
namespace {

v1::Receipt finished_receipt(std::optional<std::string> key = std::nullopt,
                             double fail_rate = 0.0) {
  auto spec = test::make_spec([&](debate_spec& s) { s.rounds = 2; });
  debate_machine m(spec);
  test::drive(m, test::mock_with(test::failing(fail_rate)));
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
  EXPECT_EQ(signed_seal.sha256, signed_full.sha256());
  // The signer's algorithm and key id are covered: a signed receipt hashes differently.
  EXPECT_NE(signed_seal.sha256, sealed.sha256);
  EXPECT_EQ(signed_seal.signature->value, signed_full.signature().value());
  EXPECT_EQ(signed_seal.signature->key_id, signed_full.signature().key_id());
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

TEST(Receipt, TheSigningKeyIsHexOfAtLeast16Bytes) {
  auto none = parse_signing_key(nullptr);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto empty = parse_signing_key("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
  auto key = parse_signing_key("000102030405060708090a0b0c0d0e0f");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(key->has_value());
  EXPECT_EQ((*key)->size(), 16u);
  for (const char* bad : {"0001", "zz0102030405060708090a0b0c0d0e0f"}) {
    auto r = parse_signing_key(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.code(), signing_key_errc::malformed);
    EXPECT_EQ(r.error().code_name(), "bad_signing_key");
    EXPECT_NE(r.error().message.find(signing_key_env), std::string::npos);
  }
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
  r.clear_signature();
  r.set_sha256(crypto::to_hex(crypto::sha256(canonical_receipt(r))));
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

// -- receipts and results against each other ------------------------------------------------------

test::provider_fn flaky(double fail_rate) {
  return test::mock_with(test::failing(fail_rate));
}

/// A finished debate with its receipt and its result as `aragora ask --json` writes them.
struct sealed_debate {
  std::string label;
  std::unique_ptr<debate_machine> machine;
  v1::Receipt receipt;
  v1::DebateResult result;
};

/// Only the first agent's votes arrive: too few for the quorum.
call_outcome one_voter(const debate_spec& spec, const call_request& c) {
  auto out = agent::mock_reply(spec, c);
  if (c.key.ph == phase::vote && c.key.agent != 0) out.error = call_errc::timeout;
  return out;
}

sealed_debate seal_debate(std::string label, std::function<void(debate_spec&)> edit,
                          double fail_rate = 0, const std::optional<std::string>& key = {},
                          bool cancel = false, test::provider_fn provider = {}) {
  sealed_debate d;
  d.label = std::move(label);
  auto spec = test::make_spec([&](debate_spec& s) {
    s.rounds = 2;
    s.agents.push_back({"contrarian", "mock", "contrarian"});
    if (edit) edit(s);
  });
  d.machine = std::make_unique<debate_machine>(spec);
  if (cancel) {
    auto t = test::fake_epoch();
    (void)d.machine->start(t);
    (void)d.machine->record(agent::mock_reply(*spec, d.machine->calls()[0]), t);
    (void)d.machine->cancel(t + std::chrono::microseconds{1500}, "stopped by operator");
  } else {
    test::drive(*d.machine, provider ? provider : flaky(fail_rate), {.shuffle_seed = 3});
  }
  d.receipt = make_receipt(*d.machine, key);
  auto sealed = seal_receipt(*d.machine, key);
  fill_result(*d.machine, &sealed, d.result);
  return d;
}

std::vector<sealed_debate> debates_of_every_kind(const std::optional<std::string>& key = {}) {
  std::vector<sealed_debate> out;
  out.push_back(seal_debate("lite majority", {}, 0.15, key));
  out.push_back(seal_debate("lite judge", [](debate_spec& s) { s.consensus = consensus_method::judge; }, 0.1, key));
  out.push_back(seal_debate("full judge", [](debate_spec& s) {
    s.protocol = protocol_kind::full;
    s.consensus = consensus_method::judge;
    s.rounds = 3;
  }, 0.1, key));
  out.push_back(seal_debate("full unanimous", [](debate_spec& s) {
    s.protocol = protocol_kind::full;
    s.consensus = consensus_method::unanimous;
  }, 0, key));
  out.push_back(seal_debate("none", [](debate_spec& s) { s.consensus = consensus_method::none; }, 0, key));
  out.push_back(seal_debate("failed", {}, 1.0, key));
  out.push_back(seal_debate("insufficient", {}, 0, key, false, one_voter));
  out.push_back(seal_debate("cancelled", {}, 0, key, true));
  return out;
}

TEST(Receipt, EveryKindOfResultChecksAgainstItsReceipt) {
  // The sealer reads the machine (machine_views) and fill_result writes the protobuf: the two
  // must agree on every field, or `verify --result` refuses honest results.
  std::set<v1::Status::Value> statuses;
  for (const auto& key : {std::optional<std::string>{}, std::optional<std::string>{std::string(32, 'k')}}) {
    for (auto& d : debates_of_every_kind(key)) {
      SCOPED_TRACE(d.label);
      statuses.insert(d.result.status());
      auto v = verify_receipt(d.receipt, key);
      ASSERT_TRUE(v.valid()) << v.detail;
      auto c = check_result(d.receipt, d.result);
      EXPECT_TRUE(c.valid()) << c.detail;
      EXPECT_EQ(crypto::to_hex(crypto::sha256(canonical_result(d.result))), d.receipt.result_sha256());
      // Through JSON, as `aragora verify` reads both files.
      v1::Receipt receipt;
      v1::DebateResult result;
      std::string err;
      ASSERT_TRUE(from_json(to_json(d.receipt, true), receipt, err)) << err;
      ASSERT_TRUE(from_json(to_json(d.result), result, err)) << err;
      EXPECT_TRUE(verify_receipt(receipt, key).valid());
      c = check_result(receipt, result);
      EXPECT_TRUE(c.valid()) << c.detail;
    }
  }
  EXPECT_EQ(statuses.size(), 5u) << "consensus, no consensus, insufficient, failed, cancelled";
}

TEST(Receipt, AnEmptyFinalAnswerHashesToNothingOnBothSides) {
  EXPECT_EQ(answer_sha256_hex(""), "");
  EXPECT_EQ(answer_sha256_hex("x"), crypto::to_hex(crypto::sha256("x")));
  // Agents that propose empty texts: the winner's answer is "", which a result cannot tell from
  // no answer, so the receipt must not hash it either.
  auto d = seal_debate("empty", {}, 0, {}, false, [](const debate_spec& spec, const call_request& c) {
    auto out = agent::mock_reply(spec, c);
    if (c.key.ph == phase::propose) out.text = make_text("");
    return out;
  });
  ASSERT_TRUE(d.machine->outcome().final_answer);
  ASSERT_TRUE(d.machine->outcome().final_answer->empty());
  EXPECT_EQ(d.receipt.final_answer_sha256(), "");
  auto c = check_result(d.receipt, d.result);
  EXPECT_TRUE(c.valid()) << c.detail;
}

TEST(Receipt, AnEmptyIssueAppendedToACritiqueIsRefused) {
  // ["a", ""] joins to "a\n", which the message digest reads as ["a"]: the same digest for a
  // different result, unless empty issues are refused.
  auto d = seal_debate("plain", {});
  for (auto& m : *d.result.mutable_messages()) {
    if (m.phase() != v1::Phase::critique || m.critique().issues_size() == 0) continue;
    auto forged = d.result;
    for (auto& f : *forged.mutable_messages())
      if (f.sha256() == m.sha256()) f.mutable_critique()->add_issues("");
    auto c = check_result(d.receipt, forged);
    ASSERT_FALSE(c.valid());
    EXPECT_NE(c.detail.find("empty issue"), std::string::npos) << c.detail;
    return;
  }
  FAIL() << "no critique with issues in the debate";
}

TEST(Receipt, NonFiniteNumbersAreRefused) {
  // A failed debate has confidence 0, which the old encoding could not tell from NaN.
  auto d = seal_debate("failed", {}, 1.0);
  ASSERT_EQ(d.receipt.confidence(), 0.0);
  auto json = to_json(d.receipt, true);
  for (const char* bad : {"\"NaN\"", "\"Infinity\"", "\"-Infinity\""}) {
    auto text = json;
    auto at = text.find("\"confidence\": 0");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, std::string_view{"\"confidence\": 0"}.size(), std::string{"\"confidence\": "} + bad);
    v1::Receipt r;
    std::string err;
    ASSERT_TRUE(from_json(text, r, err)) << err;
    auto v = verify_receipt(r, std::nullopt);
    ASSERT_FALSE(v.valid()) << bad;
    EXPECT_EQ(to_string(*v.error), "non_finite_number") << bad << ": " << v.detail;
  }
  auto result = d.result;
  result.set_duration_ms(std::numeric_limits<double>::infinity());
  auto c = check_result(d.receipt, result);
  ASSERT_FALSE(c.valid());
  EXPECT_EQ(to_string(*c.error), "non_finite_number") << c.detail;
}

TEST(Receipt, VersionOneReceiptsAreRefusedWithAReason) {
  auto r = finished_receipt();
  r.set_algorithm("sha256:aragora-receipt-v1");
  auto v = verify_receipt(r, std::nullopt);
  ASSERT_FALSE(v.valid());
  EXPECT_EQ(v.error, verify_errc::unsupported_algorithm);
  EXPECT_NE(v.detail.find("aragora-receipt-v1"), std::string::npos) << v.detail;
}

// -- every field, edited -------------------------------------------------------------------------

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

/// One edit of one field somewhere in a message, found by walking its descriptor, so fields
/// added to the schema are edited too.
struct mutation {
  enum kind_t { change, clear, not_a_number, infinity, tiny, unknown_enum, remove, add, swap };
  std::vector<std::pair<const FieldDescriptor*, int>> path;  // to the holder; -1: singular
  const FieldDescriptor* field = nullptr;
  int index = -1;  // the element of a repeated field
  kind_t kind = change;
  std::string name;
};

std::string_view kind_name(mutation::kind_t k) {
  switch (k) {
    case mutation::change: return "change";
    case mutation::clear: return "clear";
    case mutation::not_a_number: return "NaN";
    case mutation::infinity: return "infinity";
    case mutation::tiny: return "+1e-7";
    case mutation::unknown_enum: return "unknown enum value";
    case mutation::remove: return "remove";
    case mutation::add: return "add";
    case mutation::swap: return "swap with the next";
  }
  return "?";
}

/// An element's content, to skip swapping two equal elements.
std::string element_bytes(const Message& m, const FieldDescriptor* f, int j) {
  const auto* r = m.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE: return r->GetRepeatedMessage(m, f, j).SerializeAsString();
    case FieldDescriptor::CPPTYPE_STRING: return r->GetRepeatedString(m, f, j);
    case FieldDescriptor::CPPTYPE_DOUBLE: return std::to_string(r->GetRepeatedDouble(m, f, j));
    default: return r->GetRepeatedMessage(m, f, j).ShortDebugString();
  }
}

/// Every field path of a message type ("votes.confidence"), as the schema has them.
void schema_fields(const google::protobuf::Descriptor* d, const std::string& prefix,
                   std::set<std::string>& out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    out.insert(prefix + f->name());
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE)
      schema_fields(f->message_type(), prefix + f->name() + ".", out);
  }
}

void find_mutations(const Message& m, std::vector<std::pair<const FieldDescriptor*, int>>& path,
                    const std::string& prefix, const std::string& schema_prefix,
                    std::vector<mutation>& out, std::set<std::string>& covered) {
  const auto* d = m.GetDescriptor();
  const auto* refl = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    auto where = prefix + f->name();
    auto schema = schema_prefix + f->name();
    auto add = [&](int index, mutation::kind_t kind, const std::string& what) {
      covered.insert(schema);
      out.push_back({path, f, index, kind, what + ": " + std::string{kind_name(kind)}});
    };
    auto scalar = [&](int index, const std::string& what) {
      add(index, mutation::change, what);
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_DOUBLE:
          add(index, mutation::not_a_number, what);
          add(index, mutation::infinity, what);
          add(index, mutation::tiny, what);
          break;
        case FieldDescriptor::CPPTYPE_STRING:
          if (!(index < 0 ? refl->GetString(m, f) : refl->GetRepeatedString(m, f, index)).empty())
            add(index, mutation::clear, what);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: add(index, mutation::unknown_enum, what); break;
        default: break;
      }
    };
    if (f->is_repeated()) {
      int n = refl->FieldSize(m, f);
      for (int j = 0; j < n; ++j) {
        auto elem = where + "[" + std::to_string(j) + "]";
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          path.emplace_back(f, j);
          find_mutations(refl->GetRepeatedMessage(m, f, j), path, elem + ".", schema + ".", out,
                         covered);
          path.pop_back();
        } else {
          scalar(j, elem);
        }
        add(j, mutation::remove, elem);
        if (j + 1 < n && !f->is_map() && element_bytes(m, f, j) != element_bytes(m, f, j + 1))
          add(j, mutation::swap, elem);
      }
      add(-1, mutation::add, where);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (refl->HasField(m, f)) add(-1, mutation::clear, where);
      // Absent sub-messages (an unsigned receipt's signature) are edited into existence.
      covered.insert(schema);
      path.emplace_back(f, -1);
      find_mutations(refl->GetMessage(m, f), path, where + ".", schema + ".", out, covered);
      path.pop_back();
    } else {
      scalar(-1, where);
    }
  }
}

std::vector<mutation> mutations_of(const Message& m, std::set<std::string>& covered) {
  std::vector<mutation> out;
  std::vector<std::pair<const FieldDescriptor*, int>> path;
  find_mutations(m, path, "", "", out, covered);
  return out;
}

void edit_scalar(Message* h, const Reflection* r, const FieldDescriptor* f, int j,
                 mutation::kind_t kind) {
  bool rep = j >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      auto v = (rep ? r->GetRepeatedInt32(*h, f, j) : r->GetInt32(*h, f)) + 1;
      rep ? r->SetRepeatedInt32(h, f, j, v) : r->SetInt32(h, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      auto v = (rep ? r->GetRepeatedInt64(*h, f, j) : r->GetInt64(*h, f)) + 1;
      rep ? r->SetRepeatedInt64(h, f, j, v) : r->SetInt64(h, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      auto v = (rep ? r->GetRepeatedUInt32(*h, f, j) : r->GetUInt32(*h, f)) + 1;
      rep ? r->SetRepeatedUInt32(h, f, j, v) : r->SetUInt32(h, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      auto v = (rep ? r->GetRepeatedUInt64(*h, f, j) : r->GetUInt64(*h, f)) + 1;
      rep ? r->SetRepeatedUInt64(h, f, j, v) : r->SetUInt64(h, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      auto v = rep ? r->GetRepeatedDouble(*h, f, j) : r->GetDouble(*h, f);
      switch (kind) {
        case mutation::not_a_number: v = std::numeric_limits<double>::quiet_NaN(); break;
        case mutation::infinity: v = std::numeric_limits<double>::infinity(); break;
        case mutation::tiny: v += 1e-7; break;
        default: v += 0.25; break;
      }
      rep ? r->SetRepeatedDouble(h, f, j, v) : r->SetDouble(h, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      auto v = !(rep ? r->GetRepeatedBool(*h, f, j) : r->GetBool(*h, f));
      rep ? r->SetRepeatedBool(h, f, j, v) : r->SetBool(h, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      auto v = rep ? r->GetRepeatedString(*h, f, j) : r->GetString(*h, f);
      v = kind == mutation::clear ? std::string{} : v + "x";
      rep ? r->SetRepeatedString(h, f, j, v) : r->SetString(h, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      auto v = rep ? r->GetRepeatedEnumValue(*h, f, j) : r->GetEnumValue(*h, f);
      if (kind == mutation::unknown_enum) {
        v = 99;
      } else {
        const auto* e = f->enum_type();
        const auto* current = e->FindValueByNumber(v);
        v = e->value(((current ? current->index() : 0) + 1) % e->value_count())->number();
      }
      rep ? r->SetRepeatedEnumValue(h, f, j, v) : r->SetEnumValue(h, f, v);
      break;
    }
    default:
      ADD_FAILURE() << "no edit for " << f->full_name();
  }
}

void add_element(Message* h, const Reflection* r, const FieldDescriptor* f) {
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      int n = r->FieldSize(*h, f);
      auto* e = r->AddMessage(h, f);
      if (f->is_map()) {
        // A new key: a copy of an entry would not change the map.
        const auto* er = e->GetReflection();
        const auto* key = e->GetDescriptor()->FindFieldByNumber(1);
        const auto* value = e->GetDescriptor()->FindFieldByNumber(2);
        ASSERT_EQ(key->cpp_type(), FieldDescriptor::CPPTYPE_STRING) << f->full_name();
        er->SetString(e, key, "added");
        if (value->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) er->SetDouble(e, value, 0.5);
      } else if (n > 0) {
        e->CopyFrom(r->GetRepeatedMessage(*h, f, 0));
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING: r->AddString(h, f, "added"); break;
    case FieldDescriptor::CPPTYPE_DOUBLE: r->AddDouble(h, f, 0.5); break;
    case FieldDescriptor::CPPTYPE_UINT32: r->AddUInt32(h, f, 1); break;
    case FieldDescriptor::CPPTYPE_INT32: r->AddInt32(h, f, 1); break;
    case FieldDescriptor::CPPTYPE_INT64: r->AddInt64(h, f, 1); break;
    case FieldDescriptor::CPPTYPE_UINT64: r->AddUInt64(h, f, 1); break;
    case FieldDescriptor::CPPTYPE_BOOL: r->AddBool(h, f, true); break;
    case FieldDescriptor::CPPTYPE_ENUM: r->AddEnumValue(h, f, 1); break;
    default: ADD_FAILURE() << "cannot add to " << f->full_name();
  }
}

template <class M>
M mutated(const M& original, const mutation& mu) {
  M copy = original;
  Message* h = &copy;
  for (auto [f, j] : mu.path) {
    const auto* r = h->GetReflection();
    h = j < 0 ? r->MutableMessage(h, f) : r->MutableRepeatedMessage(h, f, j);
  }
  const auto* r = h->GetReflection();
  switch (mu.kind) {
    case mutation::remove:
      for (int k = mu.index; k + 1 < r->FieldSize(*h, mu.field); ++k)
        r->SwapElements(h, mu.field, k, k + 1);
      r->RemoveLast(h, mu.field);
      break;
    case mutation::swap: r->SwapElements(h, mu.field, mu.index, mu.index + 1); break;
    case mutation::add: add_element(h, r, mu.field); break;
    case mutation::clear:
      if (mu.field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        r->ClearField(h, mu.field);
        break;
      }
      [[fallthrough]];
    default: edit_scalar(h, r, mu.field, mu.index, mu.kind); break;
  }
  return copy;
}

std::set<std::string> schema_of(const google::protobuf::Descriptor* d) {
  std::set<std::string> out;
  schema_fields(d, "", out);
  return out;
}

/// Checks one edited copy; counts what was refused and reports what was not.
struct sweep {
  size_t edits = 0;
  std::set<std::string> covered;

  void expect_refused(const verify_result& v, const mutation& mu, const std::string& what) {
    ++edits;
    EXPECT_FALSE(v.valid()) << what << ": " << mu.name << " was not detected";
    if (v.valid()) return;
    if (mu.kind == mutation::not_a_number || mu.kind == mutation::infinity) {
      EXPECT_EQ(to_string(*v.error), "non_finite_number") << what << ": " << mu.name << ": " << v.detail;
    }
  }
};

TEST(ReceiptSweep, EveryEditOfAnUnsignedReceiptIsRefused) {
  sweep s;
  for (const auto& d : debates_of_every_kind()) {
    ASSERT_TRUE(verify_receipt(d.receipt, std::nullopt).valid()) << d.label;
    for (const auto& mu : mutations_of(d.receipt, s.covered))
      s.expect_refused(verify_receipt(mutated(d.receipt, mu), std::nullopt), mu, d.label);
  }
  EXPECT_EQ(s.covered, schema_of(v1::Receipt::descriptor()));
  EXPECT_GT(s.edits, 1000u);
}

TEST(ReceiptSweep, EveryEditOfASignedReceiptIsRefusedEvenWithItsDigestRecomputed) {
  // The public digest can be recomputed by anyone: the signature must cover every field.
  std::string key(32, 'k');
  sweep s;
  for (const auto& d : debates_of_every_kind(key)) {
    ASSERT_TRUE(verify_receipt(d.receipt, key).valid()) << d.label;
    for (const auto& mu : mutations_of(d.receipt, s.covered)) {
      auto forged = mutated(d.receipt, mu);
      s.expect_refused(verify_receipt(forged, key), mu, d.label);
      if (mu.field == v1::Receipt::descriptor()->FindFieldByName("sha256")) continue;
      forged.set_sha256(crypto::to_hex(crypto::sha256(canonical_receipt(forged))));
      s.expect_refused(verify_receipt(forged, key), mu, d.label + ", digest recomputed");
    }
  }
  EXPECT_EQ(s.covered, schema_of(v1::Receipt::descriptor()));
}

TEST(ResultSweep, EveryEditOfAResultIsRefused) {
  sweep s;
  for (const auto& d : debates_of_every_kind()) {
    ASSERT_TRUE(check_result(d.receipt, d.result).valid()) << d.label;
    for (const auto& mu : mutations_of(d.result, s.covered))
      s.expect_refused(check_result(d.receipt, mutated(d.result, mu)), mu, d.label);
  }
  // Every field of the result was edited in at least one debate (and so is checked).
  EXPECT_EQ(s.covered, schema_of(v1::DebateResult::descriptor()));
  EXPECT_GT(s.edits, 1000u);
}

TEST(Receipt, CanonicalBytesArePinned) {
  // The v2 format is a contract with external verifiers (docs/receipt.md).
  v1::Receipt r;
  r.set_algorithm("sha256:aragora-receipt-v2");
  r.set_receipt_id("DR-1");
  r.set_debate_id("1");
  r.set_question("Q?");
  r.set_protocol(v1::Protocol::lite);
  r.set_consensus(v1::ConsensusMethod::majority);
  r.set_status(v1::Status::consensus_reached);
  r.set_verdict(v1::Verdict::approved);
  r.set_confidence(0.75);
  r.set_consensus_reached(true);
  r.set_winner("ann");
  r.set_final_answer_sha256("aa");
  r.set_result_sha256("bb");
  r.set_rounds_used(1);
  r.set_agent_calls(2);
  auto* a = r.add_agents();
  a->set_name("ann");
  a->set_provider("mock");
  a->set_calls(2);
  a->set_failures(1);
  a->set_contributing(true);
  auto* v = r.add_votes();
  v->set_agent("ann");
  v->set_choice("ann");
  v->set_confidence(0.9);
  v->set_reasoning("mine");
  auto* m = r.add_messages();
  m->set_round(1);
  m->set_phase(v1::Phase::vote);
  m->set_agent("ann");
  m->set_target("ann");
  m->set_sha256("cc");
  r.mutable_created_at()->set_seconds(1);
  r.mutable_completed_at()->set_seconds(2);
  r.mutable_completed_at()->set_nanos(5000);
  r.set_sha256("ignored");
  r.mutable_signature()->set_algorithm("HMAC-SHA256");
  r.mutable_signature()->set_key_id("0123456789abcdef");
  r.mutable_signature()->set_value("ignored");
  EXPECT_EQ(canonical_receipt(r),
            "receipt=2:v2\n"
            "algorithm=25:sha256:aragora-receipt-v2\n"
            "receipt_id=4:DR-1\n"
            "debate_id=1:1\n"
            "question=2:Q?\n"
            "protocol=4:lite\n"
            "consensus=8:majority\n"
            "status=17:consensus_reached\n"
            "verdict=8:approved\n"
            "confidence=8:0.750000\n"
            "consensus_reached=1:1\n"
            "winner=3:ann\n"
            "final_answer_sha256=2:aa\n"
            "result_sha256=2:bb\n"
            "rounds_used=1:1\n"
            "agent_calls=1:2\n"
            "agents=1:1\n"
            "agent.name=3:ann\n"
            "agent.provider=4:mock\n"
            "agent.calls=1:2\n"
            "agent.failures=1:1\n"
            "agent.contributing=1:1\n"
            "votes=1:1\n"
            "vote.agent=3:ann\n"
            "vote.choice=3:ann\n"
            "vote.confidence=8:0.900000\n"
            "vote.reasoning=4:mine\n"
            "messages=1:1\n"
            "message.round=1:1\n"
            "message.phase=4:vote\n"
            "message.agent=3:ann\n"
            "message.target=3:ann\n"
            "message.sha256=2:cc\n"
            "created_at_us=7:1000000\n"
            "completed_at_us=7:2000005\n"
            "signature.algorithm=11:HMAC-SHA256\n"
            "signature.key_id=16:0123456789abcdef\n");
}

TEST(Receipt, ResultCanonicalBytesArePinned) {
  v1::DebateResult r;
  r.set_id("1");
  r.set_question("Q?");
  r.set_protocol(v1::Protocol::full);
  r.set_consensus(v1::ConsensusMethod::judge);
  r.set_status(v1::Status::consensus_reached);
  r.set_verdict(v1::Verdict::approved_with_conditions);
  r.set_confidence(0.5);
  r.set_consensus_reached(true);
  r.set_winner("bo");
  r.set_final_answer("yes");
  r.set_method_used("judge");
  r.set_judge("ann");
  auto* d = r.add_dissenting_views();
  d->set_agent("ann");
  d->set_choice("ann");
  d->set_reasoning("r");
  auto* a = r.add_agents();
  a->set_name("ann");
  a->set_provider("mock");
  a->set_option("critical");
  a->set_calls(3);
  a->set_failures(1);
  a->set_contributing(true);
  a->set_tokens_in(10);
  a->set_tokens_out(20);
  a->set_cost_usd(0.00006);
  r.add_agents_requested("ann");
  r.add_agents_failed("ann");
  r.add_agents_contributing("ann");
  r.set_rounds_used(2);
  r.set_agent_calls(3);
  r.set_failed_calls(1);
  r.set_tokens_in(10);
  r.set_tokens_out(20);
  r.set_cost_usd(0.00006);
  r.set_duration_ms(12.5);
  auto* c = r.mutable_convergence();
  c->set_status(v1::ConvergenceStatus::refining);
  c->set_min_similarity(0.25);
  c->set_avg_similarity(0.5);
  (*c->mutable_per_agent())["bo"] = 0.75;
  (*c->mutable_per_agent())["ann"] = 0.25;
  c->set_round(2);
  auto* m = r.add_messages();
  m->set_round(1);
  m->set_phase(v1::Phase::propose);
  m->set_agent("ann");
  m->set_text("hi");
  m->mutable_timestamp()->set_seconds(1);
  m->set_tokens(4);
  m->set_tokens_in(5);
  m->set_cost_usd(0.1);
  auto* v = r.add_votes();
  v->set_agent("ann");
  v->set_choice("bo");
  v->set_confidence(0.8);
  r.mutable_receipt()->set_id("not covered");
  r.mutable_created_at()->set_seconds(1);
  r.mutable_completed_at()->set_seconds(3);
  r.set_seed(7);
  r.set_error("");
  // The message is represented by the digest of its v1 message encoding.
  auto message_hex = crypto::to_hex(crypto::sha256(
      "message=2:v1\nround=1:1\nphase=7:propose\nagent=3:ann\ntarget=0:\n"
      "at_us=7:1000000\ntext=2:hi\n"));
  EXPECT_EQ(message_hex, crypto::to_hex(message_digest(fields_of(*m, ""))));
  auto answer_hex = crypto::to_hex(crypto::sha256("yes"));
  EXPECT_EQ(canonical_result(r),
            "result=2:v2\n"
            "id=1:1\n"
            "question=2:Q?\n"
            "protocol=4:full\n"
            "consensus=5:judge\n"
            "status=17:consensus_reached\n"
            "verdict=24:approved_with_conditions\n"
            "confidence=8:0.500000\n"
            "consensus_reached=1:1\n"
            "winner=2:bo\n"
            "final_answer_sha256=64:" + answer_hex + "\n"
            "method_used=5:judge\n"
            "judge=3:ann\n"
            "dissenting_views=1:1\n"
            "dissent.agent=3:ann\n"
            "dissent.choice=3:ann\n"
            "dissent.reasoning=1:r\n"
            "agents=1:1\n"
            "agent.name=3:ann\n"
            "agent.provider=4:mock\n"
            "agent.option=8:critical\n"
            "agent.calls=1:3\n"
            "agent.failures=1:1\n"
            "agent.contributing=1:1\n"
            "agent.tokens_in=2:10\n"
            "agent.tokens_out=2:20\n"
            "agent.cost_usd=8:0.000060\n"
            "agents_requested=1:1\n"
            "name=3:ann\n"
            "agents_failed=1:1\n"
            "name=3:ann\n"
            "agents_contributing=1:1\n"
            "name=3:ann\n"
            "rounds_used=1:2\n"
            "agent_calls=1:3\n"
            "failed_calls=1:1\n"
            "tokens_in=2:10\n"
            "tokens_out=2:20\n"
            "cost_usd=8:0.000060\n"
            "duration_ms=9:12.500000\n"
            "convergence.status=8:refining\n"
            "convergence.min_similarity=8:0.250000\n"
            "convergence.avg_similarity=8:0.500000\n"
            "convergence.per_agent=1:2\n"
            "similarity.agent=3:ann\n"
            "similarity.value=8:0.250000\n"
            "similarity.agent=2:bo\n"
            "similarity.value=8:0.750000\n"
            "convergence.round=1:2\n"
            "messages=1:1\n"
            "message=77:" + message_hex + ",4,5,0.100000\n"
            "votes=1:1\n"
            "vote.agent=3:ann\n"
            "vote.choice=2:bo\n"
            "vote.confidence=8:0.800000\n"
            "vote.reasoning=0:\n"
            "created_at_us=7:1000000\n"
            "completed_at_us=7:3000000\n"
            "seed=1:7\n"
            "error=0:\n");
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
                             1e-7, -1e-7, 999999.9999995, 123456789.123456789, 1e11,
                             8589934591.999999, 8589934592.5, 5e11 + 0.123, 1e300,
                             -std::numeric_limits<double>::max()};
  for (int i = 0; i < 100'000; ++i) {
    values.push_back(wide(rng));
    values.push_back(unit(rng));
  }
  for (double v : values) {
    canonical_writer w;
    w.field("x", v);
    char expected[400];
    int n = std::snprintf(expected, sizeof expected, "%.6f", canonical_double(v));
    std::string want = "x=" + std::to_string(n) + ":" + std::string(expected, n) + "\n";
    ASSERT_EQ(w.bytes(), want) << v;
  }
}

TEST(Canonical, RoundedNumbersAreCanonicalAndNothingElseIs) {
  // Verification refuses a number that is not canonical: what the sealer rounds must pass, and
  // any two numbers that pass must encode differently.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> wide(-1e10, 1e10), unit(0, 1);
  std::vector<double> values{0.0, 1.0, 0.1, 2.0 / 3.0, 1e-6, 8589934591.999999, 8589934592.0,
                             1e15 + 0.5, 1e300};
  for (int i = 0; i < 100'000; ++i) {
    values.push_back(wide(rng));
    values.push_back(unit(rng));
  }
  for (double v : values) {
    auto r = canonical_double(v);
    ASSERT_TRUE(is_canonical_double(r)) << v;
    auto next = std::nextafter(r, 1e308);
    if (is_canonical_double(next)) {
      canonical_writer a, b;
      a.field("x", r);
      b.field("x", next);
      ASSERT_NE(a.bytes(), b.bytes()) << v;
    }
  }
  for (double bad : {-0.0, 0.1234567, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(), std::nextafter(0.5, 1.0)})
    EXPECT_FALSE(is_canonical_double(bad)) << bad;
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

TEST(Canonical, HashingModeHashesExactlyTheCollectedBytes) {
  // The hashing writer buffers small fields and hashes large values where they lie; a large
  // value that still fits the buffer must not be hashed before the bytes buffered ahead of it.
  for (size_t first : {10u, 100u, 200u, 480u}) {
    for (size_t big = 250; big <= 600; big += 7) {
      std::string a(first, 'a');
      std::string b(big, 'b');
      canonical_writer collect;
      crypto::sha256_hasher h;
      {
        canonical_writer hashing{h};
        for (auto* w : {&collect, &hashing}) {
          w->field("a", a);
          w->field("seed", uint64_t{7});
          w->field("error", b);
          w->field("tail", "t");
        }
        hashing.flush();
      }
      ASSERT_EQ(crypto::to_hex(h.finish()), crypto::to_hex(crypto::sha256(collect.bytes())))
          << first << " then " << big;
    }
  }
}

}  // namespace
}  // namespace aragora::debate
