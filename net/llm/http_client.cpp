#include "net/llm/http_client.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace aragora::llm {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

std::string_view to_string(transport_errc x) {
  switch (x) {
    case transport_errc::bad_url: return "bad_url";
    case transport_errc::insecure: return "insecure_url";
    case transport_errc::resolve_failed: return "resolve_failed";
    case transport_errc::connect_failed: return "connect_failed";
    case transport_errc::tls_failed: return "tls_failed";
    case transport_errc::timeout: return "timeout";
    case transport_errc::reset: return "connection_reset";
    case transport_errc::too_large: return "answer_too_large";
    case transport_errc::cancelled: return "cancelled";
    case transport_errc::stopped: return "stopped";
  }
  return "unknown";
}

bool transient(transport_errc x) {
  return x == transport_errc::timeout || x == transport_errc::reset ||
         x == transport_errc::connect_failed || x == transport_errc::resolve_failed;
}

namespace {

bool loopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto a = net::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

}  // namespace

expected<base_url, transport_errc> parse_base_url(std::string_view url) {
  // Never the URL itself in a message: its userinfo or query may hold a key.
  auto bad = [](std::string why) { return transport_error{transport_errc::bad_url, "base URL: " + why}; };
  base_url out;
  if (url.rfind("https://", 0) == 0) {
    url.remove_prefix(8);
  } else if (url.rfind("http://", 0) == 0) {
    out.tls = false;
    url.remove_prefix(7);
  } else {
    return bad("expected http:// or https://");
  }
  auto slash = url.find('/');
  auto authority = url.substr(0, slash);
  auto path = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad("credentials do not go in the URL");
  if (path.find_first_of("?# ") != std::string_view::npos) return bad("no query, fragment or space");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [");
    host = authority.substr(1, close - 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("junk after ]");
      port = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad("no host");
  if (!std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':';
      }))
    return bad("the host is a name or an IP address");
  if (!port.empty()) {
    unsigned n = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || n > 65535) return bad("bad port");
      n = n * 10 + static_cast<unsigned>(c - '0');
    }
    if (n == 0 || n > 65535) return bad("bad port");
  }
  out.host = std::string{host};
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string{port};
  out.path = std::string{path};
  if (!out.tls && !loopback(out.host))
    return transport_error{transport_errc::insecure,
                           "base URL http://" + out.host + ":" + out.port +
                               ": plain http is only for a loopback server (keys would cross the "
                               "network in clear); use https://"};
  return out;
}

namespace {

struct exchange_base {
  virtual ~exchange_base() = default;
  virtual void abort(transport_errc why) = 0;
};

}  // namespace

struct http_client::impl {
  options opts;
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work;
  ssl::context tls{ssl::context::tls_client};
  std::vector<std::thread> threads;
  mutable std::mutex mtx;
  std::unordered_map<uint64_t, std::weak_ptr<exchange_base>> live;
  uint64_t next_id = 0;
  bool stopping = false;

  explicit impl(options o)
      : opts(std::move(o)), ioc(static_cast<int>(std::max<uint32_t>(1, opts.io_threads))),
        work(net::make_work_guard(ioc)) {
    tls.set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (opts.ca_file.empty()) tls.set_default_verify_paths(ec);
    else tls.load_verify_file(opts.ca_file, ec);
    // An unreadable CA file leaves the store empty: every handshake then fails verification
    // (tls_failed), which is the safe way to fail.
  }

  // The I/O threads start with the first exchange: a node that configures providers and never
  // calls them runs none. Under mtx.
  void ensure_threads() {
    if (!threads.empty()) return;
    for (uint32_t i = 0; i < std::max<uint32_t>(1, opts.io_threads); ++i)
      threads.emplace_back([this] {
        // A callback that throws must not take the process down (std::terminate in a thread):
        // the exchange it served has finished; the loop goes on with the others.
        for (;;) {
          try {
            ioc.run();
            return;
          } catch (const std::exception& e) {
            std::fprintf(stderr, "aragora: an HTTP client callback threw: %s\n", e.what());
          }
        }
      });
  }

  void forget(uint64_t id) {
    std::lock_guard<std::mutex> lock{mtx};
    live.erase(id);
  }
};

namespace {

transport_error failure(transport_errc code, const std::string& where, const boost::system::error_code& ec) {
  return {code, where + (ec ? ": " + ec.message() : std::string{})};
}

template <class Stream>
class exchange final : public exchange_base, public std::enable_shared_from_this<exchange<Stream>> {
  static constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;

public:
  exchange(http_client::impl& owner, uint64_t id, http_request r, http_client::body_fn on_body,
           http_client::done_fn on_done)
      : owner_(owner), id_(id), req_(std::move(r)), on_body_(std::move(on_body)),
        on_done_(std::move(on_done)), strand_(net::make_strand(owner.ioc)), resolver_(strand_),
        stream_(make_stream(strand_, owner.tls)), timer_(strand_),
        where_(req_.url.host + ":" + req_.url.port) {}

  void run() {
    net::post(strand_, [self = this->shared_from_this()] { self->begin(); });
  }

  // Posted, never run inline: a body callback that cancels its own exchange must return before
  // the exchange finishes (and drops that callback).
  void abort(transport_errc why) override {
    net::post(strand_, [self = this->shared_from_this(), why] {
      self->finish(transport_error{why, std::string{to_string(why)} + " (" + self->where_ + ")"});
    });
  }

private:
  static Stream make_stream(net::strand<net::io_context::executor_type>& strand, ssl::context& ctx) {
    if constexpr (tls) return Stream(strand, ctx);
    else return Stream(strand);
  }

  void begin() {
    if (finished_) return;
    if (req_.delay.count() > 0) {  // cancellable like the rest: the same timer
      timer_.expires_after(req_.delay);
      req_.delay = std::chrono::milliseconds{0};
      timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->begin();
      });
      return;
    }
    timer_.expires_after(req_.timeout);
    timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->finish(transport_error{transport_errc::timeout, "no complete answer from " + self->where_ + " within " + std::to_string(self->req_.timeout.count()) + " ms"});
    });
    resolver_.async_resolve(req_.url.host, req_.url.port,
                            [self = this->shared_from_this()](boost::system::error_code ec,
                                                              tcp::resolver::results_type results) {
                              self->on_resolve(ec, std::move(results));
                            });
  }

  void on_resolve(boost::system::error_code ec, tcp::resolver::results_type results) {
    if (finished_) return;
    if (ec) return finish(failure(transport_errc::resolve_failed, "cannot resolve " + where_, ec));
    beast::get_lowest_layer(stream_).async_connect(
        results, [self = this->shared_from_this()](boost::system::error_code ec, const tcp::endpoint&) {
          self->on_connect(ec);
        });
  }

  void on_connect(boost::system::error_code ec) {
    if (finished_) return;
    if (ec) return finish(failure(transport_errc::connect_failed, "cannot connect to " + where_, ec));
    if constexpr (tls) {
      boost::system::error_code literal;
      (void)net::ip::make_address(req_.url.host, literal);
      // SNI names a host, never an address (RFC 6066); the certificate is checked either way.
      if (literal && !SSL_set_tlsext_host_name(stream_.native_handle(), req_.url.host.c_str()))
        return finish(transport_error{transport_errc::tls_failed, "cannot set the TLS server name for " + where_});
      stream_.set_verify_callback(ssl::host_name_verification(req_.url.host));
      stream_.async_handshake(ssl::stream_base::client,
                              [self = this->shared_from_this()](boost::system::error_code ec) {
                                if (self->finished_) return;
                                if (ec)
                                  return self->finish(failure(transport_errc::tls_failed,
                                                              "TLS with " + self->where_ + " failed", ec));
                                self->write();
                              });
    } else {
      write();
    }
  }

  void write() {
    msg_.method(http::verb::post);
    msg_.target(req_.url.path + req_.path);
    msg_.version(11);
    bool default_port = req_.url.port == (req_.url.tls ? "443" : "80");
    auto host = req_.url.host.find(':') != std::string::npos ? "[" + req_.url.host + "]" : req_.url.host;
    msg_.set(http::field::host, default_port ? host : host + ":" + req_.url.port);
    msg_.set(http::field::user_agent, "aragora");
    msg_.set(http::field::content_type, "application/json");
    msg_.set(http::field::accept, req_.stream ? "text/event-stream" : "application/json");
    msg_.set(http::field::connection, "close");
    for (const auto& [k, v] : req_.headers) msg_.set(k, v);
    msg_.body() = std::move(req_.body);
    msg_.prepare_payload();
    http::async_write(stream_, msg_,
                      [self = this->shared_from_this()](boost::system::error_code ec, size_t) {
                        if (self->finished_) return;
                        if (ec) return self->finish(failure(transport_errc::reset, "cannot send to " + self->where_, ec));
                        self->read_header();
                      });
  }

  void read_header() {
    parser_.header_limit(64 * 1024);
    parser_.body_limit(owner_.opts.max_stream_bytes);
    http::async_read_header(stream_, buffer_, parser_,
                            [self = this->shared_from_this()](boost::system::error_code ec, size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(boost::system::error_code ec) {
    if (finished_) return;
    if (ec) return finish(read_failure(ec));
    status_ = parser_.get().result_int();
    retry_after_ = std::string{parser_.get()[http::field::retry_after]};
    streaming_ = req_.stream && status_ / 100 == 2;
    read_body();
  }

  void read_body() {
    if (parser_.is_done()) return finish(http_response{status_, std::move(body_), std::move(retry_after_)});
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = chunk_.size();
    // read_some: a stream's pieces are handed over as they arrive, not once 16 KiB are in.
    http::async_read_some(stream_, buffer_, parser_,
                          [self = this->shared_from_this()](boost::system::error_code ec, size_t) {
                            self->on_body(ec);
                          });
  }

  void on_body(boost::system::error_code ec) {
    if (finished_) return;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return finish(read_failure(ec));
    auto got = chunk_.size() - parser_.get().body().size;
    if (got > 0) {
      if (streaming_) {
        on_body_(std::string_view{chunk_.data(), got});
        if (finished_) return;  // the callback cancelled
      } else {
        if (body_.size() + got > owner_.opts.max_body_bytes)
          return finish(transport_error{transport_errc::too_large, "the answer of " + where_ + " passed " + std::to_string(owner_.opts.max_body_bytes) + " bytes"});
        body_.append(chunk_.data(), got);
      }
    }
    read_body();
  }

  transport_error read_failure(boost::system::error_code ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return failure(transport_errc::too_large, "the answer of " + where_ + " is too large", ec);
    return failure(transport_errc::reset, "the answer of " + where_ + " broke off", ec);
  }

  void finish(transport_result r) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    resolver_.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    owner_.forget(id_);
    on_body_ = nullptr;
    auto done = std::move(on_done_);
    done(std::move(r));
  }

  http_client::impl& owner_;
  uint64_t id_;
  http_request req_;
  http_client::body_fn on_body_;
  http_client::done_fn on_done_;
  net::strand<net::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  Stream stream_;
  net::steady_timer timer_;
  std::string where_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> msg_;
  http::response_parser<http::buffer_body> parser_;
  std::array<char, 16 * 1024> chunk_{};
  std::string body_;
  std::string retry_after_;
  unsigned status_ = 0;
  bool streaming_ = false;
  bool finished_ = false;
};

}  // namespace

http_client::http_client() : http_client(options{}) {}

http_client::http_client(options o) : impl_(std::make_unique<impl>(std::move(o))) {}

http_client::~http_client() { stop(); }

void http_client::stop() {
  std::vector<std::shared_ptr<exchange_base>> in_flight;
  {
    std::lock_guard<std::mutex> lock{impl_->mtx};
    if (impl_->stopping) return;
    for (const auto& t : impl_->threads)
      if (t.get_id() == std::this_thread::get_id()) std::abort();  // would join itself
    impl_->stopping = true;
    for (auto& [id, w] : impl_->live)
      if (auto x = w.lock()) in_flight.push_back(std::move(x));
  }
  for (auto& x : in_flight) x->abort(transport_errc::stopped);
  in_flight.clear();
  impl_->work.reset();
  for (auto& t : impl_->threads) t.join();
}

uint64_t http_client::start(http_request r, body_fn on_body, done_fn on_done) {
  uint64_t id = 0;
  std::shared_ptr<exchange<beast::ssl_stream<beast::tcp_stream>>> secure;
  std::shared_ptr<exchange<beast::tcp_stream>> plain;
  {
    std::lock_guard<std::mutex> lock{impl_->mtx};
    if (!impl_->stopping) {
      impl_->ensure_threads();
      id = ++impl_->next_id;
      if (r.url.tls) {
        secure = std::make_shared<exchange<beast::ssl_stream<beast::tcp_stream>>>(
            *impl_, id, std::move(r), std::move(on_body), std::move(on_done));
        impl_->live.emplace(id, secure);
      } else {
        plain = std::make_shared<exchange<beast::tcp_stream>>(*impl_, id, std::move(r),
                                                              std::move(on_body), std::move(on_done));
        impl_->live.emplace(id, plain);
      }
    }
  }
  if (secure) secure->run();
  else if (plain) plain->run();
  else on_done(transport_error{transport_errc::stopped, "the HTTP client is stopping"});
  return id;
}

void http_client::cancel(uint64_t id) {
  std::shared_ptr<exchange_base> x;
  {
    std::lock_guard<std::mutex> lock{impl_->mtx};
    auto it = impl_->live.find(id);
    if (it == impl_->live.end()) return;
    x = it->second.lock();
  }
  if (x) x->abort(transport_errc::cancelled);
}

size_t http_client::in_flight() const {
  std::lock_guard<std::mutex> lock{impl_->mtx};
  return impl_->live.size();
}

}  // namespace aragora::llm
