#include "resident_memory.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace etcdpp::etcdctl {
namespace {

constexpr absl::string_view kKey = "process_resident_memory_bytes";

// Go's lower-case error text for errno.
std::string ErrnoText(int e) {
  std::string s = std::strerror(e);
  if (!s.empty()) s[0] = absl::ascii_tolower(s[0]);
  return s;
}

// A connected TCP socket to host:port, or -1 with *why set (Go's "dial tcp ..." text).
int Dial(const std::string& hostport, std::string* why) {
  size_t colon = hostport.rfind(':');
  std::string host = hostport.substr(0, colon), port = hostport.substr(colon + 1);
  if (colon == std::string::npos) port = "80";
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    *why = absl::StrCat("dial tcp: lookup ", host, ": ", gai_strerror(rc));
    return -1;
  }
  int fd = -1, err = 0;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0) *why = absl::StrCat("dial tcp ", hostport, ": connect: ", ErrnoText(err));
  // A server that stops answering does not hold the check forever.
  timeval tv{30, 0};
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

std::string SslError() {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
  return buf;
}

// The certificate must name `host` (crypto/tls's VerifyHostname: an IP literal against the IP
// SANs, a name against the DNS SANs with OpenSSL's RFC 6125 rules), checked during the handshake
// when the context verifies; a name is also sent as SNI (an IP literal is not, as Go).
void ExpectHost(SSL* ssl, std::string host) {
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]"))
    host = host.substr(1, host.size() - 2);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1) return;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  SSL_set_tlsext_host_name(ssl, host.c_str());
}

// Sends `request` and reads until the peer closes, over TLS when ssl_ctx is set.
bool Exchange(int fd, SSL_CTX* ssl_ctx, const std::string& host, const std::string& request,
              std::string* reply, std::string* why) {
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(nullptr, SSL_free);
  if (ssl_ctx != nullptr) {
    ssl.reset(SSL_new(ssl_ctx));
    SSL_set_fd(ssl.get(), fd);
    ExpectHost(ssl.get(), host);
    if (SSL_connect(ssl.get()) != 1) {
      *why = SslError();
      return false;
    }
  }
  auto write = [&](const char* p, int n) {
    return ssl ? SSL_write(ssl.get(), p, n) : static_cast<int>(::send(fd, p, n, MSG_NOSIGNAL));
  };
  auto read = [&](char* p, int n) {
    return ssl ? SSL_read(ssl.get(), p, n) : static_cast<int>(::recv(fd, p, n, 0));
  };
  if (write(request.data(), static_cast<int>(request.size())) != static_cast<int>(request.size())) {
    *why = "write failed";
    return false;
  }
  char buf[16384];
  for (int n; (n = read(buf, sizeof(buf))) > 0;) reply->append(buf, n);
  return true;
}

// A TLS context with the client certificate (stock etcdctl requires one for https).
std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> TlsContext(const ClientConfig& cfg,
                                                             std::string* why) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cfg.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx.get(), cfg.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    *why = absl::StrCat("client certificate error: ", SslError());
    return {nullptr, SSL_CTX_free};
  }
  if (cfg.skip_verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (!cfg.cacert.empty()) {
      SSL_CTX_load_verify_locations(ctx.get(), cfg.cacert.c_str(), nullptr);
    } else {
      SSL_CTX_set_default_verify_paths(ctx.get());
    }
  }
  return ctx;
}

// The body of GET url (chunked transfer coding decoded), or false with *why.
bool Get(const std::string& url, const ClientConfig& cfg, std::string* body, std::string* why) {
  absl::string_view rest = url;
  bool tls = absl::ConsumePrefix(&rest, "https://");
  if (!tls) absl::ConsumePrefix(&rest, "http://");
  std::string hostport(rest.substr(0, rest.find('/')));
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(nullptr, SSL_CTX_free);
  if (tls) {
    ctx = TlsContext(cfg, why);
    if (ctx == nullptr) return false;
  }
  std::string dial_why;
  int fd = Dial(hostport, &dial_why);
  std::string reply;
  bool ok = fd >= 0 && Exchange(fd, ctx.get(), hostport.substr(0, hostport.rfind(':')),
                                absl::StrCat("GET /metrics HTTP/1.1\r\nHost: ", hostport,
                                             "\r\nConnection: close\r\n\r\n"),
                                &reply, &dial_why);
  if (fd >= 0) ::close(fd);
  size_t head_end = reply.find("\r\n\r\n");
  if (ok && head_end == std::string::npos) dial_why = "malformed HTTP response";
  if (!ok || head_end == std::string::npos) {
    *why = absl::StrCat("fetch error: Get \"", url, "\": ", dial_why);
    return false;
  }
  std::string head = absl::AsciiStrToLower(reply.substr(0, head_end));
  *body = reply.substr(head_end + 4);
  if (!absl::StrContains(head, "transfer-encoding: chunked")) return true;
  std::string chunked = std::move(*body);
  body->clear();
  for (size_t at = 0;;) {
    size_t eol = chunked.find("\r\n", at);
    uint64_t n = 0;
    if (eol == std::string::npos || !absl::SimpleHexAtoi(chunked.substr(at, eol - at), &n) ||
        n == 0 || eol + 2 + n > chunked.size()) {
      return true;
    }
    body->append(chunked, eol + 2, n);
    at = eol + 2 + n + 2;
  }
}

}  // namespace

double ResidentMemoryBytes(const std::string& endpoint, const ClientConfig& cfg) {
  std::string host = endpoint;
  if (!absl::StartsWith(host, "http://") && !absl::StartsWith(host, "https://")) {
    host = "http://" + host;
  }
  std::string body, why;
  if (!Get(host + "/metrics", cfg, &body, &why)) {
    std::cout << why << "\n";
    return 0;
  }
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (!absl::ConsumePrefix(&line, kKey)) continue;
    double v = 0;
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(line), &v)) {
      std::cout << "parse error: strconv.ParseFloat: parsing \"" << absl::StripAsciiWhitespace(line)
                << "\": invalid syntax\n";
      return 0;
    }
    return v;
  }
  std::cout << "could not find: " << kKey << "\n";
  return 0;
}

}  // namespace etcdpp::etcdctl
