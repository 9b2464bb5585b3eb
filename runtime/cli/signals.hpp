#pragma once
// Ctrl-C and SIGTERM for commands that run debates: the first signal asks the command to stop
// cleanly (cancel what runs, persist, exit 128 + signal); a second one exits at once. What is on
// disk stays consistent either way: every acknowledged step is in the WAL.

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace aragora::cli {

class signal_guard {
public:
  /// Blocks SIGINT and SIGTERM in this thread and in every thread started after it, and waits for
  /// them on a thread of its own, which runs the action (on_signal) at the first one and _exits
  /// with 128 + signal at the second, or at the first when no action is set. Create it before
  /// any other thread (RocksDB's and CAF's): a thread that does not block them would take the
  /// signal's default action, killing the process mid-write.
  signal_guard();
  /// Stops waiting and unblocks the signals.
  ~signal_guard();
  signal_guard(const signal_guard&) = delete;
  signal_guard& operator=(const signal_guard&) = delete;

  /// What the first signal does; runs at once if it already came. An empty action detaches the
  /// previous one (do so before what it refers to goes away).
  void on_signal(std::function<void(int signo)> action);

  /// A SIGTERM after the first signal is ignored instead of exiting at once (a second SIGINT still
  /// does). For `serve` workers: a service manager's stop reaches them and their parent, which
  /// forwards its own; the two must not make a clean stop a torn one.
  void ignore_repeated_sigterm(bool on) { ignore_repeated_term_.store(on); }

  /// The first signal received, 0 if none.
  [[nodiscard]] int received() const { return received_.load(); }
  /// The exit code for a run the first signal stopped: 128 + signal (130 for SIGINT, 143 for
  /// SIGTERM), or `otherwise` when no signal came.
  [[nodiscard]] int exit_code(int otherwise) const;

private:
  void run_action(int signo);

  std::mutex mtx_;
  std::function<void(int)> action_;
  std::atomic<int> received_{0};
  std::atomic<bool> ignore_repeated_term_{false};
  int signal_fd_ = -1;  // SIGINT and SIGTERM, read by the waiter
  int stop_fd_ = -1;    // an eventfd the destructor writes to end the waiter
  std::thread waiter_;
};

/// The process's guard, created at its first use: call it first thing in main.
[[nodiscard]] signal_guard& process_signals();

/// Detaches a guard's action at the end of a scope (declare it after what the action uses).
struct signal_action_scope {
  signal_guard& guard;
  explicit signal_action_scope(std::function<void(int)> action,
                               signal_guard& g = process_signals())
      : guard(g) {
    guard.on_signal(std::move(action));
  }
  ~signal_action_scope() { guard.on_signal({}); }
  signal_action_scope(const signal_action_scope&) = delete;
  signal_action_scope& operator=(const signal_action_scope&) = delete;
};

/// "SIGINT", "SIGTERM".
[[nodiscard]] const char* signal_name(int signo);

}  // namespace aragora::cli
