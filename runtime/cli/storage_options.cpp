#include "runtime/cli/storage_options.hpp"

#include <iostream>

namespace aragora::cli {

std::shared_ptr<storage::store> open_store(const std::string& data_dir,
                                           const config::node_config& cfg) {
  storage::store_options o;
  o.path = data_dir;
  o.retention = cfg.retention;
  o.breaker_failures = cfg.db_breaker_failures;
  o.breaker_recovery = cfg.db_breaker_recovery;
  auto r = storage::store::open(std::move(o));
  if (!r.ok()) {
    std::cerr << "error: " << storage::to_string(r.error().code) << ": " << r.error().message
              << "\n";
    return nullptr;
  }
  return std::shared_ptr<storage::store>{std::move(r.value())};
}

}  // namespace aragora::cli
