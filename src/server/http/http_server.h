#pragma once
// HttpServer: HTTP/1.1 on sockets that the port sharer (or a metrics listener) hands over.
// One loop thread owns every connection (level-triggered epoll, non-blocking sockets): it
// reads and parses requests, calls the handler, and writes what responders post. Handlers
// must not block; they answer later through their Responder, from any thread.
//
// Limits: a request must arrive whole within read_timeout of its first byte (else 408 and
// close), an idle keep-alive connection is closed after idle_timeout, and bodies over
// max_body_bytes get 413 before they are read.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "server/http/conn_io.h"
#include "server/http/request.h"
#include "server/http/responder.h"

namespace etcdpp::server::http {

using Handler = std::function<void(Request req, std::shared_ptr<Responder> resp)>;

class HttpServer {
 public:
  struct Options {
    RequestParser::Limits limits;
    absl::Duration read_timeout = absl::Seconds(10);
    absl::Duration idle_timeout = absl::Minutes(2);
  };
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HttpServer>> Start(Options opts,
                                                                         Handler handler);
  ~HttpServer();

  // Takes ownership of a connected socket (any thread).
  void Adopt(int fd);
  // The same for a connection with its I/O already chosen (TLS: ConnIo::Tls).
  void Adopt(std::unique_ptr<ConnIo> io);
  // Closes every connection (their responders see the client gone) and joins the loop.
  void Stop();
  size_t ConnectionCountForTest();

 private:
  struct Conn;
  HttpServer(Options opts, Handler handler);
  // The loop thread: epoll_wait, then mailbox, new sockets, reads, writes, deadlines.
  void Loop();
  void AdoptPending();
  void OnReadable(Conn* c);
  void ParseAndDispatch(Conn* c);
  void Deliver(Outgoing out);
  void Flush(Conn* c);
  void NoteSent(Conn* c, size_t n);
  // EPOLLOUT while output or a TLS write is pending; EPOLLIN unless the input buffer is full.
  void UpdateInterest(Conn* c);
  size_t MaxBufferedIn(const Conn& c) const;
  void Close(uint64_t id);
  void ExpireDeadlines();
  void SendError(Conn* c, int status, const std::string& detail);

  // Constant after Start.
  const Options opts_;
  const Handler handler_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::shared_ptr<Mailbox> mailbox_;
  std::thread loop_;  // Loop()

  Mutex mu_;
  std::vector<std::unique_ptr<ConnIo>> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Loop thread only.
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::map<int, uint64_t> by_fd_;
  std::atomic<size_t> conn_count_{0};
};

}  // namespace etcdpp::server::http
