#include "tests/support/edge_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast.hpp>

namespace aragora::test {

namespace beast = boost::beast;
namespace http_ns = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

net::io_context& context() {
  static net::io_context ioc;
  return ioc;
}

}  // namespace

std::string http_reply::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

http_reply http(uint16_t port, const std::string& method, const std::string& target,
                const std::string& body, const header_list& headers) {
  http_reply out;
  beast::tcp_stream stream{context()};
  beast::error_code ec;
  stream.expires_after(std::chrono::seconds{30});
  stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return out;
  http_ns::request<http_ns::string_body> req{http_ns::string_to_verb(method), target, 11};
  req.set(http_ns::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http_ns::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  http_ns::write(stream, req, ec);
  if (ec) return out;
  beast::flat_buffer buffer;
  http_ns::response_parser<http_ns::string_body> parser;
  parser.body_limit(64 << 20);
  if (method == "HEAD") parser.skip(true);
  http_ns::read(stream, buffer, parser, ec);
  if (ec) return out;
  auto res = parser.release();
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& f : res) out.headers.emplace_back(std::string{f.name_string()}, std::string{f.value()});
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

std::string raw_exchange(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  beast::tcp_stream stream{context()};
  beast::error_code ec;
  stream.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return {};
  net::write(stream.socket(), net::buffer(bytes), ec);
  std::string got;
  char buf[4096];
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    stream.expires_at(until);
    auto n = stream.read_some(net::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
  }
  return got;
}

struct ws_client::impl {
  // Its own loop: a read waits on it with a deadline (Beast's timeouts hold for async
  // operations only; a blocking read would wait forever on a server that says nothing).
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  bool connected = false;
  unsigned status = 0;
  std::string error;
  std::string protocol;
};

ws_client::ws_client(uint16_t port, const std::string& target, const header_list& headers,
                     int rcvbuf)
    : impl_(std::make_unique<impl>()) {
  auto& s = beast::get_lowest_layer(impl_->ws);
  beast::error_code ec;
  s.socket().open(tcp::v4(), ec);
  if (rcvbuf > 0) s.socket().set_option(net::socket_base::receive_buffer_size(rcvbuf), ec);
  s.expires_after(std::chrono::seconds{30});
  s.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return;
  impl_->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  websocket::response_type res;
  impl_->ws.handshake(res, "127.0.0.1:" + std::to_string(port), target, ec);
  impl_->status = res.result_int();
  impl_->protocol = std::string{res[beast::http::field::sec_websocket_protocol]};
  if (ec) return;
  s.expires_never();
  impl_->connected = true;
}

ws_client::~ws_client() {
  if (impl_->connected) drop();
}

bool ws_client::connected() const { return impl_->connected; }
unsigned ws_client::handshake_status() const { return impl_->status; }

std::optional<std::string> ws_client::read(std::chrono::milliseconds timeout) {
  if (!impl_->connected) return std::nullopt;
  impl_->buffer.consume(impl_->buffer.size());
  std::optional<beast::error_code> result;
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code ec, size_t) { result = ec; });
  impl_->ioc.restart();
  impl_->ioc.run_for(timeout);
  if (!result) {
    // A WebSocket read cannot be abandoned half way: the connection is given up.
    beast::error_code ec;
    beast::get_lowest_layer(impl_->ws).socket().close(ec);
    impl_->ioc.restart();
    impl_->ioc.run();
    impl_->connected = false;
    impl_->error = "timed out";
    return std::nullopt;
  }
  if (*result) {
    impl_->connected = false;  // closed or reset
    impl_->error = result->message();
    return std::nullopt;
  }
  return beast::buffers_to_string(impl_->buffer.data());
}

void ws_client::send(const std::string& text) {
  if (!impl_->connected) return;
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).expires_after(std::chrono::seconds{10});
  impl_->ws.text(true);
  impl_->ws.write(net::buffer(text), ec);
}

void ws_client::send_binary(const std::string& bytes) {
  if (!impl_->connected) return;
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).expires_after(std::chrono::seconds{10});
  impl_->ws.binary(true);
  impl_->ws.write(net::buffer(bytes), ec);
}

bool ws_client::got_binary() const { return impl_->ws.got_binary(); }

std::string ws_client::protocol() const { return impl_->protocol; }

void ws_client::close() {
  if (!impl_->connected) return;
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).expires_after(std::chrono::seconds{5});
  impl_->ws.close(websocket::close_code::normal, ec);
  impl_->connected = false;
}

void ws_client::drop() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
  impl_->connected = false;
}

std::string ws_client::error() const { return impl_->error; }
int ws_client::close_code() const { return impl_->ws.reason().code; }
std::string ws_client::close_reason() const { return std::string{impl_->ws.reason().reason.c_str()}; }

}  // namespace aragora::test
