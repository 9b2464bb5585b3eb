#include "tests/support/fake_llm_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace aragora::test {

std::string llm_request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

struct fake_llm_server::state {
  int listener = -1;
  uint16_t port = 0;
  std::atomic<bool> stopping{false};
  mutable std::mutex mtx;
  std::condition_variable cv;
  handler h;
  std::vector<llm_request> seen;
  std::vector<std::thread> threads;
  std::vector<int> open;  // connection sockets, shut down at stop
  std::thread acceptor;
};

namespace {

bool send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    auto n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Reads one request (headers, then a Content-Length body); false when the peer went away.
bool read_request(int fd, llm_request& r) {
  std::string buf;
  char tmp[8192];
  size_t end = std::string::npos;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    auto n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
  }
  std::string head = buf.substr(0, end);
  std::string rest = buf.substr(end + 4);
  auto first = head.find("\r\n");
  auto line = head.substr(0, first);
  auto sp1 = line.find(' '), sp2 = line.rfind(' ');
  r.method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = first == std::string::npos ? head.size() : first + 2;
  size_t length = 0;
  while (pos < head.size()) {
    auto eol = head.find("\r\n", pos);
    if (eol == std::string::npos) eol = head.size();
    auto h = head.substr(pos, eol - pos);
    auto colon = h.find(':');
    if (colon != std::string::npos) {
      auto name = lower(h.substr(0, colon));
      auto value = h.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "content-length") length = std::stoul(value);
      r.headers.emplace_back(name, value);
    }
    pos = eol + 2;
  }
  while (rest.size() < length) {
    auto n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    rest.append(tmp, static_cast<size_t>(n));
  }
  r.body = rest.substr(0, length);
  return true;
}

void wait_or_stop(fake_llm_server::state& s, std::chrono::milliseconds d) {
  if (d.count() <= 0) return;
  std::unique_lock<std::mutex> lock{s.mtx};
  s.cv.wait_for(lock, d, [&] { return s.stopping.load(); });
}

void serve(const std::shared_ptr<fake_llm_server::state>& s, int fd) {
  llm_request req;
  if (read_request(fd, req)) {
    fake_llm_server::handler h;
    {
      std::lock_guard<std::mutex> lock{s->mtx};
      s->seen.push_back(req);
      h = s->h;
    }
    auto reply = h(req);
    if (reply.hang) {
      std::unique_lock<std::mutex> lock{s->mtx};
      s->cv.wait(lock, [&] { return s->stopping.load(); });
    } else {
      wait_or_stop(*s, reply.delay);
      std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
      for (const auto& [k, v] : reply.headers) head += k + ": " + v + "\r\n";
      if (reply.chunked) {
        head += "Transfer-Encoding: chunked\r\n";
      } else {
        size_t total = 0;
        for (const auto& c : reply.chunks) total += c.size();
        head += "Content-Length: " + std::to_string(total) + "\r\n";
      }
      head += "Connection: close\r\n\r\n";
      bool ok = send_all(fd, head);
      for (size_t i = 0; ok && i < reply.chunks.size(); ++i) {
        if (reply.cut && i + 1 == reply.chunks.size()) break;
        if (i > 0) wait_or_stop(*s, reply.chunk_delay);
        if (s->stopping) break;
        const auto& c = reply.chunks[i];
        if (reply.chunked) {
          char size[32];
          std::snprintf(size, sizeof size, "%zx\r\n", c.size());
          ok = send_all(fd, size) && send_all(fd, c) && send_all(fd, "\r\n");
        } else {
          ok = send_all(fd, c);
        }
      }
      if (ok && reply.chunked && !reply.cut) send_all(fd, "0\r\n\r\n");
    }
  }
  ::shutdown(fd, SHUT_RDWR);
  std::lock_guard<std::mutex> lock{s->mtx};
  s->open.erase(std::remove(s->open.begin(), s->open.end(), fd), s->open.end());
  ::close(fd);
}

}  // namespace

fake_llm_server::fake_llm_server(handler h) : s_(std::make_shared<state>()) {
  s_->h = std::move(h);
  s_->listener = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(s_->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s_->listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(s_->listener, 1024);
  socklen_t len = sizeof addr;
  ::getsockname(s_->listener, reinterpret_cast<sockaddr*>(&addr), &len);
  s_->port = ntohs(addr.sin_port);
  s_->acceptor = std::thread([s = s_] {
    while (!s->stopping) {
      pollfd p{s->listener, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(s->listener, nullptr, nullptr);
      if (fd < 0) continue;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard<std::mutex> lock{s->mtx};
      s->open.push_back(fd);
      s->threads.emplace_back([s, fd] { serve(s, fd); });
    }
  });
}

fake_llm_server::~fake_llm_server() {
  s_->stopping = true;
  s_->cv.notify_all();
  s_->acceptor.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock{s_->mtx};
    for (int fd : s_->open) ::shutdown(fd, SHUT_RDWR);
    threads.swap(s_->threads);
  }
  s_->cv.notify_all();
  for (auto& t : threads) t.join();
  ::close(s_->listener);
}

uint16_t fake_llm_server::port() const { return s_->port; }

std::string fake_llm_server::base_url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(s_->port) + std::string{path};
}

std::vector<llm_request> fake_llm_server::requests() const {
  std::lock_guard<std::mutex> lock{s_->mtx};
  return s_->seen;
}

size_t fake_llm_server::request_count() const {
  std::lock_guard<std::mutex> lock{s_->mtx};
  return s_->seen.size();
}

void fake_llm_server::set_handler(handler h) {
  std::lock_guard<std::mutex> lock{s_->mtx};
  s_->h = std::move(h);
}

llm_reply debating_reply(const llm_request& r, bool anthropic, const debating_style& style) {
  std::string text;
  bool judge = r.body.find("As the judge") != std::string::npos;
  if (judge || r.body.find("Vote for the best proposal") != std::string::npos) {
    auto at = r.body.find("is one of ");
    auto name = at == std::string::npos ? std::string{"nobody"}
                                        : r.body.substr(at + 10, r.body.find_first_of(", ", at + 10) - at - 10);
    text = std::string{judge ? "WINNER: " : "VOTE: "} + name + "\nCONFIDENCE: 0.8\nIt is the most concrete.";
  } else if (r.body.find("Critique this proposal") != std::string::npos) {
    text = "SEVERITY: 3\nISSUES:\n- could say more about cost";
  } else {
    text = style.proposal;
  }
  if (r.body.find("\"stream\":true") == std::string::npos)
    return anthropic ? anthropic_reply(text, style.tokens_in, style.tokens_out)
                     : openai_reply(text, style.tokens_in, style.tokens_out);
  std::vector<std::string> pieces;
  auto step = style.piece == 0 ? text.size() : style.piece;
  for (size_t i = 0; i < text.size(); i += step) pieces.push_back(text.substr(i, step));
  auto reply = anthropic ? anthropic_stream(pieces, style.tokens_in, style.tokens_out)
                         : openai_stream(pieces, style.tokens_in, style.tokens_out);
  reply.chunk_delay = style.chunk_delay;
  return reply;
}

llm_reply hanging_reply() {
  llm_reply r;
  r.hang = true;
  return r;
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char u[8];
          std::snprintf(u, sizeof u, "\\u%04x", c);
          out += u;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

llm_reply openai_reply(std::string_view text, unsigned in, unsigned out) {
  llm_reply r;
  r.headers = {{"Content-Type", "application/json"}};
  r.chunks = {R"({"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":)" +
              json_quote(text) + R"(},"finish_reason":"stop"}],"usage":{"prompt_tokens":)" + std::to_string(in) +
              R"(,"completion_tokens":)" + std::to_string(out) + "}}"};
  return r;
}

llm_reply openai_stream(const std::vector<std::string>& pieces, unsigned in, unsigned out) {
  llm_reply r;
  r.headers = {{"Content-Type", "text/event-stream"}};
  r.chunked = true;
  for (const auto& p : pieces)
    r.chunks.push_back(R"(data: {"choices":[{"index":0,"delta":{"content":)" + json_quote(p) + "}}]}\n\n");
  r.chunks.push_back(R"(data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})" "\n\n");
  r.chunks.push_back(R"(data: {"choices":[],"usage":{"prompt_tokens":)" + std::to_string(in) +
                     R"(,"completion_tokens":)" + std::to_string(out) + "}}\n\n");
  r.chunks.push_back("data: [DONE]\n\n");
  return r;
}

llm_reply anthropic_reply(std::string_view text, unsigned in, unsigned out) {
  llm_reply r;
  r.headers = {{"Content-Type", "application/json"}};
  r.chunks = {R"({"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":)" +
              json_quote(text) + R"(}],"stop_reason":"end_turn","usage":{"input_tokens":)" + std::to_string(in) +
              R"(,"output_tokens":)" + std::to_string(out) + "}}"};
  return r;
}

llm_reply anthropic_stream(const std::vector<std::string>& pieces, unsigned in, unsigned out) {
  llm_reply r;
  r.headers = {{"Content-Type", "text/event-stream"}};
  r.chunked = true;
  r.chunks.push_back("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":" +
                     std::to_string(in) + ",\"output_tokens\":1}}}\n\n");
  r.chunks.push_back("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
  for (const auto& p : pieces)
    r.chunks.push_back("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":" +
                       json_quote(p) + "}}\n\n");
  r.chunks.push_back("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
  r.chunks.push_back("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":" +
                     std::to_string(out) + "}}\n\n");
  r.chunks.push_back("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  return r;
}

llm_reply error_reply(unsigned status, std::string_view message,
                      std::vector<std::pair<std::string, std::string>> headers) {
  llm_reply r;
  r.status = status;
  r.headers = std::move(headers);
  r.headers.emplace_back("Content-Type", "application/json");
  r.chunks = {R"({"error":{"message":)" + json_quote(message) + R"(,"type":"error"}})"};
  return r;
}

}  // namespace aragora::test
