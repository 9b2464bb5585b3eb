// The CAF envelope: every kind crosses CAF's binary format unchanged, a local copy shares the
// message, the encoding is pinned, and every bad payload is refused with its stable code.

#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/make_message.hpp>
#include <caf/serializer_impl.hpp>
#include <caf/stream_deserializer.hpp>
#include <caf/streambuf.hpp>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <set>

#include "net/wire/envelope.hpp"
#include "runtime/base/defaults.hpp"
#include "tests/support/wire_samples.hpp"

namespace {

using namespace aragora;
using wire::envelope;
using wire::wire_errc;

caf::execution_unit* const no_context = nullptr;

std::vector<char> save(const envelope& e, caf::error* err = nullptr) {
  std::vector<char> buf;
  caf::binary_serializer sink{no_context, buf};
  auto copy = e;
  auto result = sink(copy);
  if (err)
    *err = std::move(result);
  else
    EXPECT_FALSE(result) << to_string(result);
  return buf;
}

struct loaded {
  caf::error error;
  envelope value;
  size_t left = 0;  // bytes the deserializer did not consume
};

loaded load(const std::vector<char>& buf) {
  loaded out;
  caf::binary_deserializer source{no_context, buf};
  out.error = source(out.value);
  out.left = source.remaining();
  return out;
}

std::vector<char> bytes(std::initializer_list<int> xs) {
  std::vector<char> out;
  for (int x : xs) out.push_back(static_cast<char>(x));
  return out;
}

/// CAF's sequence length: little-endian base-128.
void append_varint(std::vector<char>& out, uint64_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7F) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

std::vector<char> framed(const std::string& payload) {
  std::vector<char> out;
  append_varint(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::string hex(const std::vector<char>& b) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (char c : b) {
    auto u = static_cast<unsigned char>(c);
    out += digits[u >> 4];
    out += digits[u & 15];
  }
  return out;
}

bool same(const v1::Envelope& a, const v1::Envelope& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

std::optional<wire_errc> code_of(const caf::error& e) {
  return wire::wire_code(e);
}

const std::vector<v1::Envelope>& samples() {
  static const auto all = test::wire_samples();
  return all;
}

TEST(Envelope, EveryKindOfTheProtoHasASample) {
  const auto* oneof = v1::Envelope::descriptor()->FindOneofByName("kind");
  ASSERT_NE(oneof, nullptr);
  std::set<int> sampled;
  for (const auto& s : samples()) {
    EXPECT_NE(s.kind_case(), v1::Envelope::KIND_NOT_SET);
    sampled.insert(static_cast<int>(s.kind_case()));
  }
  for (int i = 0; i < oneof->field_count(); ++i)
    EXPECT_TRUE(sampled.count(oneof->field(i)->number()))
        << "no sample of kind " << oneof->field(i)->name() << ": add one to wire_samples()";
  EXPECT_EQ(sampled.size(), static_cast<size_t>(oneof->field_count()));
}

TEST(Envelope, EveryKindRoundTripsThroughCafsBinaryFormat) {
  for (const auto& s : samples()) {
    SCOPED_TRACE(std::string{wire::kind_name(s.kind_case())});
    envelope e{v1::Envelope{s}};
    auto buf = save(e);
    auto back = load(buf);
    ASSERT_FALSE(back.error) << to_string(back.error);
    EXPECT_EQ(back.left, 0u);
    EXPECT_EQ(back.value.kind(), s.kind_case());
    EXPECT_TRUE(same(*back.value, s));
    EXPECT_EQ(save(back.value), buf);  // and it writes the same bytes again
  }
}

TEST(Envelope, TheGenericSerializerAndDeserializerAgreeWithTheBinaryOnes) {
  // BASP uses the binary ones (straight into and out of its buffers); any other takes the
  // generic path through apply_raw. Both must produce and accept the same bytes.
  for (const auto& s : samples()) {
    SCOPED_TRACE(std::string{wire::kind_name(s.kind_case())});
    envelope e{v1::Envelope{s}};
    std::vector<caf::byte> generic;
    caf::serializer_impl<std::vector<caf::byte>> sink{no_context, generic};
    ASSERT_FALSE(sink(e));
    auto binary = save(e);
    ASSERT_EQ(generic.size(), binary.size());
    EXPECT_EQ(std::memcmp(generic.data(), binary.data(), binary.size()), 0);

    caf::stream_deserializer<caf::arraybuf<char>> source{no_context, binary.data(),
                                                         binary.size()};
    envelope back;
    ASSERT_FALSE(source(back));
    EXPECT_TRUE(same(*back, s));
  }
}

TEST(Envelope, EncodingIsPinned) {
  // The envelope is a contract between nodes of different builds: CAF's length, then protobuf.
  v1::Envelope msg;
  auto* batch = msg.mutable_agent_outcomes();
  batch->set_debate_id("d1");
  auto* ok = batch->add_outcomes();
  ok->mutable_key()->set_phase(v1::Phase::vote);
  ok->mutable_key()->set_round(1);
  ok->mutable_key()->set_agent(2);
  ok->set_text("B");
  ok->set_choice(0);
  ok->set_confidence(0.5);
  ok->set_tokens_out(3);
  auto* failed = batch->add_outcomes();
  failed->mutable_key()->set_phase(v1::Phase::critique);
  failed->mutable_key()->set_agent(1);
  failed->mutable_key()->set_target(0);
  failed->set_error("timeout");
  auto buf = save(envelope{std::move(msg)});
  EXPECT_EQ(hex(buf),
            "34"            // CAF: 52 payload bytes
            "ca0231"        // field 41 agent_outcomes, 49 bytes
            "0a026431"      // debate_id "d1"
            "1218"          // outcome 1, 24 bytes
            "0a0608041001"  // key: vote, round 1,
            "1802"          //   agent 2
            "220142"        // text "B"
            "3800"          // choice 0 (set: present although zero)
            "41000000000000e03f"  // confidence 0.5
            "5003"          // tokens_out 3
            "1211"          // outcome 2, 17 bytes
            "0a06080218012000"    // key: critique, agent 1, target 0
            "120774696d656f7574");  // error "timeout"
}

TEST(Envelope, AnEmptyEnvelopeIsOneZeroByteAndRoundTrips) {
  envelope e;
  EXPECT_EQ(e.kind(), v1::Envelope::KIND_NOT_SET);
  auto buf = save(e);
  EXPECT_EQ(buf, bytes({0}));
  auto back = load(buf);
  ASSERT_FALSE(back.error);
  EXPECT_EQ(back.value.kind(), v1::Envelope::KIND_NOT_SET);
  // A null pointer is an empty envelope too, not a crash.
  EXPECT_EQ(envelope{envelope::message_ptr{}}.kind(), v1::Envelope::KIND_NOT_SET);
}

TEST(Envelope, ALocalMessageSharesTheProtobufInsteadOfCopyingIt) {
  envelope e{v1::Envelope{samples().back()}};
  auto msg = caf::make_message(e);
  ASSERT_TRUE(msg.match_elements<envelope>());
  EXPECT_EQ(msg.get_as<envelope>(0).share().get(), e.share().get());
  auto copy = msg;  // what a second local receiver gets
  EXPECT_EQ(copy.get_as<envelope>(0).share().get(), e.share().get());
}

TEST(Envelope, GarbageIsRefusedAsMalformed) {
  auto back = load(framed("\xff\xff\xff\xff"));
  EXPECT_EQ(code_of(back.error), wire_errc::envelope_malformed) << to_string(back.error);
}

TEST(Envelope, InvalidUtf8InAStringFieldIsRefusedAsMalformed) {
  // Envelope.error (36) { code (1): "\xff" }: proto3 strings must be UTF-8.
  google::protobuf::LogSilencer quiet;  // protobuf logs each such string on stderr
  auto back = load(framed(std::string{"\xa2\x02\x03\x0a\x01\xff", 6}));
  EXPECT_EQ(code_of(back.error), wire_errc::envelope_malformed) << to_string(back.error);
}

TEST(Envelope, DeeplyNestedGroupsAreRefusedNotAStackOverflow) {
  // Unknown field 99 as start-group tags, nested 100 000 deep: protobuf's recursion limit.
  std::string payload;
  for (int i = 0; i < 100'000; ++i) payload += "\x9b\x06";  // (99 << 3) | 3
  auto back = load(framed(payload));
  EXPECT_EQ(code_of(back.error), wire_errc::envelope_malformed) << to_string(back.error);
}

TEST(Envelope, AKindFromANewerPeerArrivesAsAnEmptyEnvelope) {
  // Field 99 (length-delimited) is no kind this build knows: kept as an unknown field, the
  // kind is unset, and the receiver answers "unsupported" instead of losing the message silently.
  auto back = load(framed(std::string{"\x9a\x06\x02hi", 5}));
  ASSERT_FALSE(back.error) << to_string(back.error);
  EXPECT_EQ(back.value.kind(), v1::Envelope::KIND_NOT_SET);
  EXPECT_EQ(wire::kind_name(back.value.kind()), "empty");
}

TEST(Envelope, NoLengthIsRefusedAsTruncated) {
  auto back = load({});
  EXPECT_EQ(code_of(back.error), wire_errc::envelope_truncated) << to_string(back.error);
}

TEST(Envelope, ALengthPastTheEndIsRefusedAsTruncated) {
  auto buf = bytes({10, 0x0a, 0x00});
  auto back = load(buf);
  EXPECT_EQ(code_of(back.error), wire_errc::envelope_truncated) << to_string(back.error);
}

TEST(Envelope, EveryCutOfAValidEncodingIsRefusedAsTruncated) {
  auto buf = save(envelope{v1::Envelope{samples()[1]}});
  ASSERT_GT(buf.size(), 10u);
  for (size_t n = 0; n < buf.size(); ++n) {
    auto back = load(std::vector<char>(buf.begin(), buf.begin() + static_cast<long>(n)));
    EXPECT_EQ(code_of(back.error), wire_errc::envelope_truncated) << "cut at " << n;
  }
}

TEST(Envelope, ALengthOverTheLimitIsRefusedBeforeAnythingIsRead) {
  std::vector<char> buf;
  append_varint(buf, defaults::max_envelope_bytes + 1);
  buf.push_back(0x0a);
  auto back = load(buf);
  EXPECT_EQ(code_of(back.error), wire_errc::envelope_too_large) << to_string(back.error);
  // At the limit, the length is accepted (and these few bytes are then too few).
  buf.clear();
  append_varint(buf, defaults::max_envelope_bytes);
  buf.push_back(0x0a);
  back = load(buf);
  EXPECT_EQ(code_of(back.error), wire_errc::envelope_truncated) << to_string(back.error);
}

TEST(Envelope, AnEnvelopeOverTheLimitIsRefusedWhenSent) {
  auto big = [](size_t text_bytes) {
    v1::Envelope m;
    m.mutable_error()->set_message(std::string(text_bytes, 'x'));
    return envelope{std::move(m)};
  };
  // Envelope tag (2) + length (4) + WireError's message tag (1) + length (4) + the text.
  constexpr size_t overhead = 2 + 4 + 1 + 4;
  caf::error err;
  auto buf = save(big(defaults::max_envelope_bytes - overhead + 1), &err);
  EXPECT_EQ(code_of(err), wire_errc::envelope_too_large) << to_string(err);

  buf = save(big(defaults::max_envelope_bytes - overhead), &err);
  ASSERT_FALSE(err) << to_string(err);
  auto back = load(buf);
  ASSERT_FALSE(back.error) << to_string(back.error);
  EXPECT_EQ(back.value->error().message().size(), defaults::max_envelope_bytes - overhead);
}

TEST(Envelope, CorruptedBytesAreRefusedOrReadNeverACrash) {
  // Every byte of a real encoding flipped in turn: each result is a clean refusal or an
  // envelope that writes itself again.
  const v1::Envelope* calls = nullptr;
  for (const auto& s : samples())
    if (s.has_agent_outcomes()) calls = &s;
  ASSERT_NE(calls, nullptr);
  auto buf = save(envelope{v1::Envelope{*calls}});
  google::protobuf::LogSilencer quiet;
  size_t refused = 0;
  for (size_t i = 0; i < buf.size(); ++i) {
    auto bad = buf;
    bad[i] = static_cast<char>(bad[i] ^ 0xff);
    auto back = load(bad);
    if (back.error) {
      EXPECT_TRUE(code_of(back.error).has_value()) << to_string(back.error);
      ++refused;
    } else {
      caf::error again;
      (void)save(back.value, &again);
      EXPECT_FALSE(again) << "byte " << i;
    }
  }
  EXPECT_GT(refused, 0u);
}

TEST(Envelope, ErrorsRenderTheirStableCode) {
  caf::actor_system_config cfg;
  wire::add_wire_types(cfg);
  auto err = wire::make_error(wire_errc::envelope_too_large, "70000000 bytes");
  EXPECT_EQ(wire::wire_code(err), wire_errc::envelope_too_large);
  EXPECT_EQ(err.category(), wire::error_category);
  auto render = cfg.error_renderers.find(wire::error_category);
  ASSERT_NE(render, cfg.error_renderers.end());
  EXPECT_EQ(render->second(err.code(), err.category(), err.context()),
            "wire_error: envelope_too_large (70000000 bytes)");
  EXPECT_FALSE(wire::wire_code(caf::make_error(caf::sec::runtime_error)).has_value());
  for (auto c : {wire_errc::envelope_too_large, wire_errc::envelope_truncated,
                 wire_errc::envelope_malformed, wire_errc::envelope_unserializable,
                 wire_errc::unreadable_message})
    EXPECT_NE(to_string(c), "unknown");
}

TEST(Envelope, ToStringNamesTheKindAndSizeNotTheContent) {
  v1::Envelope m;
  m.mutable_cancel_debate()->set_reason("secret reason");
  auto s = to_string(envelope{std::move(m)});
  EXPECT_EQ(s.rfind("envelope(cancel_debate, ", 0), 0u) << s;
  EXPECT_EQ(s.find("secret"), std::string::npos);
}

}  // namespace
