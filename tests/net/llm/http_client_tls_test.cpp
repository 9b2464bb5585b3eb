// The agents' HTTP client against a real TLS server on loopback (label integration): a test CA
// given as ca_file is trusted; no CA, a certificate for another name or an expired one each end
// in tls_failed. Certificates and server come from the openssl CLI at test time.

#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "net/llm/http_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/scratch.hpp"

namespace aragora::llm {
namespace {

using namespace std::chrono_literals;

struct outcome {
  transport_result result{transport_error{transport_errc::stopped, "not done"}};
  std::chrono::milliseconds took{};
};

outcome exchange(http_client& c, http_request r) {
  auto p = std::make_shared<std::promise<outcome>>();
  auto f = p->get_future();
  auto t0 = std::chrono::steady_clock::now();
  (void)c.start(std::move(r), {}, [p, t0](transport_result res) {
    p->set_value(outcome{std::move(res), std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - t0)});
  });
  EXPECT_EQ(f.wait_for(20s), std::future_status::ready);
  return f.get();
}

http_request at(const std::string& host, const std::string& port) {
  http_request r;
  r.url = *parse_base_url("https://" + host + ":" + port + "/v1");
  r.path = "/chat/completions";
  r.body = R"({"model":"m"})";
  r.timeout = 5s;
  return r;
}

// An openssl s_server that serves one connection (-naccept 1) and exits. Its -www and -HTTP
// answer GET only and the client POSTs, so the reply is what its stdin brings, sent once the
// handshake is done. A cat feeds it and then holds on to our end of the pipe: an EOF on
// s_server's stdin would drop the connection at once, racing the request.
struct tls_server {
  tls_server() = default;
  tls_server(tls_server&&) = default;
  ~tls_server() {
    if (proc) proc->signal(SIGTERM);  // it has usually exited already; never wait 5 s for it
  }
  std::unique_ptr<test::child_process> proc;
  std::string port;  // "" if it did not start
};

class HttpClientTls : public test::scratch_test {
protected:
  void SetUp() override {
    if (test::run("command -v openssl").code != 0)
      GTEST_SKIP() << "no openssl CLI on PATH (scripts/setup installs it): cannot make certificates";
    dir_ = path("tls");
    std::filesystem::create_directories(dir_);
    auto ca = openssl(
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem"
        " -days 1 -subj '/CN=aragora test CA' -addext basicConstraints=critical,CA:TRUE"
        " -addext keyUsage=critical,keyCertSign");
    ASSERT_EQ(ca.code, 0) << ca.err;
    // The CN is no host name: only the subjectAltName each test signs can make a name match.
    auto key = openssl(
        "req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key"
        " -out server.csr -subj '/CN=aragora test server'");
    ASSERT_EQ(key.code, 0) << key.err;
    std::ofstream(dir_ + "/reply.http", std::ios::binary)
        << "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
           "Connection: close\r\n\r\n{}";
    ca_ = dir_ + "/ca.pem";
  }

  test::run_result openssl(const std::string& args) {
    return test::run("cd " + test::sh_quote(dir_) + " && openssl " + args);
  }

  /// The server key signed by the test CA for `san`, valid as `validity` says; "" if refused.
  std::string sign(const std::string& name, const std::string& san, const std::string& validity) {
    std::ofstream(dir_ + "/" + name + ".ext") << "subjectAltName=" << san << "\n";
    auto r = openssl("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial " +
                     std::to_string(++serial_) + " " + validity + " -extfile " + name +
                     ".ext -out " + name + ".pem");
    return r.code == 0 ? dir_ + "/" + name + ".pem" : "";
  }

  std::string good_cert() { return sign("good", "IP:127.0.0.1,DNS:localhost", "-days 1"); }

  /// s_server on 127.0.0.1 with `cert`, on a free port it picks itself and prints (port 0).
  tls_server serve(const std::string& cert) {
    tls_server s;
    auto q = [](const std::string& x) { return test::sh_quote(x); };
    auto cmd = "exec openssl s_server -naccept 1 -accept 127.0.0.1:0 -cert " + q(cert) + " -key " +
               q(dir_ + "/server.key") + " 2>>" + q(dir_ + "/server.log") + " < <(cat " +
               q(dir_ + "/reply.http") + " -)";
    s.proc = std::make_unique<test::child_process>("/bin/bash", std::vector<std::string>{"-c", cmd});
    if (!s.proc->started()) return s;
    while (auto line = s.proc->read_line(10s))  // "ACCEPT" comes once it listens
      if (line->rfind("ACCEPT ", 0) == 0) {
        s.port = line->substr(line->rfind(':') + 1);
        break;
      }
    return s;
  }

  std::string log() { return test::slurp(dir_ + "/server.log"); }

  std::string dir_;
  std::string ca_;
  int serial_ = 0;
};

http_client::options trusting(const std::string& ca_file) {
  http_client::options o;
  o.ca_file = ca_file;
  return o;
}

TEST_F(HttpClientTls, AServerSignedByTheGivenCaIsTrusted) {
  auto cert = good_cert();
  ASSERT_FALSE(cert.empty());
  http_client c{trusting(ca_)};
  // An address is checked against the IP entry; a name is sent as SNI and checked as DNS.
  for (std::string host : {"127.0.0.1", "localhost"}) {
    auto s = serve(cert);
    ASSERT_FALSE(s.port.empty()) << log();
    auto o = exchange(c, at(host, s.port));
    ASSERT_TRUE(o.result) << host << ": " << o.result.error().message << "\n" << log();
    EXPECT_EQ(o.result->status, 200u) << host;
    EXPECT_EQ(o.result->body, "{}") << host;
  }
}

TEST_F(HttpClientTls, WithoutTheCaTheSystemStoreRejectsTheServer) {
  auto cert = good_cert();
  ASSERT_FALSE(cert.empty());
  auto s = serve(cert);
  ASSERT_FALSE(s.port.empty()) << log();
  http_client c;  // ca_file "": the system's trust store, which does not hold the test CA
  auto r = at("127.0.0.1", s.port);
  auto o = exchange(c, r);
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.code(), transport_errc::tls_failed) << o.result.error().message;
  EXPECT_LT(o.took, r.timeout) << "a refused certificate must end the exchange, not hang it";
}

TEST_F(HttpClientTls, ACertificateForAnotherNameIsRejected) {
  auto cert = sign("wrong", "DNS:wrong.example", "-days 1");
  ASSERT_FALSE(cert.empty());
  http_client c{trusting(ca_)};  // the chain is fine: only the name is wrong
  for (std::string host : {"127.0.0.1", "localhost"}) {
    auto s = serve(cert);
    ASSERT_FALSE(s.port.empty()) << log();
    auto o = exchange(c, at(host, s.port));
    ASSERT_FALSE(o.result) << host;
    EXPECT_EQ(o.result.code(), transport_errc::tls_failed) << host << ": " << o.result.error().message;
  }
}

TEST_F(HttpClientTls, AnExpiredCertificateIsRejected) {
  // x509 -days -1 (OpenSSL 3.0) ends validity a day before it starts: expired from the outset.
  // OpenSSL 3.4 added -not_before/-not_after, tried in case a later one refuses -days -1.
  auto cert = sign("expired", "IP:127.0.0.1,DNS:localhost", "-days -1");
  if (cert.empty())
    cert = sign("expired", "IP:127.0.0.1,DNS:localhost",
                "-not_before 20200101000000Z -not_after 20200102000000Z");
  if (cert.empty() || openssl("x509 -checkend 0 -noout -in expired.pem").code != 1)
    GTEST_SKIP() << "this openssl CLI cannot make an expired certificate";
  auto s = serve(cert);
  ASSERT_FALSE(s.port.empty()) << log();
  http_client c{trusting(ca_)};  // the right CA and the right name: only the dates are wrong
  auto o = exchange(c, at("127.0.0.1", s.port));
  ASSERT_FALSE(o.result);
  EXPECT_EQ(o.result.code(), transport_errc::tls_failed) << o.result.error().message;
}

}  // namespace
}  // namespace aragora::llm
