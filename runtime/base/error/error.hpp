#pragma once
// The one error carrier (docs/architecture.md, "Errors"). Each module keeps its own enum of
// stable codes (`store_errc`, `config_errc`, ...) and a `to_string` naming each code, in its own
// namespace; what a call returns is the same everywhere:
//
//   expected<T, module_errc>               a value, or an error<module_errc>
//   std::optional<error<module_errc>>      nothing, or an error<module_errc> (nullopt = done)
//
// A leaf: the standard library only, header-only.

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace aragora {

/// A stable code of a module's enum and a message for people. `code_name()` is the code as the
/// CLI prints it: the module's `to_string(Errc)`, found by argument-dependent lookup.
template <class Errc>
struct error {
  static_assert(std::is_enum_v<Errc>, "error<Errc>: Errc is a module's enum of codes");
  using code_type = Errc;

  Errc code{};
  std::string message;

  [[nodiscard]] std::string_view code_name() const { return to_string(code); }

  friend bool operator==(const error&, const error&) = default;
};

/// A `T` or the error that prevented it. `Error` is `error<Errc>` unless a module extends it
/// (a struct deriving from `error<Errc>`, such as config::config_error).
template <class T, class Errc, class Error = ::aragora::error<Errc>>
class [[nodiscard]] expected {
  static_assert(std::is_base_of_v<::aragora::error<Errc>, Error>,
                "expected<T, Errc, Error>: Error derives from error<Errc>");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "a value of the error type");

public:
  using value_type = T;
  using error_type = Error;
  using code_type = Errc;

  expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  expected(Error err) : v_(std::in_place_index<1>, std::move(err)) {}

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  [[nodiscard]] bool has_value() const noexcept { return ok(); }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; throws std::bad_variant_access when this holds an error.
  [[nodiscard]] T& value() & { return std::get<0>(v_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }

  /// The error; throws std::bad_variant_access when this holds a value.
  [[nodiscard]] Error& error() & { return std::get<1>(v_); }
  [[nodiscard]] const Error& error() const& { return std::get<1>(v_); }
  [[nodiscard]] Error&& error() && { return std::get<1>(std::move(v_)); }

  /// The error's code; throws std::bad_variant_access when this holds a value.
  [[nodiscard]] Errc code() const { return error().code; }

  [[nodiscard]] T& operator*() & { return value(); }
  [[nodiscard]] const T& operator*() const& { return value(); }
  [[nodiscard]] T&& operator*() && { return std::move(*this).value(); }
  [[nodiscard]] T* operator->() { return &value(); }
  [[nodiscard]] const T* operator->() const { return &value(); }

private:
  std::variant<T, Error> v_;
};

}  // namespace aragora
