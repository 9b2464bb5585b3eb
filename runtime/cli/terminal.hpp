#pragma once
// Human-readable rendering of debate events and results for the terminal.

#include <iosfwd>
#include <string>

#include "aragora/v1/debate.pb.h"

namespace aragora::cli {

class terminal_printer {
public:
  terminal_printer(std::ostream& out, bool color) : out_(out), color_(color) {}

  void print(const v1::Event& e);
  void print_result(const v1::DebateResult& r);

private:
  [[nodiscard]] std::string paint(std::string_view text, const char* code) const;

  std::ostream& out_;
  bool color_;
};

/// True when stdout is a terminal that accepts colors (NO_COLOR and TERM=dumb turn them off).
[[nodiscard]] bool stdout_wants_color();

/// `text` safe to print on a terminal: control characters (C0 but newline and tab, DEL, C1) and
/// bytes that are not UTF-8 become U+FFFD, so stored text cannot carry escape sequences that
/// rewrite the screen or the window title. For human output only; --json prints the text as is.
[[nodiscard]] std::string printable(std::string_view text);

/// A single-line, printable excerpt of at most `max` bytes of `text`, cut on a UTF-8 boundary,
/// "..." when cut.
[[nodiscard]] std::string excerpt(std::string_view text, size_t max);

}  // namespace aragora::cli
