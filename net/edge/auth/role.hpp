#pragma once
// Roles of the edge's principals. Hierarchical: each role may do everything the ones below it may.

#include <cstdint>
#include <optional>
#include <string_view>

namespace aragora::edge {

/// read < write < admin. The numbers order the roles; they are not a wire format.
enum class role : uint8_t { read = 1, write = 2, admin = 3 };

/// "read", "write", "admin": the names in YAML, the token file and logs.
[[nodiscard]] std::string_view to_string(role r);

/// The role named exactly (lower case) `name`, or nullopt.
[[nodiscard]] std::optional<role> parse_role(std::string_view name);

/// Whether a principal with role `granted` may do what needs `required`.
[[nodiscard]] constexpr bool permits(role granted, role required) {
  return static_cast<uint8_t>(granted) >= static_cast<uint8_t>(required);
}

}  // namespace aragora::edge
