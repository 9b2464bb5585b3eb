#include "net/client/client.hpp"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <cctype>
#include <deque>
#include <future>
#include <thread>
#include <unordered_map>

#include "aragora/v1/wire.pb.h"

namespace aragora::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

std::string_view to_string(client_errc e) {
  switch (e) {
    case client_errc::bad_endpoint: return "bad_endpoint";
    case client_errc::unreachable: return "unreachable";
    case client_errc::unauthorised: return "unauthorised";
    case client_errc::refused: return "refused";
    case client_errc::timeout: return "timeout";
    case client_errc::protocol: return "protocol";
    case client_errc::busy: return "busy";
  }
  return "unknown";
}

namespace {

constexpr std::string_view subprotocol = "aragora.v1.protobuf";
constexpr auto backoff_base = std::chrono::milliseconds{100};
constexpr auto backoff_cap = std::chrono::milliseconds{2000};
constexpr auto sweep_every = std::chrono::milliseconds{100};

client_error make_error(client_errc code, std::string message, unsigned status = 0,
                        std::string api_code = {}) {
  client_error e;
  e.code = code;
  e.message = std::move(message);
  e.status = status;
  e.api_code = std::move(api_code);
  return e;
}

struct endpoint {
  std::string host;
  std::string port;
};

result<endpoint> parse_endpoint(std::string_view url) {
  auto bad = [&](std::string why) {
    return make_error(client_errc::bad_endpoint,
                      "endpoint '" + std::string{url} + "': " + why + " (want ws://HOST:PORT)");
  };
  for (std::string_view scheme : {"ws://", "http://"})
    if (url.starts_with(scheme)) url.remove_prefix(scheme.size());
  if (url.starts_with("wss://") || url.starts_with("https://"))
    return bad("TLS is not supported; put the edge behind its local proxy's plain port");
  if (url.find("://") != std::string_view::npos) return bad("unknown scheme");
  if (auto slash = url.find('/'); slash != std::string_view::npos) url = url.substr(0, slash);
  auto colon = url.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == url.size())
    return bad("no host:port");
  auto port = url.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string_view::npos || port.size() > 5)
    return bad("the port is not a number");
  auto host = url.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  return endpoint{std::string{host}, std::string{port}};
}

/// A non-2xx reply as an error: unauthorised for 401/403, refused otherwise, with the edge's
/// stable code and message.
client_error refusal(unsigned status, std::string_view body) {
  std::string code, message;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (auto* c = v.as_object().if_contains("code"); c && c->is_string()) code = c->as_string().c_str();
    if (auto* m = v.as_object().if_contains("error"); m && m->is_string()) message = m->as_string().c_str();
  }
  if (message.empty()) message = std::string{body.substr(0, 200)};
  auto errc = status == 401 || status == 403 ? client_errc::unauthorised : client_errc::refused;
  auto e = make_error(errc, "HTTP " + std::to_string(status) + (code.empty() ? "" : " " + code) + ": " + message,
                      status, code);
  e.body = std::string{body};
  return e;
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string to_json(const debate_request& r) {
  json::object o;
  o["task"] = r.task;
  if (!r.agents.empty()) {
    json::array a;
    for (const auto& s : r.agents) a.emplace_back(s);
    o["agents"] = std::move(a);
  }
  if (r.rounds) o["rounds"] = *r.rounds;
  if (!r.protocol.empty()) o["protocol"] = r.protocol;
  if (!r.consensus.empty()) o["consensus"] = r.consensus;
  if (r.seed) o["seed"] = *r.seed;
  if (r.early_stop) o["early_stop"] = *r.early_stop;
  return json::serialize(o);
}

result<std::string> debate_id_of(const reply& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (!ec && v.is_object())
    if (auto* id = v.as_object().if_contains("debate_id"); id && id->is_string())
      return std::string{id->as_string().c_str()};
  return make_error(client_errc::protocol, "the create reply has no debate_id: " + r.body.substr(0, 200));
}

struct client::impl : std::enable_shared_from_this<client::impl> {
  struct pending {
    steady::time_point deadline;
    std::function<void(result<reply>)> done;
  };
  struct follower {
    uint32_t last = 0;  // the last seq delivered
    stream_handlers handlers;
    stream_summary summary;
  };

  options opts;
  std::optional<endpoint> where;
  std::optional<client_error> bad_endpoint;
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  tcp::resolver resolver{ioc};
  net::steady_timer sweep{ioc};
  net::steady_timer retry{ioc};
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws;
  // Streams of lost connections, kept until the next one opens: their aborted operations may
  // still be queued when the connection is lost.
  std::vector<std::unique_ptr<websocket::stream<beast::tcp_stream>>> retired;
  beast::flat_buffer in;
  std::thread thread;
  std::thread::id io_id;

  enum class state : uint8_t { idle, connecting, open } st = state::idle;
  uint64_t generation = 0;  // of the connection: handlers of an older one do nothing
  std::atomic<uint64_t> connections{0};
  std::deque<std::string> out;  // frames for the open (or opening) connection
  std::string current;          // the frame being written (its buffer is in use)
  bool writing = false;
  uint64_t next_id = 1;
  std::unordered_map<uint64_t, pending> calls;
  std::unordered_map<std::string, follower> follows;
  std::vector<std::function<void(result<bool>)>> on_connected;
  std::optional<steady::time_point> lost_since;  // followers waiting for a connection since
  std::chrono::milliseconds backoff = backoff_base;
  bool closed = false;

  explicit impl(options o) : opts(std::move(o)) {
    auto e = parse_endpoint(opts.endpoint);
    if (e) where = *e;
    else bad_endpoint = e.error();
  }

  void start() {
    thread = std::thread{[this] { ioc.run(); }};
    io_id = thread.get_id();
    arm_sweep();
  }

  void stop() {
    net::post(ioc, [this] {
      closed = true;
      fail_calls(make_error(client_errc::unreachable, "the client was closed"));
      for (auto& [id, f] : std::exchange(follows, {}))
        if (f.handlers.on_end) f.handlers.on_end(make_error(client_errc::unreachable, "the client was closed"));
      sweep.cancel();
      retry.cancel();
      if (ws && st == state::open) {
        beast::error_code ec;
        beast::get_lowest_layer(*ws).socket().shutdown(tcp::socket::shutdown_both, ec);
      }
      work.reset();
      ioc.stop();
    });
    if (thread.joinable()) thread.join();
  }

  [[nodiscard]] bool on_io_thread() const { return std::this_thread::get_id() == io_id; }

  // -- connection ---------------------------------------------------------------------------

  /// Connects unless open or connecting; `done` (may be empty) hears how it went.
  void ensure_connected(std::function<void(result<bool>)> done) {
    if (st == state::open) {
      if (done) done(true);
      return;
    }
    if (done) on_connected.push_back(std::move(done));
    if (st == state::connecting) return;
    if (bad_endpoint) return connected(*bad_endpoint);
    st = state::connecting;
    auto gen = ++generation;
    resolver.async_resolve(where->host, where->port, [this, gen](beast::error_code ec, tcp::resolver::results_type rs) {
      if (gen != generation) return;
      if (ec) return connected(make_error(client_errc::unreachable, "cannot resolve " + where->host + ": " + ec.message()));
      ws = std::make_unique<websocket::stream<beast::tcp_stream>>(ioc);
      auto& tcp_layer = beast::get_lowest_layer(*ws);
      tcp_layer.expires_after(opts.connect_timeout);
      tcp_layer.async_connect(rs, [this, gen](beast::error_code ec, const tcp::endpoint&) {
        if (gen != generation) return;
        if (ec) return connected(make_error(client_errc::unreachable, "cannot connect to " + where->host + ":" + where->port + ": " + ec.message()));
        beast::error_code ignored;
        beast::get_lowest_layer(*ws).socket().set_option(tcp::no_delay{true}, ignored);
        handshake(gen);
      });
    });
  }

  void handshake(uint64_t gen) {
    auto token = opts.token;
    ws->set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(http::field::sec_websocket_protocol, subprotocol);
      req.set(http::field::user_agent, "aragora-client/1");
      if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    }));
    auto res = std::make_shared<websocket::response_type>();
    ws->async_handshake(*res, where->host + ":" + where->port, "/ws", [this, gen, res](beast::error_code ec) {
      if (gen != generation) return;
      if (ec) {
        auto status = res->result_int();
        if (status == 401 || status == 403)
          return connected(refusal(status, res->body()));
        if (status != 0 && status != 101)
          return connected(make_error(client_errc::protocol, "the upgrade to /ws was answered " + std::to_string(status) + ": " + res->body().substr(0, 200), status));
        return connected(make_error(client_errc::unreachable, "WebSocket handshake with " + where->host + ":" + where->port + " failed: " + ec.message()));
      }
      if ((*res)[http::field::sec_websocket_protocol] != subprotocol)
        return connected(make_error(client_errc::protocol, "the edge did not accept the subprotocol aragora.v1.protobuf"));
      beast::get_lowest_layer(*ws).expires_never();
      auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
      // A vanished edge is noticed: a ping after half the idle time, the connection lost after it.
      timeouts.idle_timeout = opts.idle_timeout;
      timeouts.keep_alive_pings = true;
      ws->set_option(timeouts);
      ws->binary(true);
      ws->read_message_max(64u << 20);
      st = state::open;
      retired.clear();
      in.clear();  // a frame half read on the lost connection
      ++connections;
      // Followers first: their subscriptions lead the queued calls.
      for (auto& [id, f] : follows) {
        if (lost_since) ++f.summary.reconnects;
        subscribe_frame(id, f.last, true);
      }
      lost_since.reset();
      backoff = backoff_base;
      connected(true);
      read(gen);
      write();
    });
  }

  void connected(result<bool> r) {
    if (!r) {
      st = state::idle;
      if (ws) {
        beast::error_code ignored;
        beast::get_lowest_layer(*ws).socket().close(ignored);
        retired.push_back(std::move(ws));
        // Older ones' aborted operations have long completed: a client that keeps failing to
        // connect keeps a few, not one per attempt.
        if (retired.size() > 4) retired.erase(retired.begin());
      }
      out.clear();
      writing = false;
      fail_calls(r.error());
      if (!follows.empty()) {
        if (!lost_since) lost_since = steady::now();
        plan_reconnect(r.error());
      }
    }
    for (auto& cb : std::exchange(on_connected, {})) cb(r);
  }

  void plan_reconnect(const client_error& why) {
    if (closed) return;
    if (why.code == client_errc::unauthorised || why.code == client_errc::protocol ||
        why.code == client_errc::bad_endpoint || steady::now() - *lost_since >= opts.reconnect_for) {
      // Given up: a later follow starts afresh.
      lost_since.reset();
      backoff = backoff_base;
      for (auto& [id, f] : std::exchange(follows, {}))
        if (f.handlers.on_end) f.handlers.on_end(why);
      return;
    }
    retry.expires_after(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, backoff_cap);
    retry.async_wait([this](beast::error_code ec) {
      if (!ec && !closed && st == state::idle && !follows.empty()) ensure_connected({});
    });
  }

  void lost(uint64_t gen, const std::string& why) {
    if (gen != generation || st != state::open) return;
    ++generation;
    connected(make_error(client_errc::unreachable, "the connection to the edge dropped: " + why));
  }

  // -- frames ----------------------------------------------------------------------------------

  void send(std::string frame) {
    out.push_back(std::move(frame));
    if (st == state::open) write();
  }

  void write() {
    if (writing || out.empty() || st != state::open) return;
    writing = true;
    current = std::move(out.front());
    out.pop_front();
    auto gen = generation;
    ws->async_write(net::buffer(current), [this, gen](beast::error_code ec, size_t) {
      if (gen != generation) return;
      writing = false;
      if (ec) return lost(gen, ec.message());
      write();
    });
  }

  void read(uint64_t gen) {
    ws->async_read(in, [this, gen](beast::error_code ec, size_t) {
      if (gen != generation) return;
      if (ec) return lost(gen, ec.message());
      v1::Envelope env;
      bool ok = env.ParseFromArray(in.cdata().data(), static_cast<int>(in.size()));
      in.consume(in.size());
      if (ok) dispatch(env);
      if (gen == generation) read(gen);
    });
  }

  void dispatch(v1::Envelope& env) {
    switch (env.kind_case()) {
      case v1::Envelope::kApiReply: {
        auto& r = *env.mutable_api_reply();
        auto it = calls.find(r.id());
        if (it == calls.end()) return;  // timed out meanwhile
        auto done = std::move(it->second.done);
        calls.erase(it);
        if (r.status() >= 200 && r.status() < 300) done(reply{r.status(), std::move(*r.mutable_body())});
        else done(refusal(r.status(), r.body()));
        return;
      }
      case v1::Envelope::kEvent: {
        const auto& e = env.event();
        auto it = follows.find(e.debate_id());
        if (it == follows.end()) return;
        auto& f = it->second;
        if (e.seq() <= f.last) return;  // already delivered (a resume overlaps)
        f.last = e.seq();
        ++f.summary.events;
        f.summary.last_seq = e.seq();
        if (f.handlers.on_event) f.handlers.on_event(e);
        if (e.type() == v1::EventType::debate_end) finish(e.debate_id(), std::nullopt);
        return;
      }
      case v1::Envelope::kNotice: {
        auto it = follows.find(env.notice().debate_id());
        if (it == follows.end()) return;
        ++it->second.summary.notices;
        if (it->second.handlers.on_notice) it->second.handlers.on_notice(env.notice().kind(), env.notice().data());
        return;
      }
      case v1::Envelope::kError: {
        const auto& err = env.error();
        if (!err.debate_id().empty() && follows.count(err.debate_id()))
          finish(err.debate_id(), make_error(client_errc::refused, err.message(), 0, err.code()));
        return;
      }
      default: return;  // subscribed, and what a newer edge may add
    }
  }

  void finish(const std::string& id, std::optional<client_error> err) {
    auto it = follows.find(id);
    if (it == follows.end()) return;
    auto f = std::move(it->second);
    follows.erase(it);
    if (!f.handlers.on_end) return;
    if (err) f.handlers.on_end(std::move(*err));
    else f.handlers.on_end(f.summary);
  }

  void subscribe_frame(const std::string& id, uint32_t after, bool front) {
    v1::Envelope env;
    env.mutable_subscribe_debate()->set_debate_id(id);
    env.mutable_subscribe_debate()->set_after_seq(after);
    auto frame = env.SerializeAsString();
    // Ahead of the queue (the frame being written is held apart).
    if (front) out.push_front(std::move(frame));
    else send(std::move(frame));
  }

  // -- calls -----------------------------------------------------------------------------------

  void call(std::string method, std::string target, std::string body, std::function<void(result<reply>)> done) {
    if (closed) return done(make_error(client_errc::unreachable, "the client was closed"));
    if (calls.size() >= opts.max_pending_calls)
      return done(make_error(client_errc::busy, std::to_string(calls.size()) + " calls are waiting for their answer"));
    auto id = next_id++;
    v1::Envelope env;
    auto& c = *env.mutable_api_call();
    c.set_id(id);
    c.set_method(std::move(method));
    c.set_target(std::move(target));
    c.set_body(std::move(body));
    calls.emplace(id, pending{steady::now() + opts.call_timeout, std::move(done)});
    send(env.SerializeAsString());
    ensure_connected({});
  }

  void fail_calls(const client_error& why) {
    for (auto& [id, p] : std::exchange(calls, {})) p.done(why);
  }

  void arm_sweep() {
    sweep.expires_after(sweep_every);
    sweep.async_wait([this](beast::error_code ec) {
      if (ec || closed) return;
      auto now = steady::now();
      std::vector<std::function<void(result<reply>)>> late;
      for (auto it = calls.begin(); it != calls.end();) {
        if (it->second.deadline <= now) {
          late.push_back(std::move(it->second.done));
          it = calls.erase(it);
        } else {
          ++it;
        }
      }
      for (auto& d : late)
        d(make_error(client_errc::timeout, "no answer within " + std::to_string(opts.call_timeout.count()) + " ms"));
      arm_sweep();
    });
  }

  void follow(std::string id, uint32_t after, stream_handlers h) {
    if (closed) {
      if (h.on_end) h.on_end(make_error(client_errc::unreachable, "the client was closed"));
      return;
    }
    if (follows.count(id)) {
      if (h.on_end) h.on_end(make_error(client_errc::busy, "debate " + id + " is already followed on this client"));
      return;
    }
    follows.emplace(id, follower{after, std::move(h), {}});
    follows[id].summary.last_seq = after;
    if (st == state::open) subscribe_frame(id, after, false);
    else ensure_connected({});  // the subscription is sent once open
  }

  /// Runs `fn(done)` on the I/O thread and waits for `done`'s value.
  template <class T, class Fn>
  result<T> wait(Fn fn) {
    if (on_io_thread())
      return make_error(client_errc::busy, "a blocking call from a client callback would wait for itself");
    auto p = std::make_shared<std::promise<result<T>>>();
    auto f = p->get_future();
    net::post(ioc, [fn = std::move(fn), p]() mutable { fn([p](result<T> r) { p->set_value(std::move(r)); }); });
    return f.get();
  }
};

client::client(options opts) : impl_(std::make_shared<impl>(std::move(opts))) { impl_->start(); }

client::~client() { impl_->stop(); }

result<bool> client::connect() {
  return impl_->wait<bool>([i = impl_.get()](auto done) { i->ensure_connected(std::move(done)); });
}

result<reply> client::call(std::string_view method, std::string_view target, std::string_view body) {
  return impl_->wait<reply>([i = impl_.get(), m = std::string{method}, t = std::string{target},
                             b = std::string{body}](auto done) mutable {
    i->call(std::move(m), std::move(t), std::move(b), std::move(done));
  });
}

void client::call_async(std::string method, std::string target, std::string body,
                        std::function<void(result<reply>)> done) {
  net::post(impl_->ioc, [i = impl_.get(), m = std::move(method), t = std::move(target),
                         b = std::move(body), d = std::move(done)]() mutable {
    i->call(std::move(m), std::move(t), std::move(b), std::move(d));
  });
}

void client::start_debate_async(std::string body, std::function<void(result<std::string>)> done) {
  call_async("POST", "/api/v1/debates", std::move(body), [d = std::move(done)](result<reply> r) {
    if (!r) return d(std::move(r).error());
    d(debate_id_of(*r));
  });
}

result<std::string> client::start_debate(const debate_request& r) { return start_debate_json(to_json(r)); }

result<std::string> client::start_debate_json(std::string_view body) {
  auto r = call("POST", "/api/v1/debates", body);
  if (!r) return std::move(r).error();
  return debate_id_of(*r);
}

result<reply> client::debate(std::string_view id) { return call("GET", "/api/v1/debates/" + url_encode(id)); }
result<reply> client::messages(std::string_view id) {
  return call("GET", "/api/v1/debates/" + url_encode(id) + "/messages");
}
result<reply> client::receipt(std::string_view id) {
  return call("GET", "/api/v1/debates/" + url_encode(id) + "/receipt");
}
result<reply> client::cancel(std::string_view id) {
  return call("POST", "/api/v1/debates/" + url_encode(id) + "/cancel");
}
result<reply> client::list(uint32_t limit, uint32_t offset, std::string_view status) {
  auto target = "/api/v1/debates?limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
  if (!status.empty()) target += "&status=" + url_encode(status);
  return call("GET", target);
}
result<reply> client::leaderboard() { return call("GET", "/api/v1/leaderboard"); }
result<reply> client::health() { return call("GET", "/api/v1/health"); }
result<reply> client::nodes() { return call("GET", "/api/v1/cluster/nodes"); }
result<reply> client::breakers() { return call("GET", "/api/v1/cluster/breakers"); }
result<reply> client::drain(std::string_view node) {
  return call("POST", "/api/v1/cluster/nodes/" + url_encode(node) + "/drain");
}
result<reply> client::undrain(std::string_view node) {
  return call("POST", "/api/v1/cluster/nodes/" + url_encode(node) + "/undrain");
}
result<reply> client::compact() { return call("POST", "/api/v1/admin/compact"); }

result<reply> client::storage() { return call("GET", "/api/v1/admin/storage"); }

result<reply> client::backup(std::string_view node) {
  std::string target = "/api/v1/admin/backup";
  if (!node.empty()) target += "?node=" + url_encode(node);
  return call("POST", target);
}

void client::follow(std::string id, uint32_t after_seq, stream_handlers handlers) {
  net::post(impl_->ioc, [i = impl_.get(), id = std::move(id), after_seq, h = std::move(handlers)]() mutable {
    i->follow(std::move(id), after_seq, std::move(h));
  });
}

result<stream_summary> client::stream(std::string_view id, uint32_t after_seq,
                                      const std::function<void(const v1::Event&)>& on_event,
                                      const std::function<void(std::string_view, std::string_view)>& on_notice) {
  return impl_->wait<stream_summary>([i = impl_.get(), id = std::string{id}, after_seq, on_event,
                                      on_notice](auto done) mutable {
    i->follow(std::move(id), after_seq, stream_handlers{on_event, on_notice, std::move(done)});
  });
}

void client::drop_connection() {
  net::post(impl_->ioc, [i = impl_.get()] {
    if (i->st != impl::state::open || !i->ws) return;
    beast::error_code ec;
    beast::get_lowest_layer(*i->ws).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(*i->ws).socket().close(ec);
  });
}

uint64_t client::connections() const { return impl_->connections.load(); }

}  // namespace aragora::client
