#pragma once
// Responder: how a handler answers one HTTP request, from any thread and at any time (a
// gateway call completes on a gRPC thread). Everything it writes goes through the server's
// mailbox to the connection's loop thread; once the client is gone, writes are dropped and the
// gone-callback (e.g. cancel the gRPC call behind a watch) runs once.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/mutex.h"

namespace etcdpp::server::http {

// Bytes for one connection, handed to the loop thread.
struct Outgoing {
  uint64_t conn_id = 0;
  std::string bytes;
  bool end_of_response = false;
  bool close = false;  // close the connection once the bytes are out
};

// The loop thread's queue; shared so responders may outlive the server (they then drop).
class Mailbox {
 public:
  explicit Mailbox(int wake_fd) : wake_fd_(wake_fd) {}
  void Post(Outgoing out);
  std::vector<Outgoing> Drain();
  void Close();

 private:
  const int wake_fd_;
  Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Outgoing> queue_ ABSL_GUARDED_BY(mu_);
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class Responder {
 public:
  Responder(std::shared_ptr<Mailbox> mailbox, uint64_t conn_id, bool keep_alive)
      : mailbox_(std::move(mailbox)), conn_id_(conn_id), keep_alive_(keep_alive) {}

  // A whole response with Content-Length.
  void Reply(int status, absl::string_view content_type, std::string body,
             const Headers& extra = {});
  // Starts a chunked response; then Write() any number of times and Finish().
  void StartStream(int status, absl::string_view content_type, const Headers& extra = {});
  void Write(absl::string_view data);
  void Finish();

  // `fn` runs once, on the loop thread, if the client goes away before Finish/Reply (or at
  // once if it is already gone).
  void OnGone(std::function<void()> fn);
  bool gone() const;
  // Called by the loop thread.
  void MarkGone();

  // Flow control for streams: `fn` runs once when at most `low` bytes of what this responder
  // posted are still waiting for the socket, or the client is gone: at once if that is already
  // so, else on the loop thread. A stream reads its next message in `fn`, so a client that
  // reads slowly holds back the call instead of piling its output up in memory.
  void OnDrained(size_t low, std::function<void()> fn);
  // Called by the loop thread: `n` of this responder's bytes reached the socket.
  void Sent(size_t n);

 private:
  std::string Head(int status, absl::string_view content_type, const Headers& extra) const;
  void Post(std::string bytes, bool end);

  const std::shared_ptr<Mailbox> mailbox_;
  const uint64_t conn_id_;
  const bool keep_alive_;
  mutable Mutex mu_;
  bool gone_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> on_gone_ ABSL_GUARDED_BY(mu_);
  size_t unsent_ ABSL_GUARDED_BY(mu_) = 0;  // posted, not yet written to the socket
  size_t drained_low_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void()> on_drained_ ABSL_GUARDED_BY(mu_);
};

const char* StatusText(int status);

}  // namespace etcdpp::server::http
