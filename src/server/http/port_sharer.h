#pragma once
// PortSharer: one listening socket per --listen-client-urls URL, serving gRPC and HTTP/1.1 on
// the same port (docs/design/client_port.md). Its thread accepts connections and peeks at
// their first bytes (edge-triggered epoll): the HTTP/2 client preface goes to gRPC, anything
// else to the HTTP/1.1 server. A connection that says nothing within the decision deadline is
// closed, so silent clients cannot hold descriptors.
//
// Under TLS (docs/design/tls.md) the first bytes are a ClientHello, read (peeked, not consumed)
// whole: an ALPN list without "http/1.1" (gRPC clients) goes to gRPC's own TLS, anything else to
// the HTTP/1.1 server, which terminates TLS itself. One address may take both plaintext and TLS
// (etcd's "http://x:1,https://x:1"); a plaintext byte on a TLS-only address is refused.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace etcdpp::server::http {

class PortSharer {
 public:
  struct Address {
    std::string host;
    int port = 0;
    bool plain = true;  // http://
    bool tls = false;   // https://
    // --tls-min-version (0x0303 TLS 1.2, 0x0304 TLS 1.3; 0: any): a ClientHello offering
    // nothing that high is refused here, since gRPC's own TLS has no version setting.
    int min_tls_version = 0;
  };
  struct Sinks {
    std::function<void(int listen_fd, int fd, bool tls)> grpc;  // takes ownership of fd
    std::function<void(int fd, bool tls)> http;                 // takes ownership of fd
  };
  // Binds and listens on every address (so a busy port fails here, before anything starts).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<PortSharer>> Listen(
      const std::vector<Address>& addrs, absl::Duration decide_within);
  ~PortSharer();

  // Starts the accept thread; connections queued since Listen are served then.
  void Start(Sinks sinks);
  // Closes the listeners and every undecided socket, and joins the thread.
  void Stop();
  // The port actually bound for addrs[i] (useful with port 0).
  int port(size_t i) const;

 private:
  explicit PortSharer(absl::Duration decide_within) : decide_within_(decide_within) {}
  void Loop();  // the accept/peek thread
  void AcceptAll(int listen_fd);
  void Decide(int fd);
  void Forget(int fd);

  const absl::Duration decide_within_;
  std::vector<int> listen_fds_;
  std::vector<int> ports_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  Sinks sinks_;
  std::thread thread_;  // Loop()

  void DecideTls(int fd, int listen_fd, const char* buf, size_t n);
  void Refuse(int fd, bool looks_like_http);

  // Loop thread only: undecided sockets -> (listener, deadline).
  struct Pending {
    int listen_fd;
    absl::Time deadline;
  };
  std::map<int, Address> modes_;  // listener fd -> its schemes
  std::vector<char> peek_buf_;    // Loop thread only
  std::map<int, Pending> pending_;

  Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace etcdpp::server::http
