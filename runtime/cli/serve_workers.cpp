#include "runtime/cli/serve_workers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>

#include "runtime/cli/signals.hpp"

namespace aragora::cli {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

std::vector<std::string> worker_arguments(const serve_options& o, int64_t i,
                                          uint64_t budget_bytes) {
  auto port_of = [i](int64_t base) { return std::to_string(base == 0 ? 0 : base + i); };
  std::vector<std::string> args;
  if (!o.config_file.empty()) args.insert(args.end(), {"--config", o.config_file});
  args.insert(args.end(), {"serve", "--workers", "1", "--as-worker", "--worker-budget-bytes",
                           std::to_string(std::max<uint64_t>(1, budget_bytes)), "--host", o.host,
                           "--port", port_of(o.port)});
  if (o.ws_port) args.insert(args.end(), {"--ws-port", port_of(*o.ws_port)});
  args.insert(args.end(), {"--io-threads", std::to_string(o.io_threads), "--data-dir",
                           (std::filesystem::path{o.data_dir} / ("worker-" + std::to_string(i))).string()});
  if (!o.token_file.empty()) args.insert(args.end(), {"--token-file", o.token_file});
  args.insert(args.end(), {"--rate-limit", std::to_string(o.rate_limit)});
  return args;
}

bool restart_budget::allow(steady::time_point now) {
  while (!deaths_.empty() && now - deaths_.front() >= window_) deaths_.pop_front();
  deaths_.push_back(now);
  return deaths_.size() <= max_;
}

namespace {

constexpr auto restart_delay = 1s;
constexpr size_t restart_max = 5;
constexpr auto restart_window = 60s;
constexpr auto start_timeout = 60s;  // a worker resumes its debates before it listens
constexpr auto stop_timeout = 60s;   // then the stragglers are killed
constexpr size_t max_line_bytes = 64 << 10;

struct worker {
  int64_t index = 0;
  pid_t pid = -1;
  int out = -1;          // the read end of its stdout
  std::string pending;   // an unfinished line
  std::string listening; // its first line, without "aragora serve: "
  bool started = false;
  bool gave_up = false;
  std::optional<steady::time_point> restart_at;
  restart_budget budget{restart_max, restart_window};
  int status = 0;        // of its last exit (waitpid's)
};

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{} : p.string();
}

/// fork + exec rather than posix_spawn: the worker asks for SIGTERM should the parent die
/// (PR_SET_PDEATHSIG), so a parent killed with -9 leaves no orphan serving. Between fork and exec
/// only async-signal-safe calls.
bool spawn(worker& w, const std::string& exe, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    // Its own process group: Ctrl-C reaches the parent only, which stops each worker once.
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(fds[1], STDOUT_FILENO);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return false;
  }
  w.pid = pid;
  w.out = fds[0];
  w.pending.clear();
  w.started = false;
  return true;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string{"was killed by "} + strsignal(WTERMSIG(status));
  return "stopped";
}

/// The text between `key` and the next ", " of a worker's first line ("" when absent).
std::string field(const std::string& line, std::string_view key) {
  auto at = line.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  auto end = line.find(", ", at);
  return line.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

int run_serve_workers(const serve_options& o, uint64_t budget_bytes) {
  uint64_t share = budget_bytes / static_cast<uint64_t>(o.workers);
  auto exe = self_exe();
  if (exe.empty()) return print_error(exit_failed, "cannot_spawn", "cannot find this program's path");
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec)
    return print_error(exit_failed, "data_dir_unwritable",
                       "cannot create " + o.data_dir + ": " + ec.message());
  struct owned_fd {
    int fd;
    ~owned_fd() {
      if (fd >= 0) close(fd);
    }
  } wake_fd{eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  int wake = wake_fd.fd;
  if (wake < 0) return print_error(exit_failed, "cannot_spawn", std::strerror(errno));
  std::atomic<int> stop_signal{0};
  // Declared after the fd: detached before it is closed.
  signal_action_scope on_signal{[&](int signo) {
    stop_signal.store(signo);
    uint64_t one = 1;
    (void)!write(wake, &one, sizeof one);
  }};

  std::vector<worker> workers(static_cast<size_t>(o.workers));
  for (size_t i = 0; i < workers.size(); ++i) workers[i].index = static_cast<int64_t>(i);
  auto alive = [&] {
    size_t n = 0;
    for (const auto& w : workers) n += w.pid > 0;
    return n;
  };
  auto stop_all = [&](int sig) {
    for (auto& w : workers)
      if (w.pid > 0) kill(w.pid, sig);
  };
  for (auto& w : workers)
    if (!spawn(w, exe, worker_arguments(o, w.index, share))) {
      stop_all(SIGTERM);
      while (alive() > 0)
        for (auto& x : workers)
          if (x.pid > 0 && waitpid(x.pid, &x.status, 0) == x.pid) x.pid = -1;
      return print_error(exit_failed, "cannot_spawn",
                         "cannot start worker " + std::to_string(w.index) + ": " + std::strerror(errno));
    }

  bool announced = false;
  bool stopping = false;
  bool failed = false;  // the workers could not all start: the parent stops them and fails
  auto start_deadline = steady::now() + start_timeout;
  steady::time_point stop_deadline{};
  auto begin_stop = [&](std::string why) {
    if (stopping) return;
    stopping = true;
    stop_deadline = steady::now() + stop_timeout;
    std::cout << "aragora serve: " << why << ": stopping " << alive() << " worker"
              << (alive() == 1 ? "" : "s") << std::endl;
    stop_all(SIGTERM);
  };
  auto announce = [&] {
    const auto& first = workers.front();
    std::cout << "aragora serve: " << workers.size() << " workers: API "
              << field(first.listening, "API ");
    for (size_t i = 1; i < workers.size(); ++i) std::cout << " " << field(workers[i].listening, "API ");
    std::cout << ", web page " << field(first.listening, "web page ")
              << " (on each worker's port), data dirs " << o.data_dir << "/worker-0.."
              << workers.size() - 1 << std::endl;
    for (const auto& w : workers)
      std::cout << "worker " << w.index << " (pid " << w.pid << "): " << w.listening << std::endl;
    announced = true;
  };
  auto on_line = [&](worker& w, const std::string& line) {
    if (!w.started) {
      w.started = true;
      constexpr std::string_view prefix = "aragora serve: ";
      w.listening = line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : line;
      if (announced)
        std::cout << "worker " << w.index << " (pid " << w.pid << ") restarted: " << w.listening
                  << std::endl;
      return;
    }
    std::cout << "worker " << w.index << ": " << line << std::endl;
  };
  auto on_exit = [&](worker& w) {
    close(w.out);
    w.out = -1;
    while (waitpid(w.pid, &w.status, 0) < 0 && errno == EINTR) {
    }
    auto pid = w.pid;
    w.pid = -1;
    if (stopping) return;
    if (!announced) {
      std::cerr << "error: worker_failed: worker " << w.index << " (pid " << pid << ") "
                << describe(w.status) << " before it listened" << std::endl;
      failed = true;
      return begin_stop("a worker failed to start");
    }
    if (w.budget.allow(steady::now())) {
      std::cout << "worker " << w.index << " (pid " << pid << ") " << describe(w.status)
                << "; restarting it in " << restart_delay.count() << " s" << std::endl;
      w.restart_at = steady::now() + restart_delay;
    } else {
      std::cout << "worker " << w.index << " (pid " << pid << ") " << describe(w.status)
                << ", its " << restart_max + 1 << "th death within " << restart_window.count()
                << " s: not restarting it" << std::endl;
      w.gave_up = true;
    }
  };

  while (true) {
    auto now = steady::now();
    if (!stopping && stop_signal.load() != 0) begin_stop(signal_name(stop_signal.load()));
    if (!announced && !stopping) {
      bool all = true;
      for (const auto& w : workers) all = all && w.started;
      if (all) announce();
      else if (now >= start_deadline) {
        std::cerr << "error: worker_failed: the workers did not all listen within "
                  << start_timeout.count() << " s" << std::endl;
        failed = true;
        begin_stop("start timed out");
      }
    }
    if (stopping && alive() == 0) break;
    if (stopping && now >= stop_deadline) stop_all(SIGKILL);
    if (!stopping) {
      bool any = false;
      for (auto& w : workers) {
        any = any || !w.gave_up;
        if (w.restart_at && now >= *w.restart_at) {
          w.restart_at.reset();
          if (!spawn(w, exe, worker_arguments(o, w.index, share))) {
            std::cout << "worker " << w.index << ": cannot restart: " << std::strerror(errno) << std::endl;
            w.gave_up = true;
          }
        }
      }
      if (!any) {
        std::cerr << "error: worker_failed: every worker has stopped" << std::endl;
        return exit_failed;
      }
    }

    std::vector<pollfd> fds{{wake, POLLIN, 0}};
    for (const auto& w : workers)
      if (w.out >= 0) fds.push_back({w.out, POLLIN, 0});
    int timeout_ms = 200;  // restarts, deadlines
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      uint64_t n = 0;
      (void)!read(wake, &n, sizeof n);
    }
    for (size_t k = 1; k < fds.size(); ++k) {
      if (!fds[k].revents) continue;
      auto& w = *std::find_if(workers.begin(), workers.end(),
                              [&](const worker& x) { return x.out == fds[k].fd; });
      char buf[4096];
      auto got = read(w.out, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        if (!w.pending.empty()) on_line(w, w.pending);
        w.pending.clear();
        on_exit(w);
        continue;
      }
      w.pending.append(buf, static_cast<size_t>(got));
      for (auto nl = w.pending.find('\n'); nl != std::string::npos; nl = w.pending.find('\n')) {
        on_line(w, w.pending.substr(0, nl));
        w.pending.erase(0, nl + 1);
      }
      if (w.pending.size() > max_line_bytes) {  // bounded: a line this long goes out in pieces
        on_line(w, w.pending);
        w.pending.clear();
      }
    }
  }
  bool clean = !failed;
  for (const auto& w : workers)
    clean = clean && WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0;
  std::cout << "aragora serve: every worker has stopped" << std::endl;
  return clean ? exit_ok : exit_failed;
}

}  // namespace aragora::cli
