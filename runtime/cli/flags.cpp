#include <iostream>

#include "runtime/cli/commands.hpp"

namespace aragora::cli {

int print_error(int exit_code, std::string_view code, std::string_view message) {
  std::cerr << "error: " << code << ": " << message << "\n";
  return exit_code;
}

std::optional<run_flags> parse_run_flags(std::string_view protocol, std::string_view early_stop,
                                         std::string_view storage) {
  auto p = debate::parse_protocol(protocol);
  if (!p) {
    print_error(exit_usage, "bad_protocol",
                "unknown protocol '" + std::string{protocol} + "'; use lite or full");
    return std::nullopt;
  }
  if (early_stop != "on" && early_stop != "off") {
    print_error(exit_usage, "bad_early_stop", "--early-stop takes on or off");
    return std::nullopt;
  }
  if (storage != "memory" && storage != "rocksdb") {
    print_error(exit_usage, "bad_storage",
                "unknown storage '" + std::string{storage} + "'; use rocksdb or memory");
    return std::nullopt;
  }
  return run_flags{*p, early_stop == "on", storage == "rocksdb"};
}

}  // namespace aragora::cli
