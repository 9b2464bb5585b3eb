// All of Beast and Asio lives in this file (docs: keep the slowest translation unit alone).

#include "net/edge/server.hpp"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "net/edge/api.hpp"
#include "net/edge/backend.hpp"
#include "net/edge/edge_metrics.hpp"
#include "net/edge/http_handler.hpp"
#include "net/edge/http_message.hpp"
#include "net/edge/routes.hpp"
#include "net/edge/stream_hub.hpp"
#include "net/edge/views.hpp"
#include "aragora/v1/wire.pb.h"
#include "net/edge/ws_protocol.hpp"
#include "net/edge/auth/extract_token.hpp"
#include "runtime/base/defaults.hpp"
#include "runtime/base/ids/ids.hpp"
#include "runtime/base/log/log.hpp"
#include "runtime/base/text/utf8.hpp"

namespace aragora::edge {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {


std::string_view forwarded_for(const http::request<http::string_body>& req) {
  // One line only: a proxy that adds a line of its own leaves the first one to the client.
  if (req.count("X-Forwarded-For") != 1) return {};
  auto v = req["X-Forwarded-For"];  // Beast has no http::field for it
  return {v.data(), v.size()};
}

int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A control frame: text only (the binary subprotocol has no form for most of them).
stream_hub::frame share(std::string json) { return stream_hub::make_frame(std::move(json)); }

}  // namespace

/// What every connection can be asked to do when the server stops.
class session_base {
public:
  virtual ~session_base() = default;
  virtual void shutdown() = 0;
};

struct server::impl {
  server_options opts;
  backend& b;
  stream_hub& hub;
  access_control access;
  metrics_renderer metrics;
  api handlers;
  net::io_context ioc;
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
  uint16_t bound_port = 0;
  uint16_t bound_ws_port = 0;
  std::vector<std::thread> threads;
  std::atomic<size_t> connections{0};
  std::atomic<bool> stopping{false};
  std::mutex sessions_mtx;
  std::vector<std::weak_ptr<session_base>> sessions;

  impl(server_options o, backend& be, stream_hub& h, access_control a, metrics_renderer m)
      : opts(std::move(o)), b(be), hub(h), access(a), metrics(std::move(m)), handlers(be),
        ioc(static_cast<int>(std::max<uint32_t>(1, opts.io_threads))) {}

  void track(const std::shared_ptr<session_base>& s) {
    std::lock_guard<std::mutex> lock{sessions_mtx};
    if (sessions.size() > 64 && sessions.size() % 64 == 0)
      std::erase_if(sessions, [](const auto& w) { return w.expired(); });
    sessions.push_back(s);
  }

  [[nodiscard]] bool auth_enabled() const { return edge::auth_enabled(access); }
};

namespace {

// -- WebSocket --------------------------------------------------------------------------------

class ws_session final : public session_base,
                         public stream_hub::subscriber,
                         public std::enable_shared_from_this<ws_session> {
public:
  ws_session(server::impl& srv, beast::tcp_stream&& stream, std::string remote)
      : srv_(srv), ws_(std::move(stream)), heartbeat_(ws_.get_executor()),
        pause_(ws_.get_executor()), remote_(std::move(remote)) {
    ++srv_.connections;
    metrics_.ws_connections.inc();
  }
  ~ws_session() override {
    --srv_.connections;
    metrics_.ws_connections.dec();
  }

  void run(http::request<http::string_body> req, std::string echo_protocol) {
    auto opt = websocket::stream_base::timeout::suggested(beast::role_type::server);
    opt.idle_timeout = std::chrono::seconds{60};
    opt.keep_alive_pings = true;  // a peer that vanished is noticed
    ws_.set_option(opt);
    ws_.read_message_max(srv_.opts.ws_max_message_bytes);
    if (srv_.opts.ws_socket_send_buffer > 0) {
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().set_option(
          net::socket_base::send_buffer_size(srv_.opts.ws_socket_send_buffer), ec);
    }
    binary_ = echo_protocol == binary_subprotocol;
    // API calls on this connection present the token its upgrade presented.
    auto parts = split_target(req.target());
    if (auto t = extract_token(req[http::field::authorization], parts.query,
                               req[http::field::sec_websocket_protocol]))
      authorization_ = "Bearer " + t->token;
    host_ = std::string{req[http::field::host]};
    ws_.set_option(websocket::stream_base::decorator([echo_protocol](websocket::response_type& res) {
      res.set(http::field::server, server_name);
      if (!echo_protocol.empty()) res.set(http::field::sec_websocket_protocol, echo_protocol);
    }));
    auto target = std::string{req.target()};
    ws_.async_accept(req, [self = shared_from_this(), target](beast::error_code ec) {
      self->on_accept(ec, target);
    });
  }

  void shutdown() override {
    net::post(ws_.get_executor(), [self = shared_from_this()] {
      self->close(websocket::close_code::going_away, "server stopping");
    });
  }

  void push(const std::string& debate_id, uint32_t seq, const stream_hub::frame& f,
            bool last) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), debate_id, seq, f, last] {
      self->on_push(debate_id, seq, f, last);
    });
  }

  void push_live(const std::string& debate_id, uint32_t seq, const stream_hub::frame& f) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), debate_id, seq, f] {
      self->on_push_live(debate_id, seq, f);
    });
  }

private:
  struct subscription {
    std::string id;
    uint32_t next = 1;  // the seq this connection sends next
    bool done = false;  // debate_end sent
  };
  struct out {
    stream_hub::frame f;
    bool last = false;
    bool live = false;  // pushed by the hub (counts against the queue's bound)
    steady::time_point queued{};  // a live frame's, for the send lag
    bool delta = false;  // a token delta: counted apart, dropped rather than queued past its bound
  };

  /// A stored event as this connection sends it.
  stream_hub::frame encode(const v1::Event& e, const frame_context& ctx) const {
    return binary_ ? stream_hub::make_frame({}, binary_event_frame(e))
                   : stream_hub::make_frame(event_frame(e, ctx));
  }
  [[nodiscard]] const std::string& payload(const out& o) const {
    return binary_ ? o.f->binary : o.f->json;
  }

  void on_accept(beast::error_code ec, const std::string& target) {
    if (ec) return;
    accepted_ = true;
    enqueue(share(control_frame(
                "connection_info",
                "{\"authenticated\":" + std::string{srv_.auth_enabled() ? "true" : "false"} +
                    ",\"client_id\":\"" + ids::next_debate_id() + "\",\"server\":\"aragora\"}")),
            false);
    if (auto s = subscribe_in_target(target)) subscribe(s->debate_id, s->after, false);
    read();
    arm_heartbeat();
  }

  void read() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec == websocket::error::message_too_big) metrics_.ws_oversize_closed.inc();
    if (ec) return finish();  // closed, too big (Beast answered 1009), timed out, reset
    auto text = beast::buffers_to_string(in_.data());
    in_.consume(in_.size());
    if (ws_.got_binary()) handle_binary(text);
    else handle_message(text);
    if (!closing_) read();
  }

  void handle_message(std::string_view text) {
    auto msg = parse_client_message(text);
    if (auto* p = std::get_if<ws_ping>(&msg)) {
      json::object data;
      data["client_ts"] = p->client_ts;
      data["server_ts"] = epoch_ms();
      enqueue(share(control_frame("pong", json::serialize(data))), false);
    } else if (auto* sub = std::get_if<ws_subscribe>(&msg)) {
      subscribe(sub->debate_id, sub->after, true);
    } else if (auto* unsub = std::get_if<ws_unsubscribe>(&msg)) {
      std::erase_if(subs_, [&](const subscription& s) {
        if (s.id != unsub->debate_id) return false;
        srv_.hub.unsubscribe(s.id, this);
        return true;
      });
    }
    // ws_ignored: not ours to answer; an `error` frame would end a client's stream
    // (client-contract §5).
  }

  /// Ends one subscription request with an `error` frame (the connection stays): a client waiting
  /// for a stream that cannot come would wait forever otherwise.
  void refuse(const std::string& raw_id, std::string_view code, const std::string& message) {
    auto id = text::utf8_scrub(raw_id);  // from a URL: any bytes
    json::object data;
    data["debate_id"] = id;
    data["code"] = code;
    data["message"] = message;
    enqueue(stream_hub::make_frame(control_frame("error", json::serialize(data), id),
                                   binary_error_frame(code, "debate " + id + ": " + message, id)),
            false);
  }

  /// The binary subprotocol's requests: Envelope{subscribe_debate} and Envelope{api_call};
  /// anything else is ignored (as the text form ignores what it does not know).
  void handle_binary(const std::string& bytes) {
    v1::Envelope env;
    if (!env.ParseFromString(bytes)) return;
    if (env.has_subscribe_debate())
      subscribe(env.subscribe_debate().debate_id(), env.subscribe_debate().after_seq(), true);
    else if (env.has_api_call())
      api_call(env.api_call());
  }

  /// An HTTP API request carried on this connection: the same handler, roles and rate limits as
  /// over HTTP, with the token of the upgrade. Answered in order of arrival (the handler is
  /// synchronous, as it is for an HTTP connection).
  void api_call(const v1::ApiCall& call) {
    http_request_view view;
    view.method = call.method();
    view.target = call.target();
    view.body = call.body();
    view.authorization = authorization_;
    view.host = host_;
    view.remote = remote_;
    http_context ctx{srv_.b, srv_.handlers, srv_.access, srv_.metrics, false, {}};
    auto received = steady::now();
    auto out = handle_http(ctx, view);
    if (out.upgrade)
      out.response = error_response({api_errc::invalid_value, "this connection is already a WebSocket"});
    metrics_.request(out.which ? &*out.which : nullptr, call.method(), out.response.status)
        .observe(steady::now() - received);
    v1::Envelope reply;
    auto* r = reply.mutable_api_reply();
    r->set_id(call.id());
    r->set_status(out.response.status);
    r->set_body(std::move(out.response.body));
    r->set_content_type(std::move(out.response.content_type));
    // Counted as live: a client that sends calls but reads no replies is cut off, not buffered.
    enqueue(stream_hub::make_frame({}, reply.SerializeAsString()), false, true);
  }

  subscription* find(const std::string& id) {
    for (auto& s : subs_)
      if (s.id == id) return &s;
    return nullptr;
  }

  /// Replays the stored events after `after`, then what the hub holds, then follows live.
  void subscribe(const std::string& id, uint32_t after, bool explicit_request) {
    after = std::min<uint32_t>(after, UINT32_MAX - 1);  // next = after + 1 must not wrap
    if (!ids::valid_debate_id(id)) return refuse(id, "INVALID_VALUE", "not a debate id");
    if (auto* s = find(id)) {
      // Again: from `after` if given, else nothing this connection already has.
      srv_.hub.unsubscribe(id, this);
      if (after == 0) after = s->next - 1;
      std::erase_if(subs_, [&](const subscription& x) { return x.id == id; });
    }
    // The client library follows many debates on one connection; a page or a script a few.
    size_t limit = binary_ ? defaults::edge_ws_subscriptions_binary : defaults::edge_ws_subscriptions_text;
    // Ended subscriptions are kept (a repeated subscribe resumes where this connection was) until
    // they would crowd the table.
    if (subs_.size() >= limit) std::erase_if(subs_, [](const subscription& s) { return s.done; });
    if (subs_.size() >= limit) {
      log::warn("edge", remote_, ": ", limit, " subscriptions on one connection; refusing ", id);
      return refuse(id, "TOO_MANY_SUBSCRIPTIONS",
                    "this connection follows " + std::to_string(limit) +
                        " debates, the most it may; follow more on another connection");
    }
    auto snap = srv_.hub.subscribe(id, shared_from_this(), after);
    v1::DebateRecord record;
    auto events = srv_.b.events(id, 0, UINT32_MAX, &record);
    if (!events && !snap.live) return refuse(id, to_string(events.error().code), events.error().message);
    subs_.push_back({id, after + 1, false});
    auto& sub = subs_.back();
    if (explicit_request) {
      uint32_t newest = snap.live ? snap.published : (events && !events->empty() ? events->back().seq() : 0);
      enqueue(stream_hub::make_frame(
                  control_frame("subscribed", "{\"debate_id\":" + json::serialize(json::string{id}) + "}", id),
                  binary_subscribed_frame(id, newest)),
              false);
      enqueue(share(control_frame("replay_start", "{\"debate_id\":" + json::serialize(json::string{id}) +
                                                      ",\"after_seq\":" + std::to_string(after) + "}", id)),
              false);
    }
    // Live: the store has what is durable, the hub the rest (from `first_held` on).
    uint32_t first_held = snap.held.empty() ? snap.published + 1 : snap.held.front().first;
    stream_hub::frame end;  // a stored debate_end: after replay_end, so that it stays the last frame
    if (events) {
      frame_context ctx;
      ctx.total_rounds = record.spec().rounds();
      if (record.has_receipt()) ctx.receipt_id = record.receipt().receipt_id();
      answer_tracker answers;
      for (const auto& e : *events) {
        answers.see(e);
        if (e.seq() < sub.next) continue;
        if (snap.live && (e.seq() >= first_held || e.type() == v1::EventType::debate_end)) break;
        if (e.seq() != sub.next) break;  // a gap in the store: the rest would be out of order
        bool last = e.type() == v1::EventType::debate_end;
        ctx.final_answer = answers.answer_for(e);
        if (last && ctx.final_answer.empty())
          if (auto d = srv_.b.debate(id)) ctx.final_answer = d->first.final_answer();  // no winner
        if (last && explicit_request) end = encode(e, ctx);
        else enqueue(encode(e, ctx), last);
        sub.next = e.seq() + 1;
        if (last) sub.done = true;
      }
    }
    for (const auto& [seq, f] : snap.held) {
      if (seq != sub.next) continue;
      if (f->last) {  // published just now, the debate not yet closed in the hub
        sub.done = true;
        if (explicit_request) end = f;
        else enqueue(f, true);
      } else {
        enqueue(f, false);
      }
      sub.next = seq + 1;
    }
    // Asked from at or past a stored debate_end: nothing more will come.
    if (!snap.live && events && !events->empty() &&
        events->back().type() == v1::EventType::debate_end && sub.next > events->back().seq())
      sub.done = true;
    if (explicit_request)
      enqueue(share(control_frame("replay_end", "{\"debate_id\":" + json::serialize(json::string{id}) +
                                                    ",\"last_seq\":" + std::to_string(sub.next - 1 - (end ? 1 : 0)) + "}", id)),
              false);
    if (end) enqueue(std::move(end), true);
    if (sub.done || !snap.live) srv_.hub.unsubscribe(id, this);
  }

  void on_push(const std::string& id, uint32_t seq, const stream_hub::frame& f, bool last) {
    if (closing_) return;
    auto* sub = find(id);
    if (!sub || sub->done || seq < sub->next) return;
    if (seq > sub->next) {
      // Frames the hub let go of before they reached us: they are durable, so in the store.
      v1::DebateRecord record;
      auto events = srv_.b.events(id, 0, seq - 1, &record);
      if (events) {
        frame_context ctx;
        ctx.total_rounds = record.spec().rounds();
        for (const auto& e : *events) {
          if (e.seq() != sub->next || e.seq() >= seq) continue;
          enqueue(encode(e, ctx), false);
          sub->next = e.seq() + 1;
        }
      }
      if (seq != sub->next)
        log::warn("edge", remote_, ": debate ", id, " frames ", sub->next, "..", seq - 1,
                  " were lost to this connection");
    }
    enqueue(f, last, true);
    sub->next = seq + 1;
    if (last) {
      sub->done = true;
      srv_.hub.unsubscribe(id, this);
    }
  }

  // A token delta: only to a subscription caught up to the event it follows (one still replaying
  // would see it out of order), and only while fewer than half the queue's bound of deltas wait
  // and the events' own queue is not half full: deltas are many and best-effort. They are counted
  // apart from the events, so they never bring a consumer nearer to being cut off.
  void on_push_live(const std::string& id, uint32_t seq, const stream_hub::frame& f) {
    if (closing_) return;
    auto* sub = find(id);
    if (!sub || sub->done || sub->next != seq + 1) return;
    auto half = srv_.opts.ws_send_queue_frames / 2;
    if (deltas_queued_ >= half || live_queued_ >= half) return;
    queue_.push_back({f, false, false, steady::time_point{}, true});
    ++deltas_queued_;
    if (!writing_ && accepted_) write();
  }

  /// Queues a frame. The bound counts live frames only: a replay is as long as its debate (a
  /// bounded number of events) and is written at the connection's pace, but live frames that
  /// pile up mean the consumer cannot keep up.
  void enqueue(stream_hub::frame f, bool last, bool live = false) {
    if (closing_) return;
    if (live && live_queued_ >= srv_.opts.ws_send_queue_frames) {
      // A consumer this far behind is cut off rather than held in memory; it resumes by seq.
      metrics_.ws_slow_consumers.inc();
      close(websocket::close_code::try_again_later,
            "slow consumer: send queue full; resubscribe with after_seq");
      return;
    }
    queue_.push_back({std::move(f), last, live, live ? steady::now() : steady::time_point{}});
    if (live) ++live_queued_;
    if (!writing_ && accepted_) write();
  }

  void write() {
    // Frames this connection's form does not carry (most control frames, in binary) are dropped.
    while (!queue_.empty() && payload(queue_.front()).empty()) {
      if (queue_.front().live && live_queued_ > 0) --live_queued_;
      if (queue_.front().delta && deltas_queued_ > 0) --deltas_queued_;
      queue_.pop_front();
    }
    if (queue_.empty() || closing_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    auto& front = queue_.front();
    if (front.last && !binary_) {
      // debate_end alone: some clients stop reading at it and drop what was still queued. (The
      // binary subprotocol's client reads on: on its connection, many debates share one queue,
      // and the pause would hold every one of them behind each debate's end.)
      auto due = last_write_ + srv_.opts.ws_end_pause;
      if (steady::now() < due) {
        pause_.expires_at(due);
        pause_.async_wait([self = shared_from_this()](beast::error_code ec) {
          if (!ec) self->send_front();
        });
        return;
      }
    }
    send_front();
  }

  void send_front() {
    if (closing_ || queue_.empty()) return;
    ws_.binary(binary_);
    ws_.async_write(net::buffer(payload(queue_.front())),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec || self->queue_.empty()) return self->finish();
                      auto& sent = self->queue_.front();
                      self->last_write_ = steady::now();
                      self->metrics_.ws_frames_sent.inc();
                      if (sent.live) {
                        self->metrics_.ws_send_lag.observe(self->last_write_ - sent.queued);
                        if (self->live_queued_ > 0) --self->live_queued_;
                      }
                      if (sent.delta && self->deltas_queued_ > 0) --self->deltas_queued_;
                      self->queue_.pop_front();
                      self->write();
                    });
  }

  void arm_heartbeat() {
    heartbeat_.expires_after(srv_.opts.ws_heartbeat);
    heartbeat_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closing_) return;
      uint32_t last = 0;
      size_t following = 0;  // subscriptions whose debate has not ended
      for (const auto& s : self->subs_) {
        last = std::max(last, s.next - 1);
        following += !s.done;
      }
      json::object data;
      data["server_time"] = epoch_ms();
      data["last_seq"] = last;
      data["subscriptions"] = following;
      if (self->live_queued_ < self->srv_.opts.ws_send_queue_frames / 2)
        self->enqueue(share(control_frame("heartbeat", json::serialize(data))), false);
      self->arm_heartbeat();
    });
  }

  void close(websocket::close_code code, std::string reason) {
    if (closing_) return;
    closing_ = true;
    // The frame being written stays until its write completes (it is the write's buffer).
    queue_.erase(writing_ && !queue_.empty() ? queue_.begin() + 1 : queue_.begin(), queue_.end());
    live_queued_ = 0;
    deltas_queued_ = 0;
    unsubscribe_all();
    heartbeat_.cancel();
    pause_.cancel();
    websocket::close_reason why{code, reason};
    ws_.async_close(why, [self = shared_from_this()](beast::error_code) {});
  }

  void finish() {
    closing_ = true;
    unsubscribe_all();
    heartbeat_.cancel();
    pause_.cancel();
  }

  void unsubscribe_all() {
    for (const auto& s : subs_) srv_.hub.unsubscribe(s.id, this);
    subs_.clear();
  }

  server::impl& srv_;
  edge_metrics& metrics_ = edge_metrics::get();
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer in_;
  net::steady_timer heartbeat_;
  net::steady_timer pause_;
  std::string remote_;
  std::string authorization_;  // "Bearer <t>" when the upgrade presented a token
  std::string host_;
  std::deque<out> queue_;
  size_t live_queued_ = 0;
  size_t deltas_queued_ = 0;
  std::vector<subscription> subs_;
  steady::time_point last_write_{};
  bool accepted_ = false;
  bool binary_ = false;  // the binary subprotocol: protobuf envelopes, not JSON text
  bool writing_ = false;
  bool closing_ = false;
};

// -- HTTP -------------------------------------------------------------------------------------

class http_session final : public session_base, public std::enable_shared_from_this<http_session> {
public:
  http_session(server::impl& srv, tcp::socket&& socket, bool ws_only)
      : srv_(srv), stream_(std::move(socket)), executor_(stream_.get_executor()), ws_only_(ws_only) {
    ++srv_.connections;
    metrics_.http_connections.inc();
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    remote_ = ec ? "?" : ep.address().to_string();
    stream_.socket().set_option(tcp::no_delay{true}, ec);
  }
  ~http_session() override {
    --srv_.connections;
    metrics_.http_connections.dec();
  }

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  void shutdown() override {
    // Through the executor kept apart: stream_ may be moving into a WebSocket session right now
    // (on the strand, which this waits for; then the WebSocket session is the one to close).
    net::post(executor_, [self = shared_from_this()] {
      if (self->upgraded_) return;
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

private:
  void read() {
    parser_.emplace();
    parser_->body_limit(srv_.opts.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(srv_.opts.max_header_bytes));
    stream_.expires_after(served_ > 0 ? srv_.opts.idle_timeout : srv_.opts.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset)
      return close();
    if (ec == http::error::body_limit)
      return fail_and_close({api_errc::payload_too_large,
                             "the body exceeds " + std::to_string(srv_.opts.max_body_bytes) + " bytes"});
    if (ec == http::error::header_limit)
      return fail_and_close({api_errc::headers_too_large,
                             "the headers exceed " + std::to_string(srv_.opts.max_header_bytes) + " bytes"});
    if (ec) return fail_and_close({api_errc::invalid_value, "malformed HTTP request: " + ec.message()});
    received_ = steady::now();
    handle(parser_->release());
  }

  void handle(http::request<http::string_body> req) {
    ++served_;
    http_context ctx{srv_.b, srv_.handlers, srv_.access, srv_.metrics, ws_only_,
                     srv_.opts.cors_origin};
    auto out = handle_http(ctx, view_of(req, client_address(remote_, forwarded_for(req))));
    route_ = out.which;
    if (!out.upgrade) return respond(req, out.response);
    stream_.expires_never();
    upgraded_ = true;
    // The WebSocket's API calls are rate-limited under the same address as its upgrade.
    auto ws = std::make_shared<ws_session>(srv_, std::move(stream_),
                                           std::string{client_address(remote_, forwarded_for(req))});
    srv_.track(ws);
    ws->run(std::move(req), std::move(out.echo_protocol));
  }

  void respond(const http::request<http::string_body>& req, const api_response& r) {
    auto res = std::make_shared<http::response<http::string_body>>(
        make_response(req, r, close_after_));
    bool keep = res->keep_alive();
    // Counted before the answer leaves: a client that reads /metrics next (on another connection,
    // served by another I/O thread) finds its request in it.
    metrics_.request(route_ ? &*route_ : nullptr,
                     {req.method_string().data(), req.method_string().size()}, r.status)
        .observe(steady::now() - received_);
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep](beast::error_code ec, size_t) {
      self->route_.reset();
      if (ec || !keep) return self->close();
      self->read();
    });
  }

  /// A request that cannot be read any further: answer it and close (pipelined bytes after it
  /// cannot be trusted).
  void fail_and_close(const api_error& e) {
    close_after_ = true;
    received_ = steady::now();
    http::request<http::string_body> req;
    req.version(11);
    respond(req, error_response(e));
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  server::impl& srv_;
  edge_metrics& metrics_ = edge_metrics::get();
  beast::tcp_stream stream_;
  beast::tcp_stream::executor_type executor_;  // the session's strand
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  bool ws_only_;
  bool upgraded_ = false;  // stream_ moved into a ws_session
  bool close_after_ = false;
  uint64_t served_ = 0;
  std::optional<route> route_;  // the request being answered, once matched
  steady::time_point received_{};
};

void accept_loop(server::impl& srv, std::shared_ptr<tcp::acceptor> acceptor, bool ws_only) {
  acceptor->async_accept(net::make_strand(srv.ioc), [&srv, acceptor, ws_only](beast::error_code ec,
                                                                               tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
      log::warn("edge", "accept failed: ", ec.message());
    } else if (srv.connections.load() >= srv.opts.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);  // at capacity: refused before a byte is read
    } else {
      auto s = std::make_shared<http_session>(srv, std::move(socket), ws_only);
      srv.track(s);
      s->run();
    }
    accept_loop(srv, acceptor, ws_only);
  });
}

}  // namespace

server::server(server_options opts, backend& b, stream_hub& hub, access_control access,
               metrics_renderer metrics)
    : impl_(std::make_unique<impl>(std::move(opts), b, hub, access, std::move(metrics))) {}

server::~server() { stop(); }

std::optional<std::string> server::start() {
  auto& s = *impl_;
  auto bind = [&](uint16_t port, bool ws_only, uint16_t& bound) -> std::optional<std::string> {
    beast::error_code ec;
    auto address = net::ip::make_address(s.opts.host, ec);
    if (ec) return "bad listen address '" + s.opts.host + "': " + ec.message();
    // On a strand of its own: with several I/O threads, its completions and stop()'s close
    // must not touch it at once.
    auto acceptor = std::make_shared<tcp::acceptor>(net::make_strand(s.ioc));
    tcp::endpoint ep{address, port};
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec) return "cannot listen on " + s.opts.host + ":" + std::to_string(port) + ": " + ec.message();
    bound = acceptor->local_endpoint().port();
    s.acceptors.push_back(acceptor);
    accept_loop(s, acceptor, ws_only);
    return std::nullopt;
  };
  if (auto e = bind(s.opts.port, false, s.bound_port)) return e;
  if (s.opts.ws_port)
    if (auto e = bind(*s.opts.ws_port, true, s.bound_ws_port)) return e;
  for (uint32_t i = 0; i < std::max<uint32_t>(1, s.opts.io_threads); ++i)
    s.threads.emplace_back([&s] { s.ioc.run(); });
  return std::nullopt;
}

void server::stop() {
  auto& s = *impl_;
  if (s.stopping.exchange(true)) return;
  for (auto& a : s.acceptors)
    net::post(a->get_executor(), [a] {
      beast::error_code ec;
      a->close(ec);
    });
  {
    std::lock_guard<std::mutex> lock{s.sessions_mtx};
    for (auto& w : s.sessions)
      if (auto p = w.lock()) p->shutdown();
  }
  // WebSockets get their close frame; a moment for the close handshakes before the loop stops.
  auto until = steady::now() + std::chrono::milliseconds{500};
  while (s.connections.load() > 0 && steady::now() < until && !s.threads.empty())
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  s.ioc.stop();
  for (auto& t : s.threads)
    if (t.joinable()) t.join();
  s.threads.clear();
}

uint16_t server::port() const { return impl_->bound_port; }
uint16_t server::ws_port() const { return impl_->bound_ws_port; }
size_t server::connections() const { return impl_->connections.load(); }

}  // namespace aragora::edge
