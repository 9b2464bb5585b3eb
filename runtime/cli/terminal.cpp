#include "runtime/cli/terminal.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ostream>

#include "runtime/base/text/utf8.hpp"

namespace aragora::cli {

namespace {

constexpr const char* bold = "1";
constexpr const char* dim = "2";
constexpr const char* red = "31";
constexpr const char* green = "32";
constexpr const char* yellow = "33";
constexpr const char* cyan = "36";

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

const char* verb(v1::Phase::Value p) {
  switch (p) {
    case v1::Phase::propose: return "proposes";
    case v1::Phase::revise: return "revises";
    case v1::Phase::judge: return "judges";
    default: return "says";
  }
}

}  // namespace

bool stdout_wants_color() {
  if (std::getenv("NO_COLOR")) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(STDOUT_FILENO) == 1;
}

std::string printable(std::string_view text) {
  constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    auto n = text::utf8_sequence_length(text.substr(i));
    bool control = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F ||
                   // C1 controls U+0080..U+009F, encoded C2 80..C2 9F
                   (n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0);
    if (n == 0 || control) {
      out += replacement;
      i += n == 0 ? 1 : n;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string excerpt(std::string_view text, size_t max) {
  std::string cut{text::utf8_prefix(text, max)};
  std::replace_if(cut.begin(), cut.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; },
                  ' ');
  auto out = printable(cut);
  if (text.size() > max) out += "...";
  return out;
}

std::string terminal_printer::paint(std::string_view text, const char* code) const {
  if (!color_) return std::string{text};
  return std::string{"\x1b["} + code + "m" + std::string{text} + "\x1b[0m";
}

void terminal_printer::print(const v1::Event& e) {
  switch (e.type()) {
    case v1::EventType::debate_start: {
      const auto& s = e.start();
      std::string agents;
      for (const auto& a : s.agents()) {
        if (!agents.empty()) agents += ", ";
        agents += printable(a.name());
      }
      out_ << paint("Debate " + printable(e.debate_id()), bold) << "  "
           << v1::Protocol::Value_Name(s.protocol()) << " protocol, "
           << v1::ConsensusMethod::Value_Name(s.consensus()) << " consensus, up to " << s.rounds()
           << " round" << (s.rounds() == 1 ? "" : "s") << "\n"
           << "Question: " << excerpt(s.question(), 300) << "\n"
           << "Agents:   " << agents << "\n";
      break;
    }
    case v1::EventType::round_start:
      out_ << "\n" << paint("-- Round " + std::to_string(e.round()) + " --", cyan) << "\n";
      break;
    case v1::EventType::agent_message: {
      const auto& m = e.message();
      out_ << "  " << paint(printable(m.agent()), bold) << " " << verb(m.phase()) << ": "
           << excerpt(m.text(), 200) << "\n";
      break;
    }
    case v1::EventType::critique: {
      const auto& m = e.message();
      out_ << "  " << paint(printable(m.agent()), bold) << " -> " << printable(m.target()) << " "
           << paint("(severity " + fixed(m.critique().severity(), 1) + ")", dim) << ": "
           << excerpt(m.text(), 160) << "\n";
      break;
    }
    case v1::EventType::vote: {
      const auto& m = e.message();
      out_ << "  " << paint(printable(m.agent()), bold) << " votes for "
           << paint(printable(m.vote().choice()), bold)
           << " " << paint("(confidence " + fixed(m.vote().confidence(), 2) + ")", dim) << "\n";
      break;
    }
    case v1::EventType::agent_error:
      out_ << "  " << paint("! " + printable(e.agent()) + " failed to " +
                                 v1::Phase::Value_Name(e.error().phase()), red)
           << ": " << printable(e.error().code()) << " (" << excerpt(e.error().message(), 160)
           << ")\n";
      break;
    case v1::EventType::convergence: {
      const auto& c = e.convergence();
      out_ << "  convergence: " << v1::ConvergenceStatus::Value_Name(c.status()) << " (min "
           << fixed(c.min_similarity(), 2) << ", avg " << fixed(c.avg_similarity(), 2) << ")\n";
      break;
    }
    case v1::EventType::consensus: {
      const auto& c = e.consensus();
      std::string line = "consensus (" + printable(c.method()) + "): ";
      if (c.reached())
        line += "reached, confidence " + fixed(c.confidence(), 2) + " -> " + printable(c.winner());
      else if (c.status() == v1::Status::insufficient_participation)
        line += "insufficient participation (" + std::to_string(c.votes()) + " of " +
                std::to_string(c.quorum()) + " votes needed)";
      else
        line += "not reached (leader share " + fixed(c.confidence(), 2) + ")";
      out_ << "  " << paint(line, c.reached() ? green : yellow) << "\n";
      break;
    }
    default:
      break;
  }
  out_.flush();
}

void terminal_printer::print_result(const v1::DebateResult& r) {
  // Only the mock's cost is made up.
  bool simulated = std::all_of(r.agents().begin(), r.agents().end(),
                               [](const v1::AgentReport& a) { return a.provider() == "mock"; });
  auto verdict = v1::Verdict::Value_Name(r.verdict());
  const char* color = r.verdict() == v1::Verdict::approved ? green
                      : r.verdict() == v1::Verdict::rejected ? red
                                                                   : yellow;
  out_ << "\n"
       << paint("Verdict: " + verdict, color) << "  confidence "
       << fixed(r.confidence(), 2) << "  status " << v1::Status::Value_Name(r.status())
       << "\n";
  if (!r.winner().empty()) out_ << "Winner:  " << printable(r.winner()) << "\n";
  if (!r.error().empty()) out_ << "Reason:  " << printable(r.error()) << "\n";
  if (!r.final_answer().empty()) out_ << "Answer:  " << excerpt(r.final_answer(), 400) << "\n";
  out_ << "Agents:  " << r.agents_requested_size() << " requested, " << r.agents_failed_size()
       << " with failures, " << r.agents_contributing_size() << " contributing; "
       << r.agent_calls() << " calls (" << r.failed_calls() << " failed) in " << r.rounds_used()
       << " round" << (r.rounds_used() == 1 ? "" : "s") << "\n"
       << "Cost:    " << r.tokens_in() << " tokens in, " << r.tokens_out() << " out, $"
       << fixed(r.cost_usd(), 4) << (simulated ? " (simulated), " : ", ") << fixed(r.duration_ms(), 1) << " ms\n"
       << (r.compressed_calls() ? "Context: " + std::to_string(r.compressed_calls()) +
                                       " calls' history compressed to " + fixed(r.compression_ratio() * 100, 0) +
                                       "% of its length\n"
                                 : std::string{})
       << "Receipt: " << printable(r.receipt().id()) << "  sha256 "
       << printable(r.receipt().sha256()) << "\n";
  out_.flush();
}

}  // namespace aragora::cli
