#include "runtime/cli/terminal.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ostream>

#include "runtime/text/utf8.hpp"

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

std::string excerpt(std::string_view text, size_t max) {
  std::string out{text::utf8_prefix(text, max)};
  std::replace_if(out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; },
                  ' ');
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
        agents += a.name();
      }
      out_ << paint("Debate " + e.debate_id(), bold) << "  "
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
      out_ << "  " << paint(m.agent(), bold) << " " << verb(m.phase()) << ": "
           << excerpt(m.text(), 200) << "\n";
      break;
    }
    case v1::EventType::critique: {
      const auto& m = e.message();
      out_ << "  " << paint(m.agent(), bold) << " -> " << m.target() << " "
           << paint("(severity " + fixed(m.critique().severity(), 1) + ")", dim) << ": "
           << excerpt(m.text(), 160) << "\n";
      break;
    }
    case v1::EventType::vote: {
      const auto& m = e.message();
      out_ << "  " << paint(m.agent(), bold) << " votes for " << paint(m.vote().choice(), bold)
           << " " << paint("(confidence " + fixed(m.vote().confidence(), 2) + ")", dim) << "\n";
      break;
    }
    case v1::EventType::agent_error:
      out_ << "  " << paint("! " + e.agent() + " failed to " +
                                 v1::Phase::Value_Name(e.error().phase()), red)
           << ": " << e.error().code() << " (" << excerpt(e.error().message(), 160) << ")\n";
      break;
    case v1::EventType::convergence: {
      const auto& c = e.convergence();
      out_ << "  convergence: " << v1::ConvergenceStatus::Value_Name(c.status()) << " (min "
           << fixed(c.min_similarity(), 2) << ", avg " << fixed(c.avg_similarity(), 2) << ")\n";
      break;
    }
    case v1::EventType::consensus: {
      const auto& c = e.consensus();
      std::string line = "consensus (" + c.method() + "): ";
      if (c.reached())
        line += "reached, confidence " + fixed(c.confidence(), 2) + " -> " + c.winner();
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
  auto verdict = v1::Verdict::Value_Name(r.verdict());
  const char* color = r.verdict() == v1::Verdict::approved ? green
                      : r.verdict() == v1::Verdict::rejected ? red
                                                                   : yellow;
  out_ << "\n"
       << paint("Verdict: " + verdict, color) << "  confidence "
       << fixed(r.confidence(), 2) << "  status " << v1::Status::Value_Name(r.status())
       << "\n";
  if (!r.winner().empty()) out_ << "Winner:  " << r.winner() << "\n";
  if (!r.error().empty()) out_ << "Reason:  " << r.error() << "\n";
  if (!r.final_answer().empty()) out_ << "Answer:  " << excerpt(r.final_answer(), 400) << "\n";
  out_ << "Agents:  " << r.agents_requested_size() << " requested, " << r.agents_failed_size()
       << " with failures, " << r.agents_contributing_size() << " contributing; "
       << r.agent_calls() << " calls (" << r.failed_calls() << " failed) in " << r.rounds_used()
       << " round" << (r.rounds_used() == 1 ? "" : "s") << "\n"
       << "Cost:    " << r.tokens_in() << " tokens in, " << r.tokens_out() << " out, $"
       << fixed(r.cost_usd(), 4) << " (simulated), " << fixed(r.duration_ms(), 1) << " ms\n"
       << "Receipt: " << r.receipt().id() << "  sha256 " << r.receipt().sha256() << "\n";
  out_.flush();
}

}  // namespace aragora::cli
