#include "server/http/port_sharer.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/tls/client_hello.h"

namespace etcdpp::server::http {
namespace {

// The HTTP/2 client connection preface (RFC 9113 3.4); gRPC clients start with it.
constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kPrefaceLen = sizeof(kPreface) - 1;
constexpr uint64_t kListenerBit = 1ULL << 40;
constexpr uint64_t kWake = 1ULL << 41;

[[nodiscard]] absl::StatusOr<int> BindOne(const PortSharer::Address& a, int* bound_port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(a.port);
  if (int rc = getaddrinfo(a.host.empty() ? nullptr : a.host.c_str(), port.c_str(), &hints, &res);
      rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve ", a.host, ": ", gai_strerror(rc)));
  }
  std::string err = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0) {
      sockaddr_storage ss{};
      socklen_t len = sizeof(ss);
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      *bound_port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                   : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
      freeaddrinfo(res);
      return fd;
    }
    err = strerror(errno);
    close(fd);
  }
  freeaddrinfo(res);
  return absl::UnavailableError(absl::StrCat("listen tcp ", a.host, ":", a.port, ": bind: ", err));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PortSharer>> PortSharer::Listen(const std::vector<Address>& addrs,
                                                               absl::Duration decide_within) {
  std::unique_ptr<PortSharer> s(new PortSharer(decide_within));
  for (const Address& a : addrs) {
    int port = 0;
    absl::StatusOr<int> fd = BindOne(a, &port);
    if (!fd.ok()) return fd.status();
    s->listen_fds_.push_back(*fd);
    s->ports_.push_back(port);
    s->modes_[*fd] = a;
  }
  s->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  s->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWake;
  epoll_ctl(s->epoll_fd_, EPOLL_CTL_ADD, s->wake_fd_, &ev);
  for (int fd : s->listen_fds_) {
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = kListenerBit | static_cast<uint64_t>(fd);
    epoll_ctl(s->epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
  return s;
}

PortSharer::~PortSharer() {
  Stop();
  for (int fd : listen_fds_) close(fd);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

int PortSharer::port(size_t i) const { return ports_.at(i); }

void PortSharer::Start(Sinks sinks) {
  sinks_ = std::move(sinks);
  thread_ = std::thread([this] { Loop(); });
}

void PortSharer::Stop() {
  {
    MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  for (int fd : listen_fds_) close(fd);
  listen_fds_.clear();
}

void PortSharer::Loop() {
  epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(epoll_fd_, evs, 64, 100);
    {
      MutexLock l(&mu_);
      if (stopping_) break;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t d = evs[i].data.u64;
      if (d == kWake) continue;
      if (d & kListenerBit) {
        AcceptAll(static_cast<int>(d & ~kListenerBit));
      } else {
        Decide(static_cast<int>(d));
      }
    }
    absl::Time now = absl::Now();
    std::vector<int> late;
    for (const auto& [fd, p] : pending_) {
      if (now > p.deadline) late.push_back(fd);
    }
    for (int fd : late) {
      Forget(fd);
      close(fd);
    }
  }
  for (const auto& [fd, p] : pending_) close(fd);
  pending_.clear();
}

void PortSharer::AcceptAll(int listen_fd) {
  for (;;) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN, or out of descriptors: the next connection event retries
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    pending_[fd] = Pending{listen_fd, absl::Now() + decide_within_};
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = static_cast<uint64_t>(fd);
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    Decide(fd);  // the first bytes may have come with the handshake
  }
}

// Peeks (the bytes stay in the socket for whoever gets it). The preface's first differing byte
// decides for HTTP/1.1; its full 24 bytes decide for gRPC.
void PortSharer::Decide(int fd) {
  auto it = pending_.find(fd);
  if (it == pending_.end()) return;
  int listen_fd = it->second.listen_fd;
  const Address& mode = modes_[listen_fd];
  peek_buf_.resize(mode.tls ? tls::kMaxClientHelloBytes : kPrefaceLen);
  char* buf = peek_buf_.data();
  ssize_t n = recv(fd, buf, peek_buf_.size(), MSG_PEEK);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n <= 0) {
    Forget(fd);
    close(fd);
    return;
  }
  if (mode.tls && static_cast<unsigned char>(buf[0]) == tls::kTlsHandshakeByte) {
    DecideTls(fd, listen_fd, buf, static_cast<size_t>(n));
    return;
  }
  if (!mode.plain) {
    Refuse(fd, buf[0] >= 'A' && buf[0] <= 'Z');
    return;
  }
  n = std::min<ssize_t>(n, kPrefaceLen);
  bool is_preface_so_far = std::memcmp(buf, kPreface, static_cast<size_t>(n)) == 0;
  if (is_preface_so_far && static_cast<size_t>(n) < kPrefaceLen) return;  // wait for more
  Forget(fd);
  if (is_preface_so_far) {
    sinks_.grpc(listen_fd, fd, false);
  } else {
    sinks_.http(fd, false);
  }
}

// A whole ClientHello routes by ALPN; a partial one waits for more bytes.
void PortSharer::DecideTls(int fd, int listen_fd, const char* buf, size_t n) {
  tls::ClientHello hello = tls::ParseClientHello(absl::string_view(buf, n));
  if (hello.verdict == tls::ClientHello::Verdict::kNeedMore) return;
  Forget(fd);
  if (hello.verdict != tls::ClientHello::Verdict::kComplete ||
      hello.max_version < modes_[listen_fd].min_tls_version) {
    close(fd);
    return;
  }
  if (tls::WantsHttp1(hello)) {
    sinks_.http(fd, true);
  } else {
    sinks_.grpc(listen_fd, fd, true);
  }
}

// Plaintext on a TLS-only address: Go's TLS server answers an HTTP request this way.
void PortSharer::Refuse(int fd, bool looks_like_http) {
  Forget(fd);
  if (looks_like_http) {
    static constexpr char kReply[] =
        "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
    (void)!send(fd, kReply, sizeof(kReply) - 1, MSG_NOSIGNAL);
  }
  close(fd);
}

void PortSharer::Forget(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  pending_.erase(fd);
}

}  // namespace etcdpp::server::http
