#include "net/edge/auth/role.hpp"

namespace aragora::edge {

std::string_view to_string(role r) {
  switch (r) {
    case role::read: return "read";
    case role::write: return "write";
    case role::admin: return "admin";
  }
  return "unknown";
}

std::optional<role> parse_role(std::string_view name) {
  for (role r : {role::read, role::write, role::admin})
    if (name == to_string(r)) return r;
  return std::nullopt;
}

}  // namespace aragora::edge
