// What a WebSocket client's text message asks (label unit): the control messages as ws_session
// acts on them (client-contract §5), and what it ignores.

#include <gtest/gtest.h>

#include "net/edge/ws_protocol.hpp"

namespace aragora::edge {
namespace {

template <class T>
const T& as(const ws_client_message& m) {
  EXPECT_TRUE(std::holds_alternative<T>(m)) << "alternative " << m.index();
  static const T none{};
  auto* p = std::get_if<T>(&m);
  return p ? *p : none;
}

TEST(WsProtocol, PingEchoesANumericTimestampOnly) {
  EXPECT_EQ(as<ws_ping>(parse_client_message(R"({"type":"ping","timestamp":1764201600123})")).client_ts,
            1764201600123.0);
  EXPECT_EQ(as<ws_ping>(parse_client_message(R"({"type":"ping","timestamp":"soon"})")).client_ts, 0);
  EXPECT_EQ(as<ws_ping>(parse_client_message(R"({"type":"ping"})")).client_ts, 0);
}

TEST(WsProtocol, SubscribeTakesLoopIdAndReplayFromSeqAsAliases) {
  auto s = as<ws_subscribe>(parse_client_message(R"({"type":"subscribe","debate_id":"d1","after_seq":3})"));
  EXPECT_EQ(s.debate_id, "d1");
  EXPECT_EQ(s.after, 3u);
  s = as<ws_subscribe>(parse_client_message(R"({"type":"subscribe","debate_id":"","loop_id":"d2","replay_from_seq":7.9})"));
  EXPECT_EQ(s.debate_id, "d2");
  EXPECT_EQ(s.after, 7u);
  // The later key wins when it is valid; a seq outside (0, 2^32) counts as none.
  EXPECT_EQ(as<ws_subscribe>(parse_client_message(R"({"type":"subscribe","debate_id":"d","after_seq":3,"replay_from_seq":5})")).after, 5u);
  EXPECT_EQ(as<ws_subscribe>(parse_client_message(R"({"type":"subscribe","debate_id":"d","after_seq":3,"replay_from_seq":-1})")).after, 3u);
  EXPECT_EQ(as<ws_subscribe>(parse_client_message(R"({"type":"subscribe","debate_id":"d","after_seq":4294967296})")).after, 0u);
}

TEST(WsProtocol, UnsubscribeNamesItsDebate) {
  EXPECT_EQ(as<ws_unsubscribe>(parse_client_message(R"({"type":"unsubscribe","debate_id":"d1"})")).debate_id, "d1");
}

TEST(WsProtocol, AnythingElseIsIgnoredNotAnswered) {
  for (const char* text : {"", "not json", "[1]", R"({"type":1})", R"({"kind":"ping"})",
                           R"({"type":"subscribe"})", R"({"type":"subscribe","debate_id":7})",
                           R"({"type":"unsubscribe"})", R"({"type":"resume","debate_id":"d"})",
                           R"({"type":"ping")"})
    EXPECT_TRUE(std::holds_alternative<ws_ignored>(parse_client_message(text))) << text;
}

TEST(WsProtocol, TheTargetsSubscriptionNeedsADebateId) {
  auto s = subscribe_in_target("/ws?debate_id=d%201&after_seq=9&token=x");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->debate_id, "d 1");
  EXPECT_EQ(s->after, 9u);
  EXPECT_EQ(subscribe_in_target("/ws?debate_id=d&after_seq=-2")->after, 0u);  // malformed: from the start
  EXPECT_FALSE(subscribe_in_target("/ws"));
  EXPECT_FALSE(subscribe_in_target("/ws?debate_id="));
}

}  // namespace
}  // namespace aragora::edge
