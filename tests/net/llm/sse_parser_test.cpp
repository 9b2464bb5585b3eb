// Server-sent events split anywhere (label unit).

#include <gtest/gtest.h>

#include <vector>

#include "net/llm/sse_parser.hpp"

namespace aragora::llm {
namespace {

std::vector<sse_event> parse_in_pieces(std::string_view stream, size_t piece) {
  sse_parser p;
  std::vector<sse_event> out;
  for (size_t i = 0; i < stream.size(); i += piece)
    EXPECT_TRUE(p.feed(stream.substr(i, piece), [&](const sse_event& e) { out.push_back(e); }));
  return out;
}

TEST(SseParser, EventsComeOutWholeHoweverTheBytesAreSplit) {
  const std::string stream =
      ": keep-alive\r\n\r\n"
      "event: message_start\r\ndata: {\"a\":1}\r\n\r\n"
      "data: line one\ndata:line two\n\n"
      "id: 7\nretry: 100\ndata: x\r\r"
      "event: ping\n\n"  // no data: not dispatched
      "data: [DONE]\n\n";
  for (size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
    auto events = parse_in_pieces(stream, piece);
    ASSERT_EQ(events.size(), 4u) << "pieces of " << piece;
    EXPECT_EQ(events[0].name, "message_start");
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].name, "message");
    EXPECT_EQ(events[1].data, "line one\nline two");
    EXPECT_EQ(events[2].data, "x");
    EXPECT_EQ(events[3].data, "[DONE]");
  }
}

TEST(SseParser, AByteOrderMarkAtTheStartIsNotPartOfTheFirstField) {
  const std::string stream = "\xEF\xBB\xBF" "data: first\n\ndata: \xEF\xBB\xBF kept\n\n";
  for (size_t piece : {1u, 2u, 4u, 1000u}) {
    auto events = parse_in_pieces(stream, piece);
    ASSERT_EQ(events.size(), 2u) << piece;
    EXPECT_EQ(events[0].data, "first");
    EXPECT_EQ(events[1].data, "\xEF\xBB\xBF kept");
  }
  auto plain = parse_in_pieces("\xEF" "data: x\n\n", 1);  // not a BOM: an unknown field, ignored
  EXPECT_TRUE(plain.empty());
}

TEST(SseParser, AnIncompleteEventIsNotDispatchedAndAnOversizedOneBreaksTheStream) {
  sse_parser p{64};
  std::vector<sse_event> out;
  auto on = [&](const sse_event& e) { out.push_back(e); };
  EXPECT_TRUE(p.feed("data: half", on));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(p.feed("\n\n", on));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "half");
  // Many short data lines that add up past the bound fail as one long line does.
  std::string many;
  for (int i = 0; i < 20; ++i) many += "data: 0123456789\n";
  EXPECT_FALSE(p.feed(many, on));
  EXPECT_TRUE(p.failed());
  EXPECT_FALSE(p.feed("\n\ndata: later\n\n", on));
  EXPECT_EQ(out.size(), 1u);
  sse_parser q{64};
  EXPECT_FALSE(q.feed(std::string(100, 'x'), on));
}

}  // namespace
}  // namespace aragora::llm
