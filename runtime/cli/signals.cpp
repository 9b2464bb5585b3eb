#include "runtime/cli/signals.hpp"

#include "runtime/base/process/process_runner.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace aragora::cli {

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

signal_guard::signal_guard() {
  auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal_fd_ = ::signalfd(-1, &set, SFD_CLOEXEC);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  waiter_ = std::thread{[this] {
    // Woken by a signal or by the destructor's eventfd: exit never waits for a polling tick.
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    while (true) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      signalfd_siginfo info{};
      if (::read(signal_fd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
      int signo = static_cast<int>(info.ssi_signo);
      int expected = 0;
      bool first = received_.compare_exchange_strong(expected, signo);
      bool has_action = false;
      {
        std::lock_guard<std::mutex> lock{mtx_};
        has_action = static_cast<bool>(action_);
      }
      if (first && !has_action) {  // nothing runs that needs stopping
        process::kill_all_children();
        ::_exit(128 + signo);
      }
      if (!first && signo == SIGTERM && ignore_repeated_term_.load()) continue;
      if (!first) {
        // The second signal: the user does not want to wait. Nothing is torn: the store's WAL
        // holds every acknowledged step, and the next open recovers from it.
        static const char msg[] = "\ninterrupted again: exiting now\n";
        (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
        process::kill_all_children();  // CLI agents' groups: no terminal signal reaches them
        ::_exit(128 + signo);
      }
      run_action(signo);
    }
  }};
}

signal_guard::~signal_guard() {
  uint64_t one = 1;
  (void)!::write(stop_fd_, &one, sizeof one);
  waiter_.join();
  ::close(signal_fd_);
  ::close(stop_fd_);
  auto set = stop_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void signal_guard::run_action(int signo) {
  std::lock_guard<std::mutex> lock{mtx_};
  if (action_) action_(signo);
}

void signal_guard::on_signal(std::function<void(int)> action) {
  std::lock_guard<std::mutex> lock{mtx_};
  action_ = std::move(action);
  if (action_ && received_.load() != 0) action_(received_.load());
}

signal_guard& process_signals() {
  static signal_guard guard;
  return guard;
}

const char* signal_name(int signo) {
  switch (signo) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
  }
  return "a signal";
}

int signal_guard::exit_code(int otherwise) const {
  auto s = received_.load();
  return s == 0 ? otherwise : 128 + s;
}

}  // namespace aragora::cli
