#include "runtime/cli/signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <ctime>

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
  waiter_ = std::thread{[this, set] {
    // A timed wait, so the destructor can end the thread without sending it a signal.
    timespec tick{0, 50'000'000};
    while (!stop_.load()) {
      int signo = sigtimedwait(&set, nullptr, &tick);
      if (signo <= 0) continue;
      int expected = 0;
      bool first = received_.compare_exchange_strong(expected, signo);
      bool has_action = false;
      {
        std::lock_guard<std::mutex> lock{mtx_};
        has_action = static_cast<bool>(action_);
      }
      if (first && !has_action) ::_exit(128 + signo);  // nothing runs that needs stopping
      if (!first) {
        // The second signal: the user does not want to wait. Nothing is torn: the store's WAL
        // holds every acknowledged step, and the next open recovers from it.
        static const char msg[] = "\ninterrupted again: exiting now\n";
        (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
        ::_exit(128 + signo);
      }
      run_action(signo);
    }
  }};
}

signal_guard::~signal_guard() {
  stop_.store(true);
  waiter_.join();
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
