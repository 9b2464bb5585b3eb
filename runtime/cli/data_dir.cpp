#include "runtime/cli/data_dir.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace aragora::cli {

std::optional<std::string> user_data_home(const char* xdg_data_home, const char* home) {
  if (xdg_data_home && xdg_data_home[0] == '/') return std::string{xdg_data_home};
  if (home && home[0] == '/') {
    std::string h{home};
    while (h.size() > 1 && h.back() == '/') h.pop_back();
    return (h == "/" ? std::string{} : h) + "/.local/share";
  }
  return std::nullopt;
}

std::optional<std::string> default_data_dir(const char* xdg_data_home, const char* home) {
  auto base = user_data_home(xdg_data_home, home);
  if (!base) return std::nullopt;
  while (base->size() > 1 && base->back() == '/') base->pop_back();
  return *base + "/aragora";
}

data_dir_choice choose_data_dir(const std::string& configured) {
  if (!configured.empty()) return {configured, false};
  const char* home = std::getenv("HOME");
  if (!home || home[0] != '/') {
    // Unset HOME (a service, `env -i`): the account's home directory.
    const auto* pw = getpwuid(geteuid());
    home = pw ? pw->pw_dir : nullptr;
  }
  auto dir = default_data_dir(std::getenv("XDG_DATA_HOME"), home);
  return {dir.value_or(""), true};
}

std::optional<std::string> create_parents(const std::string& data_dir) {
  namespace fs = std::filesystem;
  auto parent = fs::path{data_dir}.parent_path();
  std::error_code ec;
  if (parent.empty() || fs::is_directory(parent, ec)) return std::nullopt;
  std::vector<fs::path> missing;  // innermost first
  for (auto p = parent; !p.empty() && !fs::exists(p, ec) && p != p.parent_path();
       p = p.parent_path())
    missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    // 0700: user data is the user's (XDG base directory spec).
    if (::mkdir(it->c_str(), 0700) == 0 || (errno == EEXIST && fs::is_directory(*it, ec)))
      continue;
    return "cannot create " + it->string() + ": " + std::strerror(errno);
  }
  if (!fs::is_directory(parent, ec))
    return "cannot create " + parent.string() + ": not a directory";
  return std::nullopt;
}

}  // namespace aragora::cli
