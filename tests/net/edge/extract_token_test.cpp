// Where a request carries its token: each of the three carriers, their order, what counts as
// absent, and that an access-log target never shows a token extract_token would read.

#include <gtest/gtest.h>

#include "net/edge/auth/extract_token.hpp"

namespace aragora::edge {
namespace {

std::optional<std::string> token_of(std::string_view authorization, std::string_view query = {},
                                    std::string_view protocol = {}) {
  auto t = extract_token(authorization, query, protocol);
  if (!t) return std::nullopt;
  return t->token;
}

TEST(ExtractToken, BearerHeaderWithTheSchemeInAnyCase) {
  auto t = extract_token("Bearer abc.DEF-123", "", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->token, "abc.DEF-123");
  EXPECT_EQ(t->carrier, token_carrier::authorization);
  EXPECT_EQ(t->echo_protocol, "");
  EXPECT_EQ(token_of("bearer abc"), "abc");
  EXPECT_EQ(token_of("BEARER abc"), "abc");
  EXPECT_EQ(token_of("  bEaReR \t abc  "), "abc");
  EXPECT_EQ(token_of("Bearer a+b/c=="), "a+b/c==");  // b64token characters, not decoded
}

TEST(ExtractToken, AnythingButABearerTokenInTheHeaderIsNoToken) {
  EXPECT_EQ(token_of(""), std::nullopt);
  EXPECT_EQ(token_of("Bearer"), std::nullopt);
  EXPECT_EQ(token_of("Bearer   "), std::nullopt);
  EXPECT_EQ(token_of("Bearerabc"), std::nullopt);
  EXPECT_EQ(token_of("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), std::nullopt);
  EXPECT_EQ(token_of("Bearer two parts"), std::nullopt);
  EXPECT_EQ(token_of("Bearer tok\x7f"), std::nullopt);
  EXPECT_EQ(token_of("abc"), std::nullopt);
}

TEST(ExtractToken, QueryTokenIsPercentDecoded) {
  auto t = extract_token("", "debate_id=d_1&token=a%2Bb%2fc%3D%3D&x=1", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->token, "a+b/c==");
  EXPECT_EQ(t->carrier, token_carrier::query);
  EXPECT_EQ(t->echo_protocol, "");
  EXPECT_EQ(token_of("", "?token=abc"), "abc");
  EXPECT_EQ(token_of("", "token=abc"), "abc");
  EXPECT_EQ(token_of("", "token=a+b"), "a+b");  // RFC 3986: + is itself
  EXPECT_EQ(token_of("", "%74oken=abc"), "abc");
  EXPECT_EQ(token_of("", "token=first&token=second"), "first");
  EXPECT_EQ(token_of("", "token=abc%26def&x=1"), "abc&def");
}

TEST(ExtractToken, AMangledQueryTokenIsNoToken) {
  EXPECT_EQ(token_of("", "token="), std::nullopt);
  EXPECT_EQ(token_of("", "token"), std::nullopt);
  EXPECT_EQ(token_of("", "token=%zz"), std::nullopt);
  EXPECT_EQ(token_of("", "token=abc%"), std::nullopt);
  EXPECT_EQ(token_of("", "token=abc%4"), std::nullopt);
  EXPECT_EQ(token_of("", "token=a%20b"), std::nullopt);
  EXPECT_EQ(token_of("", "token=a%00b"), std::nullopt);
  EXPECT_EQ(token_of("", "token=a%0Ab"), std::nullopt);
  EXPECT_EQ(token_of("", "xtoken=abc&tokens=abc&Token=abc"), std::nullopt);
  EXPECT_EQ(token_of("", "debate_id=d_1"), std::nullopt);
  EXPECT_EQ(token_of("", ""), std::nullopt);
}

TEST(ExtractToken, SubprotocolAmongSeveral) {
  auto t = extract_token("", "", "aragora.protobuf.v1, access_token.s3cr3t_tok, chat");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->token, "s3cr3t_tok");
  EXPECT_EQ(t->carrier, token_carrier::subprotocol);
  EXPECT_EQ(t->echo_protocol, "access_token.s3cr3t_tok");

  EXPECT_EQ(token_of("", "", "access_token.abc"), "abc");
  EXPECT_EQ(token_of("", "", "access_token.abc,access_token.def"), "abc");
  EXPECT_EQ(token_of("", "", "  access_token.abc  ,x"), "abc");
  // An empty one is skipped for the next.
  t = extract_token("", "", "access_token., access_token.def");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->token, "def");
  EXPECT_EQ(t->echo_protocol, "access_token.def");
  EXPECT_EQ(token_of("", "", "access_token."), std::nullopt);
  EXPECT_EQ(token_of("", "", "Access_Token.abc"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(token_of("", "", "x-access_token.abc"), std::nullopt);
  EXPECT_EQ(token_of("", "", "chat, superchat"), std::nullopt);
}

TEST(ExtractToken, HeaderThenSubprotocolThenQuery) {
  auto t = extract_token("Bearer from_header", "token=from_query", "access_token.from_protocol");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->token, "from_header");
  EXPECT_EQ(t->carrier, token_carrier::authorization);
  // The offered protocol is still reported: the handshake must select one of those offered.
  EXPECT_EQ(t->echo_protocol, "access_token.from_protocol");

  t = extract_token("", "token=from_query", "access_token.from_protocol");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->token, "from_protocol");
  EXPECT_EQ(t->carrier, token_carrier::subprotocol);

  // A header that is not Bearer does not hide the other carriers.
  t = extract_token("Basic xyz", "token=from_query", "");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->token, "from_query");
  EXPECT_EQ(t->carrier, token_carrier::query);

  EXPECT_EQ(extract_token("", "", ""), std::nullopt);
}

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(percent_decode("a%2Fb%2fc"), "a/b/c");
  EXPECT_EQ(percent_decode("100%25"), "100%");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode(""), "");
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%G0"), std::nullopt);
}

TEST(RedactTarget, ReplacesEveryTokenValueAndKeepsTheRest) {
  EXPECT_EQ(redact_target("/ws?debate_id=d_1&token=s3cr3t&after_seq=4"),
            "/ws?debate_id=d_1&token=***&after_seq=4");
  EXPECT_EQ(redact_target("/ws?token=s3cr3t"), "/ws?token=***");
  EXPECT_EQ(redact_target("/ws?token=a&x=1&token=b"), "/ws?token=***&x=1&token=***");
  EXPECT_EQ(redact_target("/ws?%74oken=s3cr3t"), "/ws?%74oken=***");
  EXPECT_EQ(redact_target("/ws?token="), "/ws?token=***");
  EXPECT_EQ(redact_target("/ws?token=a=b"), "/ws?token=***");
  EXPECT_EQ(redact_target("/ws?token"), "/ws?token");
  EXPECT_EQ(redact_target("/ws?tokens=x&mytoken=y&Token=z"), "/ws?tokens=x&mytoken=y&Token=z");
  EXPECT_EQ(redact_target("/api/v1/debates?limit=20&offset=0"),
            "/api/v1/debates?limit=20&offset=0");
  EXPECT_EQ(redact_target("/api/v1/health"), "/api/v1/health");
  EXPECT_EQ(redact_target("/ws?"), "/ws?");
  EXPECT_EQ(redact_target("/ws?&&token=x&&"), "/ws?&&token=***&&");
}

TEST(RedactTarget, NeverShowsATokenExtractTokenReads) {
  for (std::string_view target :
       {"/ws?token=plain_token", "/ws?a=1&token=a%2Bb&b=2", "/ws?%74oken=encoded_name",
        "/ws?%74%6F%6B%65%6E=fully_encoded", "/ws?x&token=after_bare&y", "/ws?token=t;x=1"}) {
    auto q = target.find('?');
    auto t = extract_token("", target.substr(q + 1), "");
    ASSERT_TRUE(t) << target;
    auto logged = redact_target(target);
    EXPECT_EQ(logged.find(t->token), std::string::npos) << target << " -> " << logged;
    EXPECT_NE(logged.find("***"), std::string::npos) << logged;
  }
}

}  // namespace
}  // namespace aragora::edge
