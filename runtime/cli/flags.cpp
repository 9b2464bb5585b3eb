#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "runtime/capacity/capacity.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/terminal.hpp"
#include "runtime/base/files/read_file.hpp"

namespace aragora::cli {

int print_error(int exit_code, std::string_view code, std::string_view message) {
  // Messages quote input (file contents, arguments): no terminal escapes from it.
  std::cerr << "error: " << code << ": " << printable(message) << "\n";
  return exit_code;
}

debate::signing_key_result signing_key_from_env() {
  return debate::parse_signing_key(std::getenv(debate::signing_key_env));
}

std::optional<std::string> stdout_error() {
  // std::cout writes through stdout's FILE (synced with stdio): flushing both reports either. A
  // write that failed earlier left only the error flag behind, not its errno.
  errno = 0;
  std::cout.flush();
  bool failed = std::fflush(stdout) != 0 || std::ferror(stdout) || !std::cout;
  if (!failed) return std::nullopt;
  return errno != 0 ? std::string{std::strerror(errno)} : std::string{"a write failed"};
}

std::optional<std::string> read_input_file(const std::string& path, size_t max_bytes) {
  auto r = files::read_file(path, max_bytes);
  if (!r) {
    print_error(exit_usage, r.error().code_name(), "cannot read " + r.error().message);
    return std::nullopt;
  }
  return std::move(r).value();
}

bool accepted(const std::optional<settings::refusal>& refused) {
  if (!refused) return true;
  print_error(exit_usage, refused->code, refused->message);
  return false;
}

bool check_footprint(const debate::debate_spec& spec, uint32_t message_bytes, uint64_t needed,
                     uint64_t budget) {
  if (needed <= budget) return true;
  print_error(exit_usage, "memory_budget_exceeded",
              "one debate of " + std::to_string(spec.agents.size()) + " agents, " +
                  std::to_string(spec.rounds) + " rounds and " +
                  std::to_string(message_bytes) + "-byte messages needs about " +
                  capacity::mib_text(needed) + " (" +
                  std::to_string(capacity::max_agent_calls(spec)) +
                  " agent calls); the memory budget is " + capacity::mib_text(budget) +
                  " (runtime.memory_budget_mb)");
  return false;
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
