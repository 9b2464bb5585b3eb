#pragma once
// Opening the node's store from the CLI.

#include <memory>
#include <string>
#include <vector>

#include "runtime/config/config.hpp"
#include "storage/store.hpp"

namespace aragora::cli {

/// Prints a storage error as `error: <code>: <message>` and returns `exit_failed`.
int print_error(const storage::store_error& e);

/// The store in `data_dir`, or nullptr after printing `error: <code>: <message>`. Commands that
/// write create a store (`create`) or continue one (`existing`); the others only read
/// (`read_only`: nothing on disk changes, and a mistyped dir is `data_dir_not_found`). A
/// read-write open upgrades a store an older version wrote (debate::upgrade_store) and says so.
[[nodiscard]] std::shared_ptr<storage::store> open_store(const std::string& data_dir,
                                                         const config::node_config& cfg,
                                                         storage::open_mode mode,
                                                         bool salvage_wal = false,
                                                         std::vector<storage::cf> families = {});

}  // namespace aragora::cli
