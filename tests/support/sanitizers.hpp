#pragma once

// Whether this binary is built with AddressSanitizer (scripts/sanitize's clang build, a gcc one,
// or scripts/fuzz): gcc says so with __SANITIZE_ADDRESS__, clang 14 only through __has_feature.
// For the few tests whose limits or pace depend on the binary's address space or speed; each
// says why where it uses it.

#if defined(__SANITIZE_ADDRESS__)
#define ARAGORA_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARAGORA_TEST_ASAN 1
#endif
#endif
#ifndef ARAGORA_TEST_ASAN
#define ARAGORA_TEST_ASAN 0
#endif

namespace aragora::test {

inline constexpr bool asan = ARAGORA_TEST_ASAN != 0;

}  // namespace aragora::test
