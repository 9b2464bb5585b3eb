#pragma once
// `aragora-admin`: the operator's commands against a running edge, through the client library
// (net/client). Human tables by default, the edge's JSON with --json. Exit codes say what failed.

#include <iosfwd>
#include <string>
#include <vector>

namespace aragora::admin {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;        // the edge refused (unknown node, degraded health)
inline constexpr int exit_usage = 2;         // bad command line
inline constexpr int exit_unreachable = 3;   // no edge at the endpoint (or it did not answer)
inline constexpr int exit_unauthorised = 4;  // no token, a wrong one, or one without the role

/// Runs one command line (argv without the program name). `env_endpoint` and `env_token` are
/// ARAGORA_ENDPOINT and ARAGORA_TOKEN (empty when unset): the flags win.
[[nodiscard]] int run(const std::vector<std::string>& args, const std::string& env_endpoint,
                      const std::string& env_token, std::ostream& out, std::ostream& err);

/// A table: headers, then rows, columns padded to their widest cell.
[[nodiscard]] std::string render_table(const std::vector<std::string>& headers,
                                       const std::vector<std::vector<std::string>>& rows);

}  // namespace aragora::admin
