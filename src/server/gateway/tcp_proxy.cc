#include "server/gateway/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/go_text.h"
#include "server/log/zap_log.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server::gateway {
namespace {

constexpr size_t kBufSize = 64 * 1024;  // per direction of a connection pair
constexpr int kMaxEvents = 256;
// How long accepting pauses when the process is out of descriptors or memory.
constexpr absl::Duration kAcceptPause = absl::Milliseconds(100);

uint64_t Key(uint64_t id, uint8_t kind) { return id << 3 | kind; }

// Go's syscall error text: strerror with a lower-case first letter ("connection refused").
std::string ErrnoText(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = absl::ascii_tolower(s[0]);
  return s;
}

std::string AddrText(const sockaddr_storage& a) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (a.ss_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
    return absl::StrCat("[", ip, "]:", ntohs(s6->sin6_port));
  }
  const auto* s4 = reinterpret_cast<const sockaddr_in*>(&a);
  inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
  return absl::StrCat(ip, ":", ntohs(s4->sin_port));
}

socklen_t AddrLen(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

void SetNoDelay(int fd) {  // as Go does for every TCP connection
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// Starts a non-blocking connect to `addr`. Returns the socket (connected or connecting) or -1
// with *err set.
int StartConnect(const sockaddr_storage& addr, int* err) {
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), AddrLen(addr)) == 0 ||
      errno == EINPROGRESS) {
    return fd;
  }
  *err = errno;
  close(fd);
  return -1;
}

int SocketError(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

std::string DialError(const sockaddr_storage& addr, int err) {
  return absl::StrCat("dial tcp ", AddrText(addr), ": connect: ", ErrnoText(err));
}

}  // namespace

// One direction of a connection pair: bytes read from its source, not yet written to its
// destination.
struct TcpProxy::Pipe {
  std::unique_ptr<char[]> buf = std::make_unique<char[]>(kBufSize);
  size_t begin = 0;
  size_t end = 0;
  bool eof = false;   // the source sent its FIN
  bool shut = false;  // the FIN was passed on (SHUT_WR on the destination)
  bool Empty() const { return begin == end; }
};

struct TcpProxy::Conn {
  uint64_t id = 0;
  int client = -1;
  int upstream = -1;
  bool connected = false;      // upstream connected; until then only upstream is in epoll
  size_t endpoint = 0;         // the member dialed
  size_t addr = 0;             // which of its addresses
  std::string last_error;      // of the last failed dial
  uint32_t client_events = 0;  // the interest registered in epoll; 0: not registered
  uint32_t upstream_events = 0;
  Pipe up;    // client -> upstream
  Pipe down;  // upstream -> client
};

struct TcpProxy::Probe {
  uint64_t id = 0;
  size_t endpoint = 0;
  size_t addr = 0;
  int fd = -1;
  std::string error;
};

absl::StatusOr<std::unique_ptr<TcpProxy>> TcpProxy::Open(int listen_fd,
                                                         std::vector<ResolvedEndpoint> endpoints,
                                                         absl::Duration retry_delay, int stop_fd) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) {
    close(listen_fd);
    return absl::InternalError(absl::StrCat("epoll_create1: ", ErrnoText(errno)));
  }
  std::unique_ptr<TcpProxy> p(
      new TcpProxy(ep, listen_fd, std::move(endpoints), retry_delay, stop_fd));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = Key(0, static_cast<uint8_t>(Kind::kListen));
  if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl: ", ErrnoText(errno)));
  }
  if (stop_fd >= 0) {
    ev.data.u64 = Key(0, static_cast<uint8_t>(Kind::kStop));
    if (epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd, &ev) != 0) {
      return absl::InternalError(absl::StrCat("epoll_ctl: ", ErrnoText(errno)));
    }
  }
  return p;
}

TcpProxy::TcpProxy(int epoll_fd, int listen_fd, std::vector<ResolvedEndpoint> endpoints,
                   absl::Duration retry_delay, int stop_fd)
    : epoll_fd_(epoll_fd),
      listen_fd_(listen_fd),
      stop_fd_(stop_fd),
      endpoints_(std::move(endpoints)),
      retry_delay_(retry_delay),
      picker_(
          [this] {
            std::vector<Endpoint> eps;
            for (const ResolvedEndpoint& r : endpoints_) eps.push_back(r.endpoint);
            return eps;
          }(),
          [rng = std::make_shared<std::mt19937>(std::random_device{}())](int n) {
            return std::uniform_int_distribution<int>(0, n - 1)(*rng);
          }),
      retry_at_(endpoints_.size(), absl::InfinitePast()),
      probing_(endpoints_.size(), false) {}

TcpProxy::~TcpProxy() {
  for (auto& [id, c] : conns_) {
    if (c->client >= 0) close(c->client);
    if (c->upstream >= 0) close(c->upstream);
  }
  for (auto& [id, p] : probes_) {
    if (p->fd >= 0) close(p->fd);
  }
  close(listen_fd_);
  close(epoll_fd_);
}

absl::Status TcpProxy::Run() {
  std::vector<std::string> addrs;
  for (const ResolvedEndpoint& r : endpoints_) addrs.push_back(r.endpoint.Address());
  SPDLOG_INFO("{}",
              log::With("ready to proxy client requests", log::Fields().Strs("endpoints", addrs)));
  epoll_event events[kMaxEvents];
  for (;;) {
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, NextTimeoutMs());
    if (n < 0 && errno != EINTR)
      return absl::InternalError(absl::StrCat("epoll_wait: ", ErrnoText(errno)));
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64 >> 3;
      const auto kind = static_cast<Kind>(events[i].data.u64 & 7);
      if (kind == Kind::kStop) return absl::OkStatus();
      if (kind == Kind::kListen) {
        AcceptAll();
      } else if (kind == Kind::kProbe) {
        OnProbe(id);
      } else if (auto it = conns_.find(id); it != conns_.end()) {
        OnReady(it->second.get(), kind, events[i].events);
      }  // else: a pair closed earlier in this batch
    }
    if (accept_paused_ && absl::Now() >= accept_resume_) ResumeAccept();
    StartDueProbes();
  }
}

// ---- Accepting and dialing.

void TcpProxy::AcceptAll() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // Out of descriptors or memory: pause rather than spin on the readable listener.
      SPDLOG_WARN("{}", log::With("failed to accept a client connection",
                                  log::Fields().Str("error", ErrnoText(errno))));
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
      accept_paused_ = true;
      accept_resume_ = absl::Now() + kAcceptPause;
      return;
    }
    SetNoDelay(fd);
    auto c = std::make_unique<Conn>();
    c->id = next_id_++;
    c->client = fd;
    Conn* raw = c.get();
    conns_[raw->id] = std::move(c);
    Dial(raw);
  }
}

void TcpProxy::ResumeAccept() {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = Key(0, static_cast<uint8_t>(Kind::kListen));
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  accept_paused_ = false;
}

void TcpProxy::Dial(Conn* c) {
  // Each failed member is deactivated, so this ends within one round of the members.
  for (;;) {
    std::optional<size_t> i = picker_.Pick();
    if (!i) {  // no member reachable: the client's connection is closed, as etcd does
      Close(c);
      return;
    }
    c->endpoint = *i;
    c->addr = 0;
    if (DialAddr(c)) return;
    Deactivate(*i, c->last_error);
  }
}

bool TcpProxy::DialAddr(Conn* c) {
  const std::vector<sockaddr_storage>& addrs = endpoints_[c->endpoint].addrs;
  for (; c->addr < addrs.size(); ++c->addr) {
    int err = 0;
    int fd = StartConnect(addrs[c->addr], &err);
    if (fd < 0) {
      c->last_error = DialError(addrs[c->addr], err);
      continue;
    }
    c->upstream = fd;
    // Writable once connected (or failed); a connect that completed at once reports so too.
    SetInterest(fd, Key(c->id, static_cast<uint8_t>(Kind::kUpstream)), EPOLLOUT,
                &c->upstream_events);
    return true;
  }
  return false;
}

void TcpProxy::OnDialed(Conn* c) {
  const int err = SocketError(c->upstream);
  if (err == 0) {
    SetNoDelay(c->upstream);
    c->connected = true;
    Rearm(c);
    return;
  }
  c->last_error = DialError(endpoints_[c->endpoint].addrs[c->addr], err);
  close(c->upstream);  // leaves epoll with it
  c->upstream = -1;
  c->upstream_events = 0;
  ++c->addr;
  if (DialAddr(c)) return;
  Deactivate(c->endpoint, c->last_error);
  Dial(c);
}

// ---- Copying.

void TcpProxy::OnReady(Conn* c, Kind side, uint32_t /*events*/) {
  if (!c->connected) {
    OnDialed(c);
    return;
  }
  // Level-triggered: whatever woke us, move what can move on both fds of the pair; errors and
  // hang-ups show as read or write failures.
  const bool from_client = side == Kind::kClient;
  const int fd = from_client ? c->client : c->upstream;
  const int other = from_client ? c->upstream : c->client;
  Pipe* in = from_client ? &c->up : &c->down;   // fd -> other
  Pipe* out = from_client ? &c->down : &c->up;  // other -> fd
  bool ok = true;
  if (!in->eof && in->Empty()) ok = Fill(fd, in);
  ok = ok && Flush(other, in) && Flush(fd, out);
  if (!ok) {
    Close(c);
    return;
  }
  Rearm(c);
}

bool TcpProxy::Fill(int fd, Pipe* p) {
  p->begin = p->end = 0;
  while (p->end < kBufSize) {
    ssize_t n = read(fd, p->buf.get() + p->end, kBufSize - p->end);
    if (n > 0) {
      p->end += n;
    } else if (n == 0) {
      p->eof = true;
      return true;
    } else if (errno == EINTR) {
      continue;
    } else {
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }
  return true;
}

bool TcpProxy::Flush(int fd, Pipe* p) {
  while (!p->Empty()) {
    ssize_t n = send(fd, p->buf.get() + p->begin, p->end - p->begin, MSG_NOSIGNAL);
    if (n > 0) {
      p->begin += n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
  }
  p->begin = p->end = 0;
  return true;
}

void TcpProxy::Rearm(Conn* c) {
  // A direction that has ended passes its FIN on once its bytes are written.
  for (auto [p, dst] : {std::pair{&c->up, c->upstream}, std::pair{&c->down, c->client}}) {
    if (p->eof && p->Empty() && !p->shut) {
      shutdown(dst, SHUT_WR);
      p->shut = true;
    }
  }
  if (c->up.shut && c->down.shut) {
    Close(c);
    return;
  }
  // Read a side only while its buffer is empty; write it while bytes wait for it. An fd with
  // nothing to wait for leaves epoll, so a hang-up cannot wake the loop in vain.
  auto want = [](const Pipe& from, const Pipe& to) -> uint32_t {
    return (!from.eof && from.Empty() ? EPOLLIN : 0) | (!to.Empty() ? EPOLLOUT : 0);
  };
  SetInterest(c->client, Key(c->id, static_cast<uint8_t>(Kind::kClient)), want(c->up, c->down),
              &c->client_events);
  SetInterest(c->upstream, Key(c->id, static_cast<uint8_t>(Kind::kUpstream)), want(c->down, c->up),
              &c->upstream_events);
}

void TcpProxy::SetInterest(int fd, uint64_t key, uint32_t want, uint32_t* have) {
  if (want == *have) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = key;
  const int op = *have == 0 ? EPOLL_CTL_ADD : want == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
  epoll_ctl(epoll_fd_, op, fd, &ev);
  *have = want;
}

void TcpProxy::Close(Conn* c) {
  if (c->client >= 0) close(c->client);
  if (c->upstream >= 0) close(c->upstream);
  conns_.erase(c->id);
}

// ---- Probing inactive members.

void TcpProxy::Deactivate(size_t i, const std::string& error) {
  if (picker_.active(i)) retry_at_[i] = absl::Now() + retry_delay_;
  picker_.Deactivate(i);
  SPDLOG_WARN(
      "{}", log::With("deactivated endpoint", log::Fields()
                                                  .Str("address", endpoints_[i].endpoint.Address())
                                                  .Str("interval", GoDurationString(retry_delay_))
                                                  .Str("error", error)));
}

void TcpProxy::StartDueProbes() {
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (picker_.active(i) || probing_[i] || now < retry_at_[i]) continue;
    auto p = std::make_unique<Probe>();
    p->id = next_id_++;
    p->endpoint = i;
    Probe* raw = p.get();
    probes_[raw->id] = std::move(p);
    probing_[i] = true;
    ProbeNext(raw);
  }
}

void TcpProxy::ProbeNext(Probe* p) {
  const std::vector<sockaddr_storage>& addrs = endpoints_[p->endpoint].addrs;
  for (; p->addr < addrs.size(); ++p->addr) {
    int err = 0;
    p->fd = StartConnect(addrs[p->addr], &err);
    if (p->fd >= 0) {
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.u64 = Key(p->id, static_cast<uint8_t>(Kind::kProbe));
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, p->fd, &ev);
      return;
    }
    p->error = DialError(addrs[p->addr], err);
  }
  const size_t i = p->endpoint;
  SPDLOG_WARN("{}", log::With("failed to activate endpoint (stay inactive for another interval)",
                              log::Fields()
                                  .Str("address", endpoints_[i].endpoint.Address())
                                  .Str("interval", GoDurationString(retry_delay_))
                                  .Str("error", p->error)));
  retry_at_[i] = absl::Now() + retry_delay_;
  probing_[i] = false;
  probes_.erase(p->id);
}

void TcpProxy::OnProbe(uint64_t id) {
  auto it = probes_.find(id);
  if (it == probes_.end()) return;
  Probe* p = it->second.get();
  const int err = SocketError(p->fd);
  close(p->fd);
  p->fd = -1;
  if (err != 0) {
    p->error = DialError(endpoints_[p->endpoint].addrs[p->addr], err);
    ++p->addr;
    ProbeNext(p);
    return;
  }
  const size_t i = p->endpoint;
  picker_.Activate(i);
  probing_[i] = false;
  SPDLOG_INFO(
      "{}", log::With("activated", log::Fields().Str("address", endpoints_[i].endpoint.Address())));
  probes_.erase(id);
}

int TcpProxy::NextTimeoutMs() const {
  absl::Time next = absl::InfiniteFuture();
  if (accept_paused_) next = accept_resume_;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (!picker_.active(i) && !probing_[i]) next = std::min(next, retry_at_[i]);
  }
  if (next == absl::InfiniteFuture()) return -1;
  const absl::Duration left = next - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
}

}  // namespace etcdpp::server::gateway
