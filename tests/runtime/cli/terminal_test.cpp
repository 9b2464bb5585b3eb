#include "runtime/cli/terminal.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace aragora::cli {
namespace {

const std::string fffd = "\xEF\xBF\xBD";

TEST(Printable, ControlCharactersAndBrokenUtf8BecomeReplacementCharacters) {
  EXPECT_EQ(printable("plain text\nnext\tcolumn"), "plain text\nnext\tcolumn");
  EXPECT_EQ(printable("caf\xC3\xA9 \xE2\x82\xAC"), "caf\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(printable("\x1B[2J"), fffd + "[2J");
  EXPECT_EQ(printable("\x1B]0;title\x07"), fffd + "]0;title" + fffd);
  EXPECT_EQ(printable("a\rb"), "a" + fffd + "b");
  EXPECT_EQ(printable(std::string("nul\0", 4)), "nul" + fffd);
  EXPECT_EQ(printable("del\x7F"), "del" + fffd);
  EXPECT_EQ(printable("\xC2\x9B" "31m"), fffd + "31m");   // C1 CSI
  EXPECT_EQ(printable("\xC2\x85"), fffd);                 // C1 NEL
  EXPECT_EQ(printable("\xC2\xA0"), "\xC2\xA0");           // no-break space is text
  EXPECT_EQ(printable("\x9B" "31m"), fffd + "31m");        // a lone C1 byte (8-bit terminals)
  EXPECT_EQ(printable("ab\xE2\x82"), "ab" + fffd + fffd);
}

TEST(Printable, ExcerptsAreSingleLineAndPrintable) {
  EXPECT_EQ(excerpt("line one\nline\ttwo\r", 100), "line one line two ");
  EXPECT_EQ(excerpt("\x1B[31mred", 100), fffd + "[31mred");
  EXPECT_EQ(excerpt("abcdef", 3), "abc...");
}

TEST(Printable, ThePrinterShowsStoredTextSafely) {
  v1::Event e;
  e.set_type(v1::EventType::agent_message);
  e.set_debate_id("d\x1B");
  auto* m = e.mutable_message();
  m->set_agent("evil\x1B]0;x\x07");
  m->set_phase(v1::Phase::propose);
  m->set_text("hello \x1B[2J world");
  std::ostringstream out;
  terminal_printer{out, false}.print(e);
  EXPECT_EQ(out.str().find('\x1B'), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find('\x07'), std::string::npos) << out.str();
  v1::DebateResult r;
  r.set_winner("w\x1B");
  r.set_error("why\x1B[2J");
  std::ostringstream res;
  terminal_printer{res, false}.print_result(r);
  EXPECT_EQ(res.str().find('\x1B'), std::string::npos) << res.str();
}

}  // namespace
}  // namespace aragora::cli
