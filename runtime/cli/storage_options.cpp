#include "runtime/cli/storage_options.hpp"

#include <iostream>

#include "actors/debate/store/list_index.hpp"
#include "runtime/cli/commands.hpp"

namespace aragora::cli {

int print_error(const storage::store_error& e) {
  return print_error(exit_failed, storage::to_string(e.code), e.message);
}

std::shared_ptr<storage::store> open_store(const std::string& data_dir,
                                           const config::node_config& cfg,
                                           storage::open_mode mode, bool salvage_wal,
                                           std::vector<storage::cf> families) {
  storage::store_options o;
  o.path = data_dir;
  o.mode = mode;
  o.salvage_wal = salvage_wal;
  o.families = std::move(families);
  o.min_free_bytes = cfg.storage_min_free_bytes;
  o.retention = cfg.retention;
  o.breaker_failures = cfg.db_breaker_failures;
  o.breaker_recovery = cfg.db_breaker_recovery;
  // A read-write open of a store an older version wrote brings it up to date (the list index).
  o.upgrade = debate::upgrade_store;
  auto r = storage::store::open(std::move(o));
  if (!r.ok()) {
    print_error(r.error());
    return nullptr;
  }
  for (const auto& note : r.value()->open_notes())
    std::cerr << "warning: storage: " << note << "\n";
  return std::shared_ptr<storage::store>{std::move(r.value())};
}

}  // namespace aragora::cli
