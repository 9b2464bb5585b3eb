#pragma once
// What a failed provider call leads to, and how long to wait before trying again. Pure: the
// provider asks, its scheduler waits.
//
// Retried (with backoff and jitter, honouring Retry-After): 408, 409, 429, 5xx, timeouts,
// connection resets. Moved to the agent's next provider: 401, 403 (a key that does not work
// there), 402, and a 429 whose code is insufficient_quota (retrying cannot help). Failed at once:
// any other 4xx (the request itself is wrong).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace aragora::llm {

enum class next_step : uint8_t { retry, next_provider, fail };

/// For an HTTP answer that is not 2xx; `body` is read for a quota error.
[[nodiscard]] next_step after_status(unsigned status, std::string_view body);

/// The Retry-After header's wait: delta-seconds (fractions allowed) or an HTTP date relative to
/// `now`; nullopt when it says neither. Capped at `cap`.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now,
    std::chrono::milliseconds cap = std::chrono::minutes{2});

struct backoff_params {
  std::chrono::milliseconds base{250};
  std::chrono::milliseconds cap{8000};
};

/// The wait before attempt `attempt` + 1 (attempt counts from 1): "full jitter", uniformly in
/// [0, min(cap, base * 2^(attempt-1))], from `random` (any 64 bits); at least what Retry-After
/// asked for.
[[nodiscard]] std::chrono::milliseconds backoff(uint32_t attempt, uint64_t random,
                                                std::optional<std::chrono::milliseconds> retry_after,
                                                const backoff_params& p = {});

}  // namespace aragora::llm
