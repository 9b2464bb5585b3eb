#pragma once
// Blanking secrets (API keys, the receipt signing key) out of text that leaves the process: error
// messages, replies, log lines. A leaf: the standard library only, header-only.

#include <string>
#include <string_view>
#include <vector>

namespace aragora::text {

inline constexpr std::string_view redacted = "[redacted]";

/// `msg` with every occurrence of every secret replaced by "[redacted]". Secrets shorter than
/// `min_length` are left alone: too short to tell from ordinary text.
[[nodiscard]] inline std::string redact(std::string msg, const std::vector<std::string>& secrets,
                                        size_t min_length = 4) {
  for (const auto& k : secrets) {
    if (k.size() < min_length) continue;
    // Resumes after the replacement: a secret inside "[redacted]" cannot loop.
    for (size_t at = 0; (at = msg.find(k, at)) != std::string::npos; at += redacted.size())
      msg.replace(at, k.size(), redacted);
  }
  return msg;
}

}  // namespace aragora::text
