#pragma once
// `aragora serve --workers N`: a parent process that runs N `aragora serve` workers on
// consecutive ports (worker i: --port P+i, --ws-port W+i, --data-dir DIR/worker-i), prints where
// they listen, forwards their output line by line, restarts one that dies, and on SIGINT or
// SIGTERM stops them all cleanly (each persists its running debates, which resume at the next
// start) before it exits.

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "runtime/cli/commands.hpp"

namespace aragora::cli {

/// Worker i's command line after the program name: the parent's settings with its own ports and
/// data dir, its share of the memory budget, and --workers 1. A port of 0 stays 0 (each worker
/// picks a free one: tests).
[[nodiscard]] std::vector<std::string> worker_arguments(const serve_options& o, int64_t i,
                                                        uint64_t budget_bytes);

/// How often a worker that keeps dying is restarted: at most `max` times within `window`, after
/// which the parent gives up on it (the others keep serving).
class restart_budget {
public:
  restart_budget(size_t max, std::chrono::steady_clock::duration window)
      : max_(max), window_(window) {}
  /// Records a death at `now`; whether the worker may be restarted.
  [[nodiscard]] bool allow(std::chrono::steady_clock::time_point now);

private:
  size_t max_;
  std::chrono::steady_clock::duration window_;
  std::deque<std::chrono::steady_clock::time_point> deaths_;
};

/// `budget_bytes`: the node's memory budget, shared by the workers.
[[nodiscard]] int run_serve_workers(const serve_options& o, uint64_t budget_bytes);

}  // namespace aragora::cli
