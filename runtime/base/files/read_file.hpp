#pragma once
// Reading a whole input file (configuration, receipt, result) with a size cap. A path may name
// /dev/zero, a FIFO or a huge file: an unbounded read would block or exhaust memory.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/base/error/error.hpp"

namespace aragora::files {

/// Stable codes: they appear in CLI errors.
enum class read_errc : uint8_t { not_found = 1, not_regular, too_large, unreadable };

[[nodiscard]] std::string_view to_string(read_errc x);

using read_error = error<read_errc>;

/// The content of the regular file `path` if it holds at most `max_bytes`. Devices, FIFOs,
/// sockets and directories are refused without being read (or waited on).
[[nodiscard]] expected<std::string, read_errc> read_file(const std::string& path, size_t max_bytes);

}  // namespace aragora::files
