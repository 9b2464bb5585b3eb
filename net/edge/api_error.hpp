#pragma once
// The edge's errors: one stable code per failure, the HTTP status it answers with, and the flat
// body the aragora clients read (`{"error": message, "code": CODE}`, client-contract §4).

#include <cstdint>
#include <string_view>

#include "runtime/base/error/error.hpp"

namespace aragora::edge {

enum class api_errc : uint8_t {
  invalid_json,        // 400: the body is not a JSON object
  missing_field,       // 400: a required field is absent or empty
  invalid_value,       // 400: a field (or path segment, query parameter) has a bad value
  auth_required,       // 401: no token where one is needed
  invalid_token,       // 401: a token that matches none
  forbidden,           // 403: the token's role is too low
  not_found,           // 404
  method_not_allowed,  // 405
  conflict,            // 409: e.g. cancelling a debate that has ended
  payload_too_large,   // 413
  headers_too_large,   // 431
  rate_limited,        // 429, with Retry-After
  internal,            // 500
  at_capacity,         // 503: the node refuses more debates now
  unavailable,         // 503: the store (or the node) cannot serve
};

/// The code clients see: "INVALID_JSON", "NOT_FOUND", ... (never changes).
[[nodiscard]] std::string_view to_string(api_errc e);
[[nodiscard]] unsigned http_status(api_errc e);

using api_error = error<api_errc>;
template <class T>
using api_result = expected<T, api_errc>;

}  // namespace aragora::edge
