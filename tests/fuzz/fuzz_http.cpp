// Fuzz target: what a client sends the edge's HTTP port. The input is the byte stream of one
// connection (requests pipelined one after another), read by Beast's request parser with the
// server's limits (server_options); each request that parses is answered as server.cpp answers it
// (view_of, handle_http: routes, tokens, rate limits, the page, the API handlers over a fake
// backend; make_response), and the response is serialised and read back. A WebSocket upgrade gets
// Beast's handshake as the server configures it. Each input is served twice: without tokens, the
// backend holding a debate (the handlers render it), and with tokens and a rate limit, the backend
// empty (the refusals; rendering a debate again would halve the executions per second for no new
// code). No crash, no hang; a response that does not read back as the one HTTP response it was
// aborts.

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/edge/api.hpp"
#include "net/edge/auth/rate_limiter.hpp"
#include "net/edge/auth/token_store.hpp"
#include "net/edge/http_handler.hpp"
#include "net/edge/http_message.hpp"
#include "net/edge/server.hpp"
#include "net/edge/ws_protocol.hpp"
#include "tests/fuzz/fake_backend.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using namespace aragora;

// The tokens of the second pass; seeds present them (tests/fuzz/corpus/http/).
constexpr std::string_view tokens =
    "reader read fuzz-reader-token-0001\n"
    "writer write fuzz-writer-token-0001\n"
    "admin admin fuzz-admin-token-00001\n";

[[noreturn]] void fail(const char* why) {
  std::fprintf(stderr, "fuzz_http: %s\n", why);
  std::abort();
}

/// The bytes the server writes for `res`.
std::string serialise(edge::http_response& res) {
  http::response_serializer<http::string_body> sr{res};
  std::string out;
  beast::error_code ec;
  while (!sr.is_done()) {
    sr.next(ec, [&](beast::error_code&, const auto& buffers) {
      for (auto b : beast::buffers_range_ref(buffers))
        out.append(static_cast<const char*>(b.data()), b.size());
      sr.consume(beast::buffer_bytes(buffers));
    });
    if (ec) fail("a response does not serialise");
  }
  return out;
}

/// A client reads `wire` as exactly one response with `status` (no body after HEAD).
void check_reads_back(std::string_view wire, unsigned status, bool head) {
  http::response_parser<http::string_body> p;
  p.skip(head);
  p.eager(true);
  p.body_limit(boost::none);
  beast::error_code ec;
  auto n = p.put(net::buffer(wire.data(), wire.size()), ec);
  if (ec || !p.is_done() || n != wire.size()) fail("a response does not read back");
  if (p.get().result_int() != status) fail("a response reads back with another status");
}

/// A JSON answer is JSON (and UTF-8, which Boost.JSON checks): the clients parse every body
/// they get, an error's too, so a request's bytes echoed raw into one would break them.
void check_json(const edge::api_response& r) {
  if (!r.content_type.starts_with("application/json")) return;
  boost::json::error_code ec;
  (void)boost::json::parse(r.body, ec);
  if (ec) {
    std::fprintf(stderr, "fuzz_http: %u %s\n", r.status, r.body.c_str());
    fail("a JSON answer is not JSON");
  }
}

/// Beast's own answer to a handshake: one response, its body (if any) up to the close.
void check_handshake_reads_back(std::string_view wire) {
  http::response_parser<http::string_body> p;
  p.eager(true);
  beast::error_code ec;
  auto n = p.put(net::buffer(wire.data(), wire.size()), ec);
  if (ec == http::error::need_more) p.put_eof(ec);
  if (ec || !p.is_done() || n != wire.size())
    fail("the handshake's answer does not read back");
}

/// Beast's server handshake on an admitted upgrade, as ws_session::run configures it; the
/// 101 (or refusal) it writes must read back. Then what on_accept reads of the target.
void accept_websocket(const edge::http_request& req, const std::string& echo_protocol) {
  net::io_context ioc;
  beast::test::stream client{ioc};
  websocket::stream<beast::test::stream> ws{ioc};
  ws.next_layer().connect(client);
  ws.read_message_max(edge::server_options{}.ws_max_message_bytes);
  ws.set_option(websocket::stream_base::decorator([&](websocket::response_type& res) {
    res.set(http::field::server, edge::server_name);
    if (!echo_protocol.empty()) res.set(http::field::sec_websocket_protocol, echo_protocol);
  }));
  beast::error_code ec;
  ws.accept(req, ec);  // a refusal (a bad key, version) is answered and is no finding
  auto wire = client.str();
  check_handshake_reads_back({wire.data(), wire.size()});
  (void)edge::subscribe_in_target({req.target().data(), req.target().size()});
}

/// Reads and answers requests from `bytes` until the connection would close.
void serve_connection(std::string_view bytes, const edge::http_context& ctx) {
  const edge::server_options opts;
  for (;;) {
    http::request_parser<http::string_body> p;
    p.body_limit(opts.max_body_bytes);
    p.header_limit(static_cast<uint32_t>(opts.max_header_bytes));
    p.eager(true);
    beast::error_code ec;
    while (!p.is_done()) {
      auto n = p.put(net::buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(n);
      if (ec == http::error::need_more || (!ec && n == 0)) {
        if (n > 0) {
          ec = {};
          continue;
        }
        if (!p.got_some()) return;  // end_of_stream, as http::read says: closed, no answer
        p.put_eof(ec);  // the stream ends here, as a socket's would
        if (!ec && !p.is_done()) fail("put_eof neither finished nor refused a message");
        break;
      }
      if (ec) break;
    }
    if (ec) {
      // As http_session::on_read maps a read error to its answer, and fail_and_close answers
      // it (to a blank HTTP/1.1 request: this one could not be read) and closes.
      edge::http_request fallback;
      fallback.version(11);
      edge::api_error e{edge::api_errc::invalid_value, "malformed HTTP request: " + ec.message()};
      if (ec == http::error::body_limit) e = {edge::api_errc::payload_too_large, "body"};
      if (ec == http::error::header_limit) e = {edge::api_errc::headers_too_large, "headers"};
      auto r = edge::error_response(e);
      check_json(r);
      auto res = edge::make_response(fallback, r, true);
      check_reads_back(serialise(res), r.status, false);
      return;
    }
    auto req = p.release();
    auto out = edge::handle_http(ctx, edge::view_of(req, "192.0.2.1"));
    if (out.upgrade) {
      if (!out.which || *out.which != edge::route::stream) fail("an upgrade off /ws");
      return accept_websocket(req, out.echo_protocol);  // the connection is a WebSocket's now
    }
    check_json(out.response);
    auto res = edge::make_response(req, out.response, false);
    bool keep = res.keep_alive();
    check_reads_back(serialise(res), out.response.status, req.method() == http::verb::head);
    if (!keep) return;
  }
}

struct edge_parts {
  test::fake_backend backend;
  edge::api handlers{backend};
  test::fake_backend empty_backend{false};
  edge::api empty_handlers{empty_backend};
  edge::token_store token_store;
  edge::metrics_renderer metrics = [] { return std::string{"aragora_up 1\n"}; };

  edge_parts() {
    if (token_store.load_text(tokens, "fuzz tokens")) fail("the fuzz tokens do not load");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Protobuf logs every string that is not UTF-8 on stderr; the edge's log its internal errors.
  static google::protobuf::LogSilencer quiet;
  static edge_parts parts;
  std::string_view bytes{reinterpret_cast<const char*>(data), size};

  edge::access_control open;
  serve_connection(bytes, {parts.backend, parts.handlers, open, parts.metrics, false, "*"});

  // A fresh limiter per input: a bucket carried over would make a finding depend on the inputs
  // before it. A burst of 3 lets a pipelined stream reach the refusal.
  edge::rate_limiter limiter{{.per_second = 1, .burst = 3, .max_keys = 16}};
  edge::access_control guarded{&parts.token_store, &limiter};
  serve_connection(bytes, {parts.empty_backend, parts.empty_handlers, guarded, parts.metrics, false,
                          "https://app.example"});
  return 0;
}
