// What a real-protocol agent call costs the runtime beyond its HTTP exchange, and how many
// streamed calls one node holds at once (issue 10's targets: <= 50 us of CPU per call beyond the
// exchange, >= 5,000 concurrent streaming calls). The far side is an OpenAI-compatible server in
// a child process (epoll, one thread), so the CPU measured here (getrusage of this process) is
// the client's alone.
//
//   llm_bench overhead [--calls N]             whole replies: http_client alone, then the provider
//   llm_bench streams [--concurrent C] [--pieces K] [--interval-ms D]
//
// Results and the machine: bench/RESULTS.md.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "actors/agent/agent_spec.hpp"
#include "actors/agent/llm_provider.hpp"
#include "actors/agent/prompts.hpp"
#include "net/llm/chat_codec.hpp"
#include "net/llm/http_client.hpp"

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// -- the far side ---------------------------------------------------------------------------------

std::string whole_reply() {
  std::string body = R"({"id":"b","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",)"
                     R"("content":"VOTE: bob\nCONFIDENCE: 0.8\nIt is the most concrete plan of the three."},)"
                     R"("finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":20}})";
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

std::string chunk(const std::string& data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

struct conn {
  int fd;
  std::string in;
  std::string out;
  bool stream = false;
  int next_piece = -1;  // -1: request not read yet
  steady::time_point due;
};

/// Serves until killed: each request gets a whole reply, or (when its body asks to stream) the
/// reply in `pieces` events `interval` apart.
[[noreturn]] void serve(int listener, int pieces, std::chrono::milliseconds interval) {
  int ep = ::epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::map<int, conn> conns;
  std::vector<epoll_event> events(1024);
  auto words = std::string{"VOTE: bob\\nCONFIDENCE: 0.8\\nIt is the most concrete plan of the three."};
  for (;;) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 5);
    for (int i = 0; i < n; ++i) {
      int fd = events[static_cast<size_t>(i)].data.fd;
      if (fd == listener) {
        for (int c; (c = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
          epoll_event e{};
          e.events = EPOLLIN;
          e.data.fd = c;
          ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
          conns[c] = conn{c, {}, {}, false, -1, {}};
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      auto& c = it->second;
      char buf[65536];
      ssize_t got;
      while ((got = ::read(fd, buf, sizeof buf)) > 0) c.in.append(buf, static_cast<size_t>(got));
      if (got == 0 && c.next_piece < 0) {
        ::close(fd);
        conns.erase(it);
        continue;
      }
      auto head = c.in.find("\r\n\r\n");
      if (c.next_piece >= 0 || head == std::string::npos) continue;
      auto cl = c.in.find("Content-Length: ");
      if (cl == std::string::npos) cl = c.in.find("content-length: ");
      size_t length = cl == std::string::npos ? 0 : std::stoul(c.in.substr(cl + 16));
      if (c.in.size() < head + 4 + length) continue;
      c.stream = c.in.find("\"stream\":true") != std::string::npos;
      c.next_piece = 0;
      c.due = steady::now();
      if (!c.stream) {
        auto r = whole_reply();
        (void)!::write(fd, r.data(), r.size());
        ::close(fd);
        conns.erase(it);
        continue;
      }
      std::string h = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
                      "Connection: close\r\n\r\n";
      (void)!::write(fd, h.data(), h.size());
    }
    // Streams: the pieces that are due.
    auto now = steady::now();
    for (auto it = conns.begin(); it != conns.end();) {
      auto& c = it->second;
      if (!c.stream || c.next_piece < 0 || c.due > now) {
        ++it;
        continue;
      }
      std::string out;
      if (c.next_piece < pieces) {
        auto from = words.size() * static_cast<size_t>(c.next_piece) / static_cast<size_t>(pieces);
        auto to = words.size() * static_cast<size_t>(c.next_piece + 1) / static_cast<size_t>(pieces);
        while (to < words.size() && words[to - 1] == '\\') ++to;  // never split an escape
        while (from > 0 && from < words.size() && words[from - 1] == '\\') ++from;
        out = chunk("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + words.substr(from, to - from) +
                    "\"}}]}\n\n");
        ++c.next_piece;
        c.due = now + interval;
        (void)!::write(c.fd, out.data(), out.size());
        ++it;
        continue;
      }
      out = chunk("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n") +
            chunk("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":20}}\n\n") +
            chunk("data: [DONE]\n\n") + "0\r\n\r\n";
      (void)!::write(c.fd, out.data(), out.size());
      ::close(c.fd);
      it = conns.erase(it);
    }
  }
}

struct server {
  pid_t pid = -1;
  uint16_t port = 0;
  ~server() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

/// Forks the server before this process starts any thread.
void start_server(server& s, int pieces, std::chrono::milliseconds interval) {
  int l = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(l, 8192);
  socklen_t len = sizeof a;
  ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
  s.port = ntohs(a.sin_port);
  s.pid = ::fork();
  if (s.pid == 0) serve(l, pieces, interval);
  ::close(l);
}

// -- the near side --------------------------------------------------------------------------------

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// A "Vm...:" line of /proc/self/status, in KiB.
long status_kib(std::string_view field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  return 0;
}
long rss_kib() { return status_kib("VmRSS:"); }
long peak_rss_kib() { return status_kib("VmHWM:"); }

/// Counts outcomes and deltas; wakes the waiter when `expected` outcomes are in.
struct counting_sink final : aragora::agent::call_sink {
  std::mutex mtx;
  std::condition_variable cv;
  size_t done_count = 0, failed = 0, expected = 0;
  std::atomic<size_t> deltas{0};
  std::string first_error;
  void delta(aragora::agent::call_id, std::string_view) override { deltas.fetch_add(1, std::memory_order_relaxed); }
  void done(aragora::agent::call_id, aragora::debate::call_outcome o) override {
    std::lock_guard<std::mutex> lock{mtx};
    if (!o.ok()) {
      ++failed;
      if (first_error.empty()) first_error = o.error_message;
    }
    if (++done_count == expected) cv.notify_all();
  }
  bool wait(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock{mtx};
    return cv.wait_for(lock, limit, [&] { return done_count >= expected; });
  }
};

struct no_scheduler final : aragora::agent::scheduler {
  [[nodiscard]] aragora::agent::steady_clock::time_point now() const override { return steady::now(); }
  handle after(aragora::agent::steady_clock::duration, std::function<void()>) override { return 0; }
  bool cancel(handle) override { return false; }
};

std::shared_ptr<aragora::debate::debate_spec> vote_spec() {
  auto spec = std::make_shared<aragora::debate::debate_spec>();
  spec->id = "01BENCH";
  spec->question = "Should we adopt Kubernetes for the stateless services this quarter?";
  spec->agents = *aragora::agent::parse_agents("openai:gpt-bench:alice,openai:gpt-bench:bob,openai:gpt-bench:carol");
  return spec;
}

aragora::debate::call_request vote_call() {
  using namespace aragora::debate;
  call_request r;
  r.key = {phase::vote, 1, 0, no_agent};
  auto props = std::make_shared<std::vector<proposal_ref>>();
  for (uint8_t i = 0; i < 3; ++i)
    props->push_back({i, make_text("Adopt it in stages, starting with the stateless services; measure for four "
                                   "weeks, then decide on the stateful ones. Owner: the platform team.")});
  r.proposals = props;
  return r;
}

struct provider_fixture {
  std::shared_ptr<aragora::llm::http_client> http = std::make_shared<aragora::llm::http_client>();
  no_scheduler sched;
  std::unique_ptr<aragora::agent::provider> p;
  provider_fixture(uint16_t port, uint32_t concurrency) {
    aragora::agent::llm_options o;
    aragora::agent::llm_provider_options openai;
    openai.name = "openai";
    openai.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
    openai.api_keys = {"sk-bench-0000000000"};
    openai.price_per_1k_in = 0.15;
    openai.price_per_1k_out = 0.6;
    openai.max_concurrency = concurrency;
    o.providers.push_back(openai);
    auto catalog = aragora::agent::llm_providers(
        o, http, std::make_shared<const aragora::agent::prompt_templates>(aragora::agent::prompt_templates::defaults()));
    p = catalog.front().second(sched);
  }
  ~provider_fixture() {
    p.reset();
    http->stop();
  }
};

int overhead(size_t calls) {
  server s;
  start_server(s, 0, 0ms);
  auto spec = vote_spec();
  auto call = vote_call();
  // The same request the provider sends, rendered once: the HTTP exchange alone.
  auto prompt = aragora::agent::render_prompt(aragora::agent::prompt_templates::defaults(), *spec, call);
  aragora::llm::chat_request chat;
  chat.model = "gpt-bench";
  chat.system = prompt.system;
  chat.prompt = prompt.user;
  chat.max_tokens = 1024;
  aragora::llm::http_request req;
  req.url = *aragora::llm::parse_base_url("http://127.0.0.1:" + std::to_string(s.port) + "/v1");
  req.path = "/chat/completions";
  req.body = aragora::llm::encode_request(aragora::llm::wire_format::openai, chat);
  req.headers = {{"Authorization", "Bearer sk-bench-0000000000"}};
  req.timeout = 10s;

  // Sequential calls: one in flight, so CPU is not hidden behind waiting.
  auto raw = [&](size_t n) {
    aragora::llm::http_client http;
    std::mutex mtx;
    std::condition_variable cv;
    bool ok = true;
    for (size_t i = 0; i < n; ++i) {
      bool done = false;
      http.start(req, {}, [&](aragora::llm::transport_result r) {
        std::lock_guard<std::mutex> lock{mtx};
        ok = ok && r && r->status == 200;
        done = true;
        cv.notify_one();
      });
      std::unique_lock<std::mutex> lock{mtx};
      cv.wait(lock, [&] { return done; });
    }
    http.stop();
    return ok;
  };
  auto through_provider = [&](size_t n) {
    provider_fixture f{s.port, 16};
    auto sink = std::make_shared<counting_sink>();
    for (size_t i = 0; i < n; ++i) {
      sink->expected = i + 1;
      aragora::agent::provider_call c;
      c.id = i + 1;
      c.spec = spec;
      c.request = call;
      c.deadline = steady::now() + 10s;
      f.p->start(std::span{&c, 1}, sink);
      if (!sink->wait(10s)) return std::string{"no outcome"};
    }
    return sink->failed ? sink->first_error : std::string{};
  };
  (void)raw(200);  // warm up: threads, allocator, the server's accept path
  (void)through_provider(200);
  auto c0 = cpu_seconds();
  auto t0 = steady::now();
  bool raw_ok = raw(calls);
  auto raw_cpu = cpu_seconds() - c0;
  auto raw_wall = std::chrono::duration<double>(steady::now() - t0).count();
  c0 = cpu_seconds();
  t0 = steady::now();
  auto err = through_provider(calls);
  auto full_cpu = cpu_seconds() - c0;
  auto full_wall = std::chrono::duration<double>(steady::now() - t0).count();
  if (!raw_ok || !err.empty()) {
    std::fprintf(stderr, "failed: %s\n", raw_ok ? err.c_str() : "raw exchange");
    return 1;
  }
  double per_raw = raw_cpu / static_cast<double>(calls) * 1e6;
  double per_full = full_cpu / static_cast<double>(calls) * 1e6;
  std::printf("calls %zu, sequential, whole replies (vote prompt %zu bytes, reply %zu bytes)\n", calls,
              req.body.size(), whole_reply().size());
  std::printf("  http_client alone : %.1f us CPU/call, %.1f us wall/call\n", per_raw,
              raw_wall / static_cast<double>(calls) * 1e6);
  std::printf("  through provider  : %.1f us CPU/call, %.1f us wall/call\n", per_full,
              full_wall / static_cast<double>(calls) * 1e6);
  std::printf("  runtime overhead  : %.1f us CPU/call beyond the HTTP exchange (target <= 50)\n", per_full - per_raw);
  return 0;
}

int streams(size_t concurrent, int pieces, std::chrono::milliseconds interval) {
  server s;
  start_server(s, pieces, interval);
  auto spec = vote_spec();
  auto call = vote_call();
  auto rss0 = rss_kib();
  auto c0 = cpu_seconds();
  auto t0 = steady::now();
  int rc = 0;
  {
    provider_fixture f{s.port, static_cast<uint32_t>(concurrent)};
    auto sink = std::make_shared<counting_sink>();
    sink->expected = concurrent;
    std::vector<aragora::agent::provider_call> calls(concurrent);
    for (size_t i = 0; i < concurrent; ++i) {
      calls[i].id = i + 1;
      calls[i].spec = spec;
      calls[i].request = call;
      calls[i].deadline = steady::now() + 120s;
      calls[i].stream = true;
    }
    f.p->start(calls, sink);
    // All of them open at once: sampled while the streams run.
    long rss_mid = 0;
    for (int i = 0; i < 20 && !sink->wait(0s); ++i) {
      std::this_thread::sleep_for(interval * pieces / 20);
      rss_mid = std::max(rss_mid, rss_kib());
    }
    if (!sink->wait(120s)) {
      std::fprintf(stderr, "only %zu of %zu calls ended\n", sink->done_count, concurrent);
      return 1;
    }
    auto wall = std::chrono::duration<double>(steady::now() - t0).count();
    auto cpu = cpu_seconds() - c0;
    std::printf("%zu concurrent streamed calls, %d pieces each %lld ms apart\n", concurrent, pieces,
                static_cast<long long>(interval.count()));
    std::printf("  ended %zu, failed %zu%s%s\n", sink->done_count, sink->failed, sink->failed ? ": " : "",
                sink->first_error.c_str());
    std::printf("  deltas %zu; wall %.2f s (the stream alone takes %.2f s)\n", sink->deltas.load(), wall,
                static_cast<double>(interval.count() * pieces) / 1000.0);
    std::printf("  CPU %.2f s = %.1f us per call, %.1f us per delta\n", cpu, cpu / static_cast<double>(concurrent) * 1e6,
                cpu / static_cast<double>(std::max<size_t>(1, sink->deltas.load())) * 1e6);
    std::printf("  RSS %ld KiB before, %ld KiB while streaming (%.1f KiB per open call), peak %ld KiB\n", rss0, rss_mid,
                static_cast<double>(rss_mid - rss0) / static_cast<double>(concurrent), peak_rss_kib());
    rc = sink->failed == 0 ? 0 : 1;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  std::string mode = argc > 1 ? argv[1] : "overhead";
  size_t calls = 20'000, concurrent = 5'000;
  int pieces = 20;
  long interval_ms = 100;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    long v = std::stol(argv[i + 1]);
    if (flag == "--calls") calls = static_cast<size_t>(v);
    else if (flag == "--concurrent") concurrent = static_cast<size_t>(v);
    else if (flag == "--pieces") pieces = static_cast<int>(v);
    else if (flag == "--interval-ms") interval_ms = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (mode == "overhead") return overhead(calls);
  if (mode == "streams") return streams(concurrent, pieces, std::chrono::milliseconds{interval_ms});
  std::fprintf(stderr, "usage: llm_bench overhead [--calls N] | streams [--concurrent C] [--pieces K] [--interval-ms D]\n");
  return 2;
}
