#pragma once
// Runs a command line through /bin/sh and captures its exit code, stdout and stderr.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace aragora::test {

struct run_result {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string temp_path(const std::string& stem) {
  static int counter = 0;
  return "/tmp/aragora-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" +
         stem;
}

/// Single-quotes a string for /bin/sh.
inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

inline run_result run(const std::string& command) {
  auto out = temp_path("stdout");
  auto err = temp_path("stderr");
  auto status = std::system((command + " >" + out + " 2>" + err).c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

/// Whether process `pid` has ended within `limit`: gone, or a zombie waiting for whoever adopted
/// it (a killed orphan's reaper may be slow).
inline bool ends_within(pid_t pid, std::chrono::milliseconds limit) {
  auto ended = [pid] {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    return line.empty() || (close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z');
  };
  for (auto until = std::chrono::steady_clock::now() + limit; !ended() && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  return ended();
}

}  // namespace aragora::test
