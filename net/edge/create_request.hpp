#pragma once
// The body of POST /api/v1/debates as the aragora clients send it (client-contract §3): `task`
// or `question`, `agents` as a list or a comma-separated string of agent specs, `rounds`,
// `consensus`, `protocol` (a name or an object of these fields), `context`, and more; unknown
// fields are ignored. Pure: the node's defaults come in as the base spec.

#include <string_view>

#include "actors/debate/types.hpp"
#include "net/edge/api_error.hpp"

namespace aragora::edge {

/// The debate a create request asks for: `base` (the node's defaults) with the request's fields,
/// validated as `aragora ask` validates its flags. Errors: invalid_json, missing_field (no task),
/// invalid_value (naming the field and what it accepts).
[[nodiscard]] api_result<debate::debate_spec> parse_create(std::string_view body,
                                                           debate::debate_spec base);

}  // namespace aragora::edge
