#pragma once
// ConnIo: how the HTTP/1.1 server reads and writes one connection, in plaintext or through
// OpenSSL (non-blocking: the TLS handshake advances inside Read and Write, driven by the same
// epoll loop). A TLS connection may need the socket writable even to read (handshake, key
// update): wants_write() says so.

#include <openssl/ssl.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace etcdpp::server::http {

class ConnIo {
 public:
  enum class Result { kOk, kAgain, kClosed };

  static std::unique_ptr<ConnIo> Plain(int fd);
  // Takes the socket; the context stays alive as long as the connection.
  static std::unique_ptr<ConnIo> Tls(int fd, std::shared_ptr<SSL_CTX> ctx);
  virtual ~ConnIo() = default;

  int fd() const { return fd_; }
  // Reads into buf; *n > 0 bytes on kOk.
  virtual Result Read(char* buf, size_t len, size_t* n) = 0;
  // Writes from data; *n bytes taken on kOk.
  virtual Result Write(const char* data, size_t len, size_t* n) = 0;
  virtual bool wants_write() const { return false; }
  virtual bool is_tls() const { return false; }
  // The verified client certificate's Common Name ("" without one).
  virtual std::string peer_common_name() const { return ""; }
  // The Common Names of the verified chain, the client's certificate first, its issuers after.
  virtual std::vector<std::string> peer_chain_common_names() const { return {}; }
  // Closes the socket (a TLS connection sends close_notify first, best effort).
  virtual void Close() = 0;

 protected:
  explicit ConnIo(int fd) : fd_(fd) {}
  const int fd_;
};

// "127.0.0.1:5555" for the remote end of a socket ("unknown" if it cannot be read).
std::string RemoteAddress(int fd);

}  // namespace etcdpp::server::http
