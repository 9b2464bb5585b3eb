#pragma once
// Runs command lines as subprocesses without ever blocking the caller: CLI agents (a user's
// script, `claude -p`) answer a prompt given on stdin. One I/O thread of its own (started on the
// first call) spawns with posix_spawn (a plain fork of a large process costs ~34 ms here), writes
// stdin and reads stdout and stderr through non-blocking pipes, watches each child through a
// pidfd, and kills the child's whole process group at its deadline. At most `max_running` run at
// once; up to `max_waiting` more wait for a slot, and a call beyond that fails at once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/base/error/error.hpp"

namespace aragora::process {

/// Why a run produced no output. Stable codes: they appear in agent errors.
enum class process_errc : uint8_t {
  spawn_failed = 1,
  exit_status,  // exited with a status other than 0 (the message quotes the end of stderr)
  signalled,    // killed by a signal it was not sent by the runner
  timeout,      // still running at its deadline: its process group was killed
  too_large,    // wrote more than max_output bytes to stdout: killed
  cancelled,
  queue_full,
  stopped,      // the runner is shutting down
};

[[nodiscard]] std::string_view to_string(process_errc x);

using process_error = error<process_errc>;

struct process_request {
  std::string command;  // run as `/bin/sh -c COMMAND`, in a process group of its own
  std::string input;    // written to stdin, which is then closed
  std::chrono::steady_clock::time_point deadline;  // required: the epoch has passed already
  bool stream = false;  // stdout goes to on_output as it arrives (whole UTF-8 characters)
};

struct process_output {
  std::string out;  // all of stdout
  std::string err;  // the end of stderr (up to twice options::stderr_tail bytes, whole lines)
};

using process_result = expected<process_output, process_errc>;

class process_runner {
public:
  struct options {
    uint32_t max_running = 10;
    size_t max_waiting = 10'000;
    size_t max_output = size_t{1} << 20;
    size_t stderr_tail = 4096;
  };

  /// On the runner's thread: stdout pieces of a streamed run, before its on_done.
  using output_fn = std::function<void(std::string_view)>;
  /// Once, on the runner's thread (or in start()/cancel() for a run that never spawned).
  /// Neither callback may call stop().
  using done_fn = std::function<void(process_result)>;

  process_runner();
  explicit process_runner(options o);
  ~process_runner();  // stop()
  process_runner(const process_runner&) = delete;
  process_runner& operator=(const process_runner&) = delete;

  /// Starts (or queues) a run; the id is for cancel (never 0).
  uint64_t start(process_request r, output_fn on_output, done_fn on_done);
  /// Kills a run's process group (or drops it from the queue); it ends with `cancelled`. Unknown
  /// or finished ids are ignored. Any thread.
  void cancel(uint64_t id);
  /// Kills every run, ends each with `stopped`, reaps the children and stops the thread; later
  /// starts end with `stopped` at once. Idempotent. Not from a callback.
  void stop();

  /// Children spawned and not yet reaped.
  [[nodiscard]] size_t running() const;

  struct impl;  // process_runner.cpp

private:
  std::unique_ptr<impl> impl_;
};

/// Kills the process group of every live child of every runner: for a process about to leave
/// without stopping its runners (a second interrupt), whose children would otherwise outlive it.
void kill_all_children();

}  // namespace aragora::process
