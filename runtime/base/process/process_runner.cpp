#include "runtime/base/process/process_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

// The child inherits the environment as it is (a CLI agent's tool finds its own keys and PATH
// there); the runner hands it over without reading it.
extern char** environ;

namespace aragora::process {

std::string_view to_string(process_errc x) {
  switch (x) {
    case process_errc::spawn_failed: return "spawn_failed";
    case process_errc::exit_status: return "exit_status";
    case process_errc::signalled: return "signalled";
    case process_errc::timeout: return "timeout";
    case process_errc::too_large: return "too_large";
    case process_errc::cancelled: return "cancelled";
    case process_errc::queue_full: return "queue_full";
    case process_errc::stopped: return "stopped";
  }
  return "unknown";
}

namespace {

using steady = std::chrono::steady_clock;

/// Every live child's process group, whichever runner started it: a process leaving without
/// stop() (a second Ctrl-C) kills them first (kill_all_children), or they would outlive it in
/// groups of their own that no terminal signal reaches.
struct group_registry {
  std::mutex mtx;
  std::unordered_set<pid_t> groups;
};
group_registry& live_groups() {
  static auto* r = new group_registry;  // never destroyed: used until _exit
  return *r;
}

enum fd_kind : uint64_t { k_wake = 0, k_in = 1, k_out = 2, k_err = 3, k_pid = 4 };
constexpr uint64_t tag(uint64_t id, fd_kind k) { return (id << 3) | k; }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

bool set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/// The length of `s`'s longest prefix that ends on a whole UTF-8 character (the rest waits for
/// the next piece: a delta must be text).
size_t whole_utf8(std::string_view s) {
  size_t n = s.size();
  // Look back at most 3 bytes for the start of an unfinished sequence.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

struct job {
  uint64_t id = 0;
  process_request req;
  process_runner::output_fn on_output;
  process_runner::done_fn on_done;
  pid_t pid = -1;
  int pidfd = -1, in = -1, out = -1, err = -1;
  size_t written = 0;
  size_t streamed = 0;  // bytes of `out` handed to on_output
  std::string out_buf, err_buf;
  bool reported = false;
  bool killed = false;  // by the runner: its exit status says nothing
  steady::time_point started;

  job() = default;
  job(const job&) = delete;
  job& operator=(const job&) = delete;
  ~job() {
    for (int* fd : {&pidfd, &in, &out, &err}) close_fd(*fd);
  }
};

}  // namespace

struct process_runner::impl {
  options opts;
  mutable std::mutex mtx;
  // Under mtx:
  std::deque<std::unique_ptr<job>> queued;
  std::unordered_set<uint64_t> cancels;
  bool stopping = false;
  bool stopped = false;
  std::thread thread;
  uint64_t next_id = 1;
  // The thread's own:
  std::unordered_map<uint64_t, std::unique_ptr<job>> live;
  int epfd = -1;
  int wakefd = -1;
  std::atomic<size_t> alive{0};

  explicit impl(options o) : opts(o) {
    opts.max_running = std::max<uint32_t>(1, opts.max_running);
  }

  void wake() const {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wakefd, &one, sizeof one);
  }

  // The callbacks are the caller's code: what they throw (out of memory) must not end the thread.
  static void report(job& j, process_result r) {
    if (j.reported) return;
    j.reported = true;
    auto done = std::move(j.on_done);
    j.on_output = nullptr;
    try {
      if (done) done(std::move(r));
    } catch (...) {
    }
  }
  static void output(job& j, std::string_view piece) {
    try {
      if (j.on_output) j.on_output(piece);
    } catch (...) {
      j.on_output = nullptr;
    }
  }

  /// Keeps the last stderr_tail bytes, from a line's start: a cut through a key would leave a
  /// piece no redaction recognises.
  void trim_err(job& j) const {
    if (j.err_buf.size() <= opts.stderr_tail) return;
    auto from = j.err_buf.size() - opts.stderr_tail;
    auto nl = j.err_buf.find('\n', from);
    j.err_buf.erase(0, nl == std::string::npos ? j.err_buf.size() : nl + 1);
  }

  std::string tail_of(job& j) const {
    trim_err(j);
    std::string_view e = j.err_buf;
    while (!e.empty() && (e.back() == '\n' || e.back() == '\r' || e.back() == ' ')) e.remove_suffix(1);
    if (e.empty()) return {};
    return ": " + std::string{e};
  }

  void kill_group(job& j) {
    if (j.pid > 0 && !j.killed) ::kill(-j.pid, SIGKILL);
    j.killed = true;
  }

  [[nodiscard]] bool watch(int fd, uint64_t id, fd_kind k, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag(id, k);
    return ::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
  }

  void spawn(std::unique_ptr<job> j) {
    int in[2], out[2], err[2];
    bool piped = ::pipe2(in, O_CLOEXEC) == 0;
    if (piped && ::pipe2(out, O_CLOEXEC) != 0) {
      ::close(in[0]), ::close(in[1]);
      piped = false;
    }
    if (piped && ::pipe2(err, O_CLOEXEC) != 0) {
      ::close(in[0]), ::close(in[1]), ::close(out[0]), ::close(out[1]);
      piped = false;
    }
    if (!piped) {
      report(*j, process_error{process_errc::spawn_failed, std::string{"no pipe: "} + std::strerror(errno)});
      return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // The node's other descriptors (the store's files, sockets) are none of the child's business.
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // A group of its own, so a timeout kills what the command started too; the node's blocked
    // and ignored signals (SIGPIPE, the CLI's SIGINT/SIGTERM waiter) are not the child's.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, defaults;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM})
      sigaddset(&defaults, s);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    // The node's environment, less its own secrets (ARAGORA_RECEIPT_SIGNING_KEY): a command a
    // debate's question can talk into printing its environment must not find them there.
    std::vector<char*> env;
    for (char** e = environ; e && *e; ++e)
      if (std::strncmp(*e, "ARAGORA_", 8) != 0) env.push_back(*e);
    env.push_back(nullptr);
    std::string sh = "sh", dash_c = "-c";
    char* argv[] = {sh.data(), dash_c.data(), j->req.command.data(), nullptr};
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, env.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]), ::close(out[1]), ::close(err[1]);
    if (rc != 0) {
      ::close(in[1]), ::close(out[0]), ::close(err[0]);
      report(*j, process_error{process_errc::spawn_failed, std::string{"cannot start /bin/sh: "} + std::strerror(rc)});
      return;
    }
    j->pid = pid;
    j->in = in[1];
    j->out = out[0];
    j->err = err[0];
    j->started = steady::now();
    j->pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    set_nonblocking(j->in), set_nonblocking(j->out), set_nonblocking(j->err);
    alive.fetch_add(1);
    {
      std::lock_guard<std::mutex> lock{live_groups().mtx};
      live_groups().groups.insert(pid);
    }
    auto id = j->id;
    // A pipe epoll cannot watch is closed (the child sees EOF or EPIPE); a pidfd it cannot watch
    // is dropped for polling: either way the child is still reaped.
    if (j->req.input.empty() || !watch(j->in, id, k_in, EPOLLOUT)) close_fd(j->in);
    if (!watch(j->out, id, k_out, EPOLLIN)) close_fd(j->out);
    if (!watch(j->err, id, k_err, EPOLLIN)) close_fd(j->err);
    if (j->pidfd >= 0 && !watch(j->pidfd, id, k_pid, EPOLLIN)) close_fd(j->pidfd);
    live.emplace(id, std::move(j));
  }

  void write_input(job& j) {
    while (j.in >= 0 && j.written < j.req.input.size()) {
      auto n = ::write(j.in, j.req.input.data() + j.written, j.req.input.size() - j.written);
      if (n > 0) {
        j.written += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      // EPIPE: the command does not read its input. Its SIGPIPE is blocked on this thread; take
      // it back so it is not left pending.
      if (n < 0 && errno == EPIPE) {
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        timespec zero{0, 0};
        ::sigtimedwait(&pipe_only, nullptr, &zero);
      }
      break;
    }
    close_fd(j.in);
  }

  /// Reads what the pipe holds now; false at its end.
  bool drain(job& j, int& fd, bool is_out) {
    char buf[16384];
    while (fd >= 0) {
      auto n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno == EAGAIN;
      if (n == 0) {
        close_fd(fd);
        return false;
      }
      if (!is_out) {
        j.err_buf.append(buf, static_cast<size_t>(n));
        if (j.err_buf.size() > 2 * opts.stderr_tail) trim_err(j);
        continue;
      }
      if (j.reported) continue;  // killed already: what is left only empties the pipe
      j.out_buf.append(buf, static_cast<size_t>(n));
      if (j.out_buf.size() > opts.max_output) {
        kill_group(j);
        report(j, process_error{process_errc::too_large, "wrote more than " + std::to_string(opts.max_output) +
                                                             " bytes to stdout; its process group was killed"});
        continue;
      }
      if (j.req.stream && j.on_output) {
        auto upto = whole_utf8(j.out_buf);
        if (upto > j.streamed) {
          output(j, std::string_view{j.out_buf}.substr(j.streamed, upto - j.streamed));
          j.streamed = upto;
        }
      }
    }
    return false;
  }

  /// The child is a zombie (or gone): the rest of its group goes, its pipes are read out, it is
  /// reaped and its outcome reported.
  void reap(uint64_t id) {
    auto it = live.find(id);
    if (it == live.end()) return;
    auto& j = *it->second;
    int status = 0;
    // While the leader is a zombie its group id cannot be reused: stragglers go now.
    if (!j.killed) ::kill(-j.pid, SIGKILL);
    pid_t r;
    do r = ::waitpid(j.pid, &status, 0);
    while (r < 0 && errno == EINTR);
    alive.fetch_sub(1);  // reaped: before the outcome, which a caller may follow with running()
    drain(j, j.out, true);
    drain(j, j.err, false);
    {
      std::lock_guard<std::mutex> lock{live_groups().mtx};
      live_groups().groups.erase(j.pid);
    }
    if (!j.reported) {
      if (j.req.stream && j.streamed < j.out_buf.size()) output(j, std::string_view{j.out_buf}.substr(j.streamed));
      if (r == j.pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        report(j, process_output{std::move(j.out_buf), std::move(j.err_buf)});
      else if (r == j.pid && WIFEXITED(status))
        report(j, process_error{process_errc::exit_status,
                                "exited with status " + std::to_string(WEXITSTATUS(status)) + tail_of(j)});
      else
        report(j, process_error{process_errc::signalled,
                                "killed by signal " + std::to_string(r == j.pid ? WTERMSIG(status) : 0) + tail_of(j)});
    }
    close_fd(j.in), close_fd(j.out), close_fd(j.err), close_fd(j.pidfd);
    live.erase(it);
  }

  /// Children without a pidfd (an old kernel) are polled.
  bool poll_exits() {
    std::vector<uint64_t> gone;
    bool any = false;
    for (auto& [id, j] : live) {
      if (j->pidfd >= 0) continue;
      any = true;
      siginfo_t info{};
      int rc = ::waitid(P_PID, static_cast<id_t>(j->pid), &info, WEXITED | WNOHANG | WNOWAIT);
      if ((rc == 0 && info.si_pid == j->pid) || (rc < 0 && errno == ECHILD)) gone.push_back(id);
    }
    for (auto id : gone) reap(id);
    return any;
  }

  void run() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
    std::vector<epoll_event> events(64);
    steady::time_point stop_by{};
    for (;;) {
      std::vector<std::unique_ptr<job>> to_spawn, dropped;
      std::unordered_set<uint64_t> cancelled;
      bool stop_now;
      {
        std::lock_guard<std::mutex> lock{mtx};
        stop_now = stopping;
        cancelled.swap(cancels);
        if (stop_now) {
          for (auto& q : queued) dropped.push_back(std::move(q));
          queued.clear();
        }
        while (!stop_now && !queued.empty() && live.size() + to_spawn.size() < opts.max_running) {
          to_spawn.push_back(std::move(queued.front()));
          queued.pop_front();
        }
      }
      for (auto& d : dropped) report(*d, process_error{process_errc::stopped, "the runner stopped"});
      // A child that cannot be reaped (signals refused to it: another user's process) must not
      // hold the node's shutdown: after a while it is left behind.
      if (stop_now && stop_by == steady::time_point{}) stop_by = steady::now() + std::chrono::seconds{5};
      for (auto& [id, j] : live) {
        if (stop_now && !j->reported) {
          kill_group(*j);
          report(*j, process_error{process_errc::stopped, "the runner stopped; its process group was killed"});
        } else if (cancelled.count(id) && !j->reported) {
          kill_group(*j);
          report(*j, process_error{process_errc::cancelled, "cancelled; its process group was killed"});
        }
      }
      for (auto& j : to_spawn) {
        // Its deadline passed while it waited for a slot: starting it would only kill it.
        if (j->req.deadline <= steady::now()) {
          report(*j, process_error{process_errc::timeout, "its deadline passed while it waited for one of " +
                                                              std::to_string(opts.max_running) + " slots"});
          continue;
        }
        spawn(std::move(j));
      }
      if (stop_now && (live.empty() || steady::now() >= stop_by)) return;

      // Deadlines: the nearest one bounds the wait.
      auto now = steady::now();
      auto wait = stop_now ? std::chrono::milliseconds{100} : std::chrono::milliseconds{-1};
      for (auto& [id, j] : live) {
        if (j->reported) continue;
        if (j->req.deadline <= now) {
          drain(*j, j->out, true);  // its last words are often the useful ones
          drain(*j, j->err, false);
          if (j->reported) continue;
          kill_group(*j);
          auto ran = std::chrono::duration_cast<std::chrono::milliseconds>(now - j->started).count();
          report(*j, process_error{process_errc::timeout, "still running after " + std::to_string(ran) +
                                                              " ms, at its deadline; its process group was killed" +
                                                              tail_of(*j)});
          continue;
        }
        auto left = std::chrono::ceil<std::chrono::milliseconds>(j->req.deadline - now);
        if (wait.count() < 0 || left < wait) wait = left;
      }
      bool polling = poll_exits();
      if (polling && (wait.count() < 0 || wait > std::chrono::milliseconds{20})) wait = std::chrono::milliseconds{20};
      int n = ::epoll_wait(epfd, events.data(), static_cast<int>(events.size()),
                           static_cast<int>(std::min<int64_t>(wait.count(), 60'000)));
      for (int i = 0; i < n; ++i) {
        auto t = events[static_cast<size_t>(i)].data.u64;
        auto kind = static_cast<fd_kind>(t & 7);
        auto id = t >> 3;
        if (kind == k_wake) {
          uint64_t v;
          [[maybe_unused]] auto r = ::read(wakefd, &v, sizeof v);
          continue;
        }
        auto it = live.find(id);
        if (it == live.end()) continue;
        auto& j = *it->second;
        try {
          switch (kind) {
            case k_in: write_input(j); break;
            case k_out: drain(j, j.out, true); break;
            case k_err: drain(j, j.err, false); break;
            case k_pid: reap(id); break;
            default: break;
          }
        } catch (const std::exception& e) {  // out of memory growing its output
          if (auto again = live.find(id); again != live.end()) {
            kill_group(*again->second);
            report(*again->second, process_error{process_errc::too_large, std::string{"its output: "} + e.what()});
          }
        }
      }
    }
  }
};

process_runner::process_runner() : process_runner(options{}) {}

process_runner::process_runner(options o) : impl_(std::make_unique<impl>(o)) {
  // An ignored SIGCHLD, inherited from whoever started the node, would have the kernel reap the
  // children before their status is read.
  ::signal(SIGCHLD, SIG_DFL);
  impl_->epfd = ::epoll_create1(EPOLL_CLOEXEC);
  impl_->wakefd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl_->epfd >= 0 && impl_->wakefd >= 0) impl_->watch(impl_->wakefd, 0, k_wake, EPOLLIN);
}

process_runner::~process_runner() {
  stop();
  close_fd(impl_->epfd);
  close_fd(impl_->wakefd);
}

uint64_t process_runner::start(process_request r, output_fn on_output, done_fn on_done) {
  auto j = std::make_unique<job>();
  j->req = std::move(r);
  j->on_output = std::move(on_output);
  j->on_done = std::move(on_done);
  std::optional<process_error> refused;
  {
    std::lock_guard<std::mutex> lock{impl_->mtx};
    j->id = impl_->next_id++;
    if (impl_->stopping || impl_->stopped || impl_->epfd < 0 || impl_->wakefd < 0)
      refused = process_error{process_errc::stopped, "the runner stopped"};
    else if (impl_->queued.size() >= impl_->opts.max_waiting)
      refused = process_error{process_errc::queue_full,
                              std::to_string(impl_->opts.max_waiting) + " runs already wait for a slot"};
    else {
      if (!impl_->thread.joinable()) impl_->thread = std::thread([this] { impl_->run(); });
      impl_->queued.push_back(std::move(j));
      auto id = impl_->next_id - 1;
      impl_->wake();
      return id;
    }
  }
  auto id = j->id;
  impl::report(*j, std::move(*refused));
  return id;
}

void process_runner::cancel(uint64_t id) {
  std::unique_ptr<job> dropped;
  {
    std::lock_guard<std::mutex> lock{impl_->mtx};
    if (id == 0 || id >= impl_->next_id || !impl_->thread.joinable()) return;
    auto it = std::find_if(impl_->queued.begin(), impl_->queued.end(), [&](auto& j) { return j->id == id; });
    if (it != impl_->queued.end()) {
      dropped = std::move(*it);
      impl_->queued.erase(it);
    } else {
      impl_->cancels.insert(id);
      impl_->wake();
      return;
    }
  }
  impl::report(*dropped, process_error{process_errc::cancelled, "cancelled before it started"});
}

void process_runner::stop() {
  std::thread t;
  {
    std::lock_guard<std::mutex> lock{impl_->mtx};
    if (impl_->stopped) return;
    impl_->stopping = true;
    impl_->wake();
    t = std::move(impl_->thread);
  }
  if (t.joinable()) t.join();
  std::lock_guard<std::mutex> lock{impl_->mtx};
  impl_->stopped = true;
}

size_t process_runner::running() const { return impl_->alive.load(); }

void kill_all_children() {
  std::lock_guard<std::mutex> lock{live_groups().mtx};
  for (auto g : live_groups().groups) ::kill(-g, SIGKILL);
}

}  // namespace aragora::process
