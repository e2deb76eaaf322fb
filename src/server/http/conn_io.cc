#include "server/http/conn_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::http {
namespace {

class PlainIo final : public ConnIo {
 public:
  explicit PlainIo(int fd) : ConnIo(fd) {}
  Result Read(char* buf, size_t len, size_t* n) override {
    for (;;) {
      ssize_t r = recv(fd_, buf, len, 0);
      if (r > 0) {
        *n = static_cast<size_t>(r);
        return Result::kOk;
      }
      if (r < 0 && errno == EINTR) continue;
      return (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ? Result::kAgain
                                                                  : Result::kClosed;
    }
  }
  Result Write(const char* data, size_t len, size_t* n) override {
    for (;;) {
      ssize_t r = send(fd_, data, len, MSG_NOSIGNAL);
      if (r >= 0) {
        *n = static_cast<size_t>(r);
        return Result::kOk;
      }
      if (errno == EINTR) continue;
      return (errno == EAGAIN || errno == EWOULDBLOCK) ? Result::kAgain : Result::kClosed;
    }
  }
  void Close() override { close(fd_); }
};

class TlsIo final : public ConnIo {
 public:
  TlsIo(int fd, std::shared_ptr<SSL_CTX> ctx)
      : ConnIo(fd), ctx_(std::move(ctx)), ssl_(SSL_new(ctx_.get())) {
    SSL_set_fd(ssl_, fd);
    SSL_set_accept_state(ssl_);
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  }
  ~TlsIo() override { SSL_free(ssl_); }

  Result Read(char* buf, size_t len, size_t* n) override {
    int r = SSL_read(ssl_, buf, static_cast<int>(len));
    if (r > 0) {
      *n = static_cast<size_t>(r);
      NoteHandshake();
      return Result::kOk;
    }
    return Failed(r);
  }
  Result Write(const char* data, size_t len, size_t* n) override {
    int r = SSL_write(ssl_, data, static_cast<int>(len));
    if (r > 0) {
      *n = static_cast<size_t>(r);
      return Result::kOk;
    }
    return Failed(r);
  }
  bool wants_write() const override { return want_write_; }
  bool is_tls() const override { return true; }
  std::string peer_common_name() const override { return cn_; }
  std::vector<std::string> peer_chain_common_names() const override { return chain_cns_; }
  void Close() override {
    if (handshake_done_) SSL_shutdown(ssl_);
    ERR_clear_error();
    close(fd_);
  }

 private:
  Result Failed(int r) {
    int err = SSL_get_error(ssl_, r);
    want_write_ = err == SSL_ERROR_WANT_WRITE;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      NoteHandshake();
      return Result::kAgain;
    }
    if (!handshake_done_ && err == SSL_ERROR_SSL) LogRejected();
    ERR_clear_error();
    return Result::kClosed;
  }
  void NoteHandshake() {
    if (handshake_done_ || !SSL_is_init_finished(ssl_)) return;
    handshake_done_ = true;
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (cert == nullptr) return;
    char buf[256];
    int len =
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
    if (len > 0) cn_.assign(buf, static_cast<size_t>(len));
    X509_free(cert);
    // Go's VerifiedChains: leaf first, then each issuer up to the trusted root.
    STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl_);
    for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
      len = X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(chain, i)),
                                      NID_commonName, buf, sizeof(buf));
      chain_cns_.emplace_back(buf, len > 0 ? static_cast<size_t>(len) : 0);
    }
  }
  // etcd (Go's http server error log): rejected connection from "addr" (error "...", ServerName
  // "").
  void LogRejected() {
    char buf[256];
    ERR_error_string_n(ERR_peek_last_error(), buf, sizeof(buf));
    const char* sni = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
    SPDLOG_WARN("rejected connection from \"{}\" (error \"{}\", ServerName \"{}\")",
                RemoteAddress(fd_), buf, sni ? sni : "");
  }

  const std::shared_ptr<SSL_CTX> ctx_;
  SSL* const ssl_;
  bool want_write_ = false;
  bool handshake_done_ = false;
  std::string cn_;
  std::vector<std::string> chain_cns_;
};

}  // namespace

std::unique_ptr<ConnIo> ConnIo::Plain(int fd) { return std::make_unique<PlainIo>(fd); }

std::unique_ptr<ConnIo> ConnIo::Tls(int fd, std::shared_ptr<SSL_CTX> ctx) {
  return std::make_unique<TlsIo>(fd, std::move(ctx));
}

std::string RemoteAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "unknown";
  char host[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    return absl::StrCat("[", host, "]:", ntohs(a->sin6_port));
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
  return absl::StrCat(host, ":", ntohs(a->sin_port));
}

}  // namespace etcdpp::server::http
