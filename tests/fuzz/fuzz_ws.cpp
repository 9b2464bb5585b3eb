// Fuzz target: what a WebSocket client sends /ws. The first byte picks what the rest is:
//   'j'     one text message, read as the server reads a client's control message
//           (parse_client_message: ping, subscribe, unsubscribe; anything else is ignored);
//   other   the frame stream a client sends after a valid handshake, read by Beast's WebSocket
//           stream as ws_session configures it (server role, read_message_max from
//           server_options, no permessage-deflate) until it fails or closes; each text message
//           goes to parse_client_message.
// No crash, no hang, no message over the limit; a subscribe or unsubscribe without an id aborts
// (the server would act on it).

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "net/edge/server.hpp"
#include "net/edge/ws_protocol.hpp"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using namespace aragora;

[[noreturn]] void fail(const char* why) {
  std::fprintf(stderr, "fuzz_ws: %s\n", why);
  std::abort();
}

void read_control_message(std::string_view text) {
  auto msg = edge::parse_client_message(text);
  if (auto* s = std::get_if<edge::ws_subscribe>(&msg); s && s->debate_id.empty())
    fail("a subscribe without an id");
  if (auto* u = std::get_if<edge::ws_unsubscribe>(&msg); u && u->debate_id.empty())
    fail("an unsubscribe without an id");
}

/// The upgrade the server has read and admitted (http_session hands it to ws_session).
http::request<http::string_body> upgrade_request() {
  http::request<http::string_body> req{http::verb::get, "/ws?debate_id=0190aa5c3f1-00001", 11};
  req.set(http::field::host, "127.0.0.1:8080");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(http::field::sec_websocket_version, "13");
  return req;
}

void read_frames(std::string_view bytes) {
  static const auto req = upgrade_request();
  const edge::server_options opts;
  net::io_context ioc;
  beast::test::stream client{ioc};  // takes what the server writes: the 101, pongs, the close
  websocket::stream<beast::test::stream> ws{ioc};
  ws.next_layer().connect(client);
  ws.read_message_max(opts.ws_max_message_bytes);
  beast::error_code ec;
  ws.accept(req, ec);
  if (ec) fail("the fixed upgrade is refused");
  ws.next_layer().append(bytes);
  ws.next_layer().close_remote();  // then end of stream: a read never waits
  beast::flat_buffer in;
  for (;;) {
    ws.read(in, ec);
    if (ec) return;  // closed, too big (1009), a protocol error (1002), the end of the bytes
    if (in.size() > opts.ws_max_message_bytes) fail("a message over read_message_max");
    if (ws.got_text()) read_control_message(beast::buffers_to_string(in.data()));
    in.consume(in.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest{reinterpret_cast<const char*>(data) + 1, size - 1};
  if (data[0] == 'j')
    read_control_message(rest);
  else
    read_frames(rest);
  return 0;
}
