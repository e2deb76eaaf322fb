#include "server/http/http_server.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace etcdpp::server::http {
namespace {
constexpr uint64_t kWakeId = 0;
constexpr size_t kMaxBufferedOut = 64 << 20;  // a client that stops reading is cut off
constexpr size_t kReadChunk = 64 << 10;       // one read from a socket
}  // namespace

struct HttpServer::Conn {
  Conn(uint64_t id, std::unique_ptr<ConnIo> io, RequestParser::Limits limits)
      : id(id), io(std::move(io)), fd(this->io->fd()), parser(limits) {}
  const uint64_t id;
  const std::unique_ptr<ConnIo> io;
  const int fd;
  std::string in;
  std::string out;
  RequestParser parser;
  bool handling = false;  // a request is with the handler
  bool close_after_flush = false;
  bool want_write = false;
  bool want_read = true;  // false while `in` is full: EPOLLIN is off until it drains
  absl::Time deadline = absl::InfiniteFuture();  // read or idle deadline when not handling
  std::shared_ptr<Responder> responder;
  size_t responder_bytes = 0;  // the tail of `out` that the current responder posted
};

HttpServer::HttpServer(Options opts, Handler handler) : opts_(opts), handler_(std::move(handler)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(Options opts, Handler handler) {
  std::unique_ptr<HttpServer> s(new HttpServer(opts, std::move(handler)));
  s->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  s->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->epoll_fd_ < 0 || s->wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("http server: epoll/eventfd: ", strerror(errno)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  epoll_ctl(s->epoll_fd_, EPOLL_CTL_ADD, s->wake_fd_, &ev);
  s->mailbox_ = std::make_shared<Mailbox>(s->wake_fd_);
  s->loop_ = std::thread([p = s.get()] { p->Loop(); });
  return s;
}

HttpServer::~HttpServer() {
  Stop();
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void HttpServer::Adopt(int fd) { Adopt(ConnIo::Plain(fd)); }

void HttpServer::Adopt(std::unique_ptr<ConnIo> io) {
  {
    MutexLock l(&mu_);
    if (!stopping_) {
      pending_.push_back(std::move(io));
    }
  }
  if (io) {
    io->Close();
    return;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void HttpServer::Stop() {
  {
    MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  mailbox_->Close();
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (loop_.joinable()) loop_.join();
}

size_t HttpServer::ConnectionCountForTest() { return conn_count_.load(); }

void HttpServer::Loop() {
  epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(epoll_fd_, evs, 64, 100);
    {
      MutexLock l(&mu_);
      if (stopping_) break;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t id = evs[i].data.u64;
      if (id == kWakeId) {
        uint64_t v;
        (void)!read(wake_fd_, &v, sizeof(v));
        continue;
      }
      auto it = conns_.find(id);
      if (it == conns_.end()) continue;
      bool tls = it->second->io->is_tls();  // a TLS read may wait on a write and vice versa
      if ((evs[i].events & (EPOLLHUP | EPOLLERR)) && !it->second->want_read) {
        Close(id);  // reading is paused, so the hang-up would be reported again and again
        continue;
      }
      if (evs[i].events & EPOLLOUT) Flush(it->second.get());
      if (conns_.count(id) && (tls || (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))) {
        OnReadable(conns_[id].get());
      }
    }
    AdoptPending();
    for (Outgoing& o : mailbox_->Drain()) Deliver(std::move(o));
    ExpireDeadlines();
  }
  std::vector<uint64_t> ids;
  for (auto& [id, c] : conns_) ids.push_back(id);
  for (uint64_t id : ids) Close(id);
  std::vector<std::unique_ptr<ConnIo>> pending;
  {
    MutexLock l(&mu_);
    pending.swap(pending_);
  }
  for (auto& io : pending) io->Close();
}

void HttpServer::AdoptPending() {
  std::vector<std::unique_ptr<ConnIo>> ios;
  {
    MutexLock l(&mu_);
    ios.swap(pending_);
  }
  for (auto& io : ios) {
    uint64_t id = next_id_++;
    int fd = io->fd();
    auto c = std::make_unique<Conn>(id, std::move(io), opts_.limits);
    c->deadline = absl::Now() + opts_.read_timeout;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      c->io->Close();
      continue;
    }
    Conn* raw = c.get();
    conns_[id] = std::move(c);
    conn_count_.store(conns_.size());
    ParseAndDispatch(raw);  // bytes may already be waiting; the read event says so anyway
  }
}

// The parser moves a body out of `in` as it arrives, so `in` needs room for a head and one read.
// While a request is with the handler (a streaming gateway call can last for hours) nothing is
// parsed: what the client sends meanwhile waits in `in`, up to one read's worth.
size_t HttpServer::MaxBufferedIn(const Conn& c) const {
  return c.handling ? kReadChunk : opts_.limits.max_header_bytes + kReadChunk;
}

// Reads what the client sent while `in` holds less than MaxBufferedIn(). A full buffer pauses
// reading (EPOLLIN off, UpdateInterest) until it drains, so what a connection holds stays
// bounded: a client that sends on during a stream fills the kernel's socket buffers, then its
// sends block.
void HttpServer::OnReadable(Conn* c) {
  char buf[kReadChunk];
  while (c->in.size() < MaxBufferedIn(*c)) {
    size_t n = 0;
    ConnIo::Result r = c->io->Read(buf, sizeof(buf), &n);
    if (r == ConnIo::Result::kOk) {
      c->in.append(buf, n);
      continue;
    }
    if (r == ConnIo::Result::kAgain) break;
    Close(c->id);  // EOF or error: the client is gone
    return;
  }
  const uint64_t id = c->id;
  if (!c->handling) ParseAndDispatch(c);  // consumes what it parses
  if (conns_.count(id)) UpdateInterest(c);
}

void HttpServer::ParseAndDispatch(Conn* c) {
  if (c->handling || c->close_after_flush || c->in.empty()) return;
  bool was_started = c->parser.started();
  RequestParser::Result r = c->parser.Feed(&c->in);
  if (!was_started && c->parser.started()) c->deadline = absl::Now() + opts_.read_timeout;
  if (r == RequestParser::Result::kNeedMore) {
    if (c->parser.TakeContinue()) {  // the client waits for this before it sends the body
      c->out += "HTTP/1.1 100 Continue\r\n\r\n";
      Flush(c);
    }
    return;
  }
  if (r == RequestParser::Result::kError) {
    SendError(c, c->parser.error_status(), c->parser.error_detail());
    return;
  }
  Request req = c->parser.TakeRequest();
  req.tls = c->io->is_tls();
  req.tls_common_name = c->io->peer_common_name();
  req.tls_chain_common_names = c->io->peer_chain_common_names();
  c->handling = true;
  c->deadline = absl::InfiniteFuture();
  c->responder = std::make_shared<Responder>(mailbox_, c->id, req.keep_alive);
  handler_(std::move(req), c->responder);
}

// As Go's net/http answers a request it could not read: no Content-Length, the body ends with
// the connection; a detail, when Go gives one, follows the reason in the status line and the
// body ("400 Bad Request: missing required Host header"). 501 and 417 have Go's own bodies.
void HttpServer::SendError(Conn* c, int status, const std::string& detail) {
  c->handling = true;
  c->close_after_flush = true;
  c->deadline = absl::Now() + absl::Seconds(5);  // a client that never reads the error is cut
  std::string reason = StatusText(status);
  if (!detail.empty()) absl::StrAppend(&reason, ": ", detail);
  if (status == 417) {  // Go's sendExpectationFailed
    c->out += "HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  } else {
    absl::StrAppend(
        &c->out, "HTTP/1.1 ", status, " ", reason,
        "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n",
        status == 501 ? "Unsupported transfer encoding" : absl::StrCat(status, " ", reason));
  }
  Flush(c);
}

void HttpServer::Deliver(Outgoing o) {
  auto it = conns_.find(o.conn_id);
  if (it == conns_.end()) return;
  Conn* c = it->second.get();
  c->out += o.bytes;
  if (c->responder) c->responder_bytes += o.bytes.size();
  if (c->out.size() > kMaxBufferedOut) {
    Close(c->id);
    return;
  }
  if (o.end_of_response) {
    c->handling = false;
    c->responder.reset();
    c->responder_bytes = 0;
    if (o.close) c->close_after_flush = true;
    c->deadline = absl::Now() + opts_.idle_timeout;
  }
  uint64_t id = c->id;
  Flush(c);
  if (conns_.count(id)) ParseAndDispatch(c);  // a pipelined request may be waiting
  // Reading paused on a full buffer resumes once it drained (a TLS connection may hold
  // decrypted bytes no EPOLLIN would announce: read them now).
  if (conns_.count(id) && !c->want_read && c->in.size() < MaxBufferedIn(*c)) OnReadable(c);
}

void HttpServer::Flush(Conn* c) {
  while (!c->out.empty()) {
    size_t n = 0;
    ConnIo::Result r = c->io->Write(c->out.data(), c->out.size(), &n);
    if (r == ConnIo::Result::kOk) {
      NoteSent(c, n);
      c->out.erase(0, n);
      continue;
    }
    if (r == ConnIo::Result::kAgain) break;
    Close(c->id);
    return;
  }
  if (c->out.empty() && c->close_after_flush) {
    Close(c->id);
    return;
  }
  UpdateInterest(c);
}

// Tells the current responder how many of its bytes (the tail of `out`) the socket took: a
// stream waiting for its output to drain goes on from here.
void HttpServer::NoteSent(Conn* c, size_t n) {
  const size_t older = c->out.size() - c->responder_bytes;
  if (!c->responder || n <= older) return;
  const size_t mine = std::min(n - older, c->responder_bytes);
  c->responder_bytes -= mine;
  std::shared_ptr<Responder> r = c->responder;
  r->Sent(mine);
}

void HttpServer::UpdateInterest(Conn* c) {
  bool want = !c->out.empty() || c->io->wants_write();
  bool want_read = c->in.size() < MaxBufferedIn(*c);
  if (want == c->want_write && want_read == c->want_read) return;
  c->want_write = want;
  c->want_read = want_read;
  epoll_event ev{};
  ev.events = (want_read ? static_cast<uint32_t>(EPOLLIN | EPOLLRDHUP) : 0U) |
              (want ? static_cast<uint32_t>(EPOLLOUT) : 0U);
  ev.data.u64 = c->id;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
}

void HttpServer::Close(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  std::unique_ptr<Conn> c = std::move(it->second);
  conns_.erase(it);
  conn_count_.store(conns_.size());
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->fd, nullptr);
  c->io->Close();
  if (c->responder) c->responder->MarkGone();
}

// Requests that do not arrive whole in time get 408; idle connections are closed.
void HttpServer::ExpireDeadlines() {
  absl::Time now = absl::Now();
  std::vector<uint64_t> expired;
  for (auto& [id, c] : conns_) {
    if ((!c->handling || c->close_after_flush) && now > c->deadline) expired.push_back(id);
  }
  for (uint64_t id : expired) {
    Conn* c = conns_[id].get();
    if (c->close_after_flush) {
      Close(id);
    } else if (c->parser.started()) {
      SendError(c, 408, "");
    } else {
      Close(id);
    }
  }
}

}  // namespace etcdpp::server::http
