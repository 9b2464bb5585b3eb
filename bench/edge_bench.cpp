// edge_bench: a loopback client that measures a running `aragora serve` (bench/edge_bench.sh
// starts the server and runs it). One thread, one io_context and Beast, like the ws_client of
// /work/shared/reference/limits.md, so its figures compare with the ceilings there.
//
//   edge_bench create --port P [--body JSON] [--wait-s S]
//       starts one debate; prints its id (with --wait-s, once it is no longer running)
//   edge_bench start --port P --debates N [--body JSON]
//       starts N debates one after another; prints how many were accepted and one id
//   edge_bench fanout --port P --subscribers N [--body JSON] [--settle-ms MS] [--timeout-s S]
//                     [--per-event 1]
//       starts a debate, subscribes N WebSockets to it (?debate_id=) and, per live event, times
//       each subscriber's receipt against the first subscriber's and against the event's timestamp
//   edge_bench idle --port P --connections N --pid PID [--debate-id ID] [--hold-s S]
//       holds N WebSockets open with nothing to do and reports the growth of PID's VmRSS

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// -- arguments ----------------------------------------------------------------------------------

struct args {
  std::map<std::string, std::string> named;
  [[nodiscard]] std::string text(const std::string& key, const std::string& def = {}) const {
    auto it = named.find(key);
    return it == named.end() ? def : it->second;
  }
  [[nodiscard]] long number(const std::string& key, long def) const {
    auto it = named.find(key);
    return it == named.end() ? def : std::strtol(it->second.c_str(), nullptr, 10);
  }
};

std::optional<args> parse_args(int argc, char** argv) {
  args a;
  for (int i = 2; i < argc; i += 2) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc) return std::nullopt;
    a.named[key.substr(2)] = argv[i + 1];
  }
  return a;
}

// Wall-clock nanoseconds: the server stamps events with the system clock, so receipts are read
// from the same clock.
int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A top-level field of an event frame without parsing the JSON: the envelope's keys (type, seq,
// debate_id, loop_id, timestamp) come before `data`, so the first occurrence is the envelope's.
// Parsing every frame would add its cost to each receipt of this single-threaded client.
std::string_view field(std::string_view frame, std::string_view key) {
  auto at = frame.find(key);
  if (at == std::string_view::npos) return {};
  auto from = at + key.size();
  auto to = frame.find_first_of(",}", from);
  if (to == std::string_view::npos) return {};
  auto v = frame.substr(from, to - from);
  if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() >= 2 ? v.size() - 2 : 0);
  return v;
}

// -- HTTP ----------------------------------------------------------------------------------------

struct http_reply {
  unsigned status = 0;
  std::string body;
};

/// One keep-alive connection, blocking; reconnects when the server closed it.
class http_client {
public:
  http_client(net::io_context& ioc, uint16_t port) : ioc_(ioc), port_(port) {}

  http_reply request(http::verb verb, const std::string& target, const std::string& body = {}) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      beast::error_code ec;
      if (!stream_) {
        stream_ = std::make_unique<beast::tcp_stream>(ioc_);
        stream_->connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port_}, ec);
        if (ec) return {};
      }
      http::request<http::string_body> req{verb, target, 11};
      req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
      req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      http::write(*stream_, req, ec);
      http::response<http::string_body> res;
      if (!ec) http::read(*stream_, buffer_, res, ec);
      if (ec) {
        stream_.reset();  // stale keep-alive connection: once more on a new one
        continue;
      }
      if (!res.keep_alive()) stream_.reset();
      return {res.result_int(), std::move(res.body())};
    }
    return {};
  }

private:
  net::io_context& ioc_;
  uint16_t port_;
  std::unique_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

const char* default_body =
    R"({"task":"edge bench","agents":"mock:supportive,mock:critical","rounds":4,"early_stop":false})";

std::optional<std::string> create_debate(http_client& c, const std::string& body) {
  auto r = c.request(http::verb::post, "/api/v1/debates", body);
  if (r.status != 200 && r.status != 201) {
    std::cerr << "edge_bench: POST /api/v1/debates answered " << r.status << ": " << r.body << "\n";
    return std::nullopt;
  }
  auto id = field(r.body, "\"debate_id\":");
  if (id.empty()) return std::nullopt;
  return std::string{id};
}

bool still_running(http_client& c, const std::string& id) {
  auto r = c.request(http::verb::get, "/api/v1/debates/" + id);
  auto status = field(r.body, "\"status\":");
  return r.status == 404 || status == "running" || status == "created" || status == "pending";
}

// -- WebSocket connections -------------------------------------------------------------------------

/// One client connection. Keeps a read pending always, so the server's pings are answered.
struct ws_conn : std::enable_shared_from_this<ws_conn> {
  explicit ws_conn(net::io_context& ioc) : ws(ioc) {}
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  bool open = false;
  bool ended = false;  // debate_end seen, or the connection closed
  std::function<void(ws_conn&, std::string_view)> on_frame;
  std::vector<std::pair<uint32_t, int64_t>> receipts;  // seq, receipt time (ns)

  void read() {
    ws.async_read(buffer, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->open = false;
        self->ended = true;
        return;
      }
      auto data = self->buffer.cdata();
      std::string_view text{static_cast<const char*>(data.data()), data.size()};
      if (self->on_frame) self->on_frame(*self, text);
      self->buffer.consume(self->buffer.size());
      self->read();
    });
  }
};

/// Opens `n` connections to `target`, at most `window` handshakes in flight (as limits.md's
/// client: 256), and returns when every one is open or has failed.
std::vector<std::shared_ptr<ws_conn>> open_many(net::io_context& ioc, uint16_t port,
                                                const std::string& target, size_t n, size_t window,
                                                const std::function<void(ws_conn&, std::string_view)>& on_frame,
                                                size_t& failed) {
  std::vector<std::shared_ptr<ws_conn>> conns;
  conns.reserve(n);
  size_t started = 0, done = 0;
  failed = 0;
  auto host = "127.0.0.1:" + std::to_string(port);
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), port};
  std::function<void()> start_one = [&] {
    if (started == n) return;
    ++started;
    auto c = std::make_shared<ws_conn>(ioc);
    c->on_frame = on_frame;
    conns.push_back(c);
    auto& lowest = beast::get_lowest_layer(c->ws);
    lowest.expires_after(std::chrono::seconds{30});
    lowest.async_connect(ep, [&, c](beast::error_code ec) {
      auto fail = [&] {
        ++failed;
        ++done;
        start_one();
      };
      if (ec) return fail();
      beast::get_lowest_layer(c->ws).socket().set_option(tcp::no_delay(true), ec);
      c->ws.async_handshake(host, target, [&, c, fail](beast::error_code ec2) {
        if (ec2) return fail();
        beast::get_lowest_layer(c->ws).expires_never();
        c->open = true;
        c->read();
        ++done;
        start_one();
      });
    });
  };
  for (size_t i = 0; i < std::min(window, n); ++i) start_one();
  while (done < n) ioc.run_one();
  return conns;
}

// -- percentiles ----------------------------------------------------------------------------------

struct summary {
  size_t n = 0;
  double p50 = 0, p99 = 0, max = 0;
};

summary summarise(std::vector<double> v) {
  summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))]; };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.max = v.back();
  return s;
}

void print_ms(const char* what, const summary& s) {
  std::printf("%s: n=%zu p50=%.2f ms p99=%.2f ms max=%.2f ms\n", what, s.n, s.p50, s.p99, s.max);
}

// -- subcommands ----------------------------------------------------------------------------------

int run_create(const args& a, net::io_context& ioc, uint16_t port) {
  http_client c{ioc, port};
  auto id = create_debate(c, a.text("body", default_body));
  if (!id) return 1;
  auto wait = std::chrono::seconds{a.number("wait-s", 0)};
  auto until = std::chrono::steady_clock::now() + wait;
  while (wait.count() > 0 && still_running(c, *id)) {
    if (std::chrono::steady_clock::now() > until) {
      std::cerr << "edge_bench: debate " << *id << " still running after " << wait.count() << " s\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  std::printf("%s\n", id->c_str());
  return 0;
}

int run_start(const args& a, net::io_context& ioc, uint16_t port) {
  http_client c{ioc, port};
  auto n = a.number("debates", 1000);
  auto body = a.text("body", default_body);
  long accepted = 0;
  std::string last;
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    auto id = create_debate(c, body);
    if (!id) break;  // e.g. at capacity (503): reported by create_debate
    ++accepted;
    last = *id;
  }
  auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("started %ld of %ld debates in %.2f s; id %s\n", accepted, n, s, last.c_str());
  return accepted == n ? 0 : 1;
}

int run_fanout(const args& a, net::io_context& ioc, uint16_t port) {
  auto n = static_cast<size_t>(a.number("subscribers", 1000));
  auto settle = std::chrono::milliseconds{a.number("settle-ms", 200)};
  auto timeout = std::chrono::seconds{a.number("timeout-s", 120)};
  bool per_event = a.number("per-event", 0) != 0;
  http_client c{ioc, port};
  auto id = create_debate(c, a.text("body", default_body));
  if (!id) return 1;
  std::map<uint32_t, std::pair<std::string, double>> events;  // seq -> type, timestamp (s)
  size_t ended = 0;
  auto on_frame = [&](ws_conn& conn, std::string_view text) {
    auto t = now_ns();
    auto seq_text = field(text, "\"seq\":");
    if (seq_text.empty()) return;  // a control frame (connection_info, heartbeat)
    auto seq = static_cast<uint32_t>(std::strtoul(std::string{seq_text}.c_str(), nullptr, 10));
    conn.receipts.emplace_back(seq, t);
    auto& e = events[seq];
    if (e.first.empty()) {
      e.first = field(text, "\"type\":");
      e.second = std::strtod(std::string{field(text, "\"timestamp\":")}.c_str(), nullptr);
    }
    if (e.first == "debate_end" && !conn.ended) {
      conn.ended = true;
      ++ended;
    }
  };
  size_t failed = 0;
  auto t_connect = std::chrono::steady_clock::now();
  auto conns = open_many(ioc, port, "/ws?debate_id=" + *id, n, 256, on_frame, failed);
  auto connect_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_connect).count();
  // Events that were replayed to some connection (they happened while others connected) are
  // not fan-out: only those first seen after everyone is connected and a pause are counted.
  ioc.run_for(settle);
  uint32_t cutoff = events.empty() ? 0 : events.rbegin()->first;
  auto until = std::chrono::steady_clock::now() + timeout;
  while (ended < n - failed && std::chrono::steady_clock::now() < until)
    ioc.run_for(std::chrono::milliseconds{100});
  // Index receipts by seq.
  std::map<uint32_t, std::vector<int64_t>> by_seq;
  for (const auto& conn : conns)
    for (const auto& [seq, t] : conn->receipts)
      if (seq > cutoff) by_seq[seq].push_back(t);
  std::vector<double> spread, from_stamp, last_delivery;
  size_t incomplete = 0, counted = 0;
  std::map<std::string, size_t> unstamped;  // types whose frames carry timestamp 0
  for (auto& [seq, times] : by_seq) {
    const auto& [type, stamp] = events[seq];
    // debate_end waits ws_end_pause (50 ms) after each connection's last write on purpose
    // (client-contract §9.1): a pause, not fan-out.
    if (type == "debate_end") continue;
    if (times.size() < n - failed) ++incomplete;
    ++counted;
    auto first = *std::min_element(times.begin(), times.end());
    double last = 0;
    if (stamp <= 0) ++unstamped[type];
    for (auto t : times) {
      spread.push_back((t - first) / 1e6);
      if (stamp > 0) from_stamp.push_back(t / 1e6 - stamp * 1e3);
      last = std::max(last, (t - first) / 1e6);
    }
    last_delivery.push_back(last);
    if (per_event)
      std::printf("  seq %u %s: first receipt %.2f ms after its timestamp, last %.2f ms after the first\n",
                  seq, type.c_str(), stamp > 0 ? first / 1e6 - stamp * 1e3 : 0.0, last);
  }
  std::printf("debate %s: %zu subscribers (%zu failed) connected in %.2f s; %zu live events after seq %u "
              "(%zu not delivered to every subscriber); %zu of %zu saw debate_end\n",
              id->c_str(), n - failed, failed, connect_s, counted, cutoff, incomplete, ended, n - failed);
  print_ms("delivery after the first subscriber's receipt", summarise(spread));
  print_ms("delivery after the event's timestamp", summarise(from_stamp));
  if (!unstamped.empty()) {
    std::printf("events without a timestamp (0), left out of the line above:");
    for (const auto& [type, count] : unstamped) std::printf(" %s x%zu", type.c_str(), count);
    std::printf("\n");
  }
  print_ms("last delivery per event (after the first)", summarise(last_delivery));
  // Machine-readable line for the driver script.
  auto s = summarise(spread);
  auto p = summarise(from_stamp);
  std::printf("RESULT fanout subscribers=%zu events=%zu spread_p50_ms=%.2f spread_p99_ms=%.2f "
              "spread_max_ms=%.2f stamp_p50_ms=%.2f stamp_p99_ms=%.2f stamp_max_ms=%.2f\n",
              n - failed, counted, s.p50, s.p99, s.max, p.p50, p.p99, p.max);
  return failed == 0 && incomplete == 0 && counted > 0 ? 0 : 1;
}

long rss_kib(long pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

long slab_kib() {
  std::ifstream in{"/proc/meminfo"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Slab:", 0) == 0) return std::strtol(line.c_str() + 5, nullptr, 10);
  return -1;
}

int run_idle(const args& a, net::io_context& ioc, uint16_t port) {
  auto n = static_cast<size_t>(a.number("connections", 10000));
  auto pid = a.number("pid", 0);
  auto hold = std::chrono::seconds{a.number("hold-s", 3)};
  auto debate = a.text("debate-id");
  auto target = debate.empty() ? std::string{"/ws"} : "/ws?debate_id=" + debate;
  auto rss0 = rss_kib(pid);
  auto slab0 = slab_kib();
  if (rss0 < 0) {
    std::cerr << "edge_bench: cannot read /proc/" << pid << "/status\n";
    return 1;
  }
  size_t failed = 0;
  auto t0 = std::chrono::steady_clock::now();
  auto conns = open_many(ioc, port, target, n, 256, {}, failed);
  auto connect_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The server has sent its first frames (connection_info, a replay): they are read meanwhile.
  ioc.run_for(hold);
  size_t open = 0;
  for (const auto& c : conns) open += c->open ? 1 : 0;
  auto rss1 = rss_kib(pid);
  auto slab1 = slab_kib();
  double per = open ? (rss1 - rss0) * 1024.0 / static_cast<double>(open) : 0;
  std::printf("%zu idle connections open (%zu failed, connected in %.2f s), target %s: VmRSS %.1f -> %.1f MiB "
              "(+%.1f MiB) = %.2f KiB per connection; kernel Slab +%.1f MiB (both ends)\n",
              open, failed, connect_s, target.c_str(), rss0 / 1024.0, rss1 / 1024.0,
              (rss1 - rss0) / 1024.0, per / 1024.0, (slab1 - slab0) / 1024.0);
  std::printf("RESULT idle connections=%zu rss_before_kib=%ld rss_after_kib=%ld kib_per_conn=%.2f\n",
              open, rss0, rss1, per / 1024.0);
  return failed == 0 && open == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto usage = [] {
    std::cerr << "usage: edge_bench create|start|fanout|idle --port P [options] (see the source's head)\n";
    return 2;
  };
  if (argc < 2) return usage();
  auto a = parse_args(argc, argv);
  if (!a || a->number("port", 0) <= 0) return usage();
  auto port = static_cast<uint16_t>(a->number("port", 0));
  net::io_context ioc{1};
  std::string cmd = argv[1];
  if (cmd == "create") return run_create(*a, ioc, port);
  if (cmd == "start") return run_start(*a, ioc, port);
  if (cmd == "fanout") return run_fanout(*a, ioc, port);
  if (cmd == "idle") return run_idle(*a, ioc, port);
  return usage();
}
