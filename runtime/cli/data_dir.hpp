#pragma once
// Where the CLI keeps its data when neither --data-dir nor storage.data_dir says: the XDG base
// directory for user data. Only the CLI reads the environment; libraries are given the path.

#include <optional>
#include <string>

namespace aragora::cli {

/// The base directory of user data: $XDG_DATA_HOME when it is an absolute path (the XDG spec
/// ignores a relative one), else $HOME/.local/share; nullopt when neither is usable. Takes the
/// variables' values (null = unset) so it is tested without touching the environment.
[[nodiscard]] std::optional<std::string> user_data_home(const char* xdg_data_home,
                                                        const char* home);

/// user_data_home()/aragora.
[[nodiscard]] std::optional<std::string> default_data_dir(const char* xdg_data_home,
                                                          const char* home);

/// The data dir of a command not given --data-dir: `configured` (storage.data_dir) if set, else
/// default_data_dir() of this process's environment (an unset HOME falls back to the password
/// database). `derived` tells the last case apart: only there does the CLI create the missing
/// parents (~/.local/share) before it creates a store.
struct data_dir_choice {
  std::string path;  // empty: no default could be found
  bool derived = false;
};
[[nodiscard]] data_dir_choice choose_data_dir(const std::string& configured);

/// Creates the parents of a derived data dir (mode 0700, as the XDG spec asks); returns the
/// error text, or nullopt when they exist.
[[nodiscard]] std::optional<std::string> create_parents(const std::string& data_dir);

}  // namespace aragora::cli
