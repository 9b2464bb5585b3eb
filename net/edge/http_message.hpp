#pragma once
// Between Beast's HTTP messages and handle_http (net/edge/http_handler.hpp): the view of a parsed
// request and the response the server writes. Beast, so header-only: only its two includers,
// server.cpp and the fuzz target tests/fuzz/fuzz_http.cpp, pay for its compile.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <string_view>

#include "net/edge/api.hpp"
#include "net/edge/http_handler.hpp"

namespace aragora::edge {

inline constexpr std::string_view server_name = "aragora";

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

/// What handle_http reads of `req` (views into it: `req` outlives them).
[[nodiscard]] inline http_request_view view_of(const http_request& req, std::string_view remote) {
  namespace http = boost::beast::http;
  auto header = [&](http::field f) {
    auto v = req[f];
    return std::string_view{v.data(), v.size()};
  };
  return {std::string_view{req.method_string().data(), req.method_string().size()},
          std::string_view{req.target().data(), req.target().size()},
          req.body(),
          header(http::field::authorization),
          header(http::field::sec_websocket_protocol),
          header(http::field::host),
          remote,
          boost::beast::websocket::is_upgrade(req),
          header(http::field::origin),
          header(http::field::access_control_request_method)};
}

/// `r` as the answer to `req`: its status, headers and body, keep-alive when the request asked
/// for it, the response is no server error and `close_after` is false. A HEAD request gets the
/// headers of the GET's answer (its Content-Length) and no body.
[[nodiscard]] inline http_response make_response(const http_request& req, const api_response& r,
                                                 bool close_after) {
  namespace http = boost::beast::http;
  http_response res{static_cast<http::status>(r.status), req.version()};
  res.set(http::field::server, server_name);
  res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(req.keep_alive() && r.status < 500 && !close_after);
  res.body() = r.body;
  res.prepare_payload();
  if (req.method() == http::verb::head) {
    auto n = res.body().size();
    res.body().clear();
    res.content_length(n);
  }
  return res;
}

}  // namespace aragora::edge
