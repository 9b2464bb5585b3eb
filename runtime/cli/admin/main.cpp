// aragora-admin: see admin.hpp.
#include <cstdlib>
#include <iostream>

#include "runtime/cli/admin/admin.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string{v ? v : ""};
  };
  return aragora::admin::run(args, env("ARAGORA_ENDPOINT"), env("ARAGORA_TOKEN"), std::cout, std::cerr);
}
