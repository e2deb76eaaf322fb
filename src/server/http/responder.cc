#include "server/http/responder.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace etcdpp::server::http {

void Mailbox::Post(Outgoing out) {
  {
    MutexLock l(&mu_);
    if (closed_) return;
    queue_.push_back(std::move(out));
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

std::vector<Outgoing> Mailbox::Drain() {
  MutexLock l(&mu_);
  std::vector<Outgoing> out;
  out.swap(queue_);
  return out;
}

void Mailbox::Close() {
  MutexLock l(&mu_);
  closed_ = true;
  queue_.clear();
}

const char* StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Request Entity Too Large";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string Responder::Head(int status, absl::string_view content_type,
                            const Headers& extra) const {
  std::string h = absl::StrCat("HTTP/1.1 ", status, " ", StatusText(status), "\r\n");
  if (!content_type.empty()) absl::StrAppend(&h, "Content-Type: ", content_type, "\r\n");
  absl::StrAppend(
      &h, "Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::Now(), absl::UTCTimeZone()),
      "\r\n");
  for (const auto& [k, v] : extra) absl::StrAppend(&h, k, ": ", v, "\r\n");
  if (!keep_alive_) absl::StrAppend(&h, "Connection: close\r\n");
  return h;
}

void Responder::Post(std::string bytes, bool end) {
  {
    MutexLock l(&mu_);
    unsent_ += bytes.size();
  }
  mailbox_->Post(Outgoing{conn_id_, std::move(bytes), end, end && !keep_alive_});
}

void Responder::Reply(int status, absl::string_view content_type, std::string body,
                      const Headers& extra) {
  {
    MutexLock l(&mu_);
    if (done_) return;
    done_ = true;
  }
  std::string out = Head(status, content_type, extra);
  absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n\r\n", body);
  Post(std::move(out), true);
}

void Responder::StartStream(int status, absl::string_view content_type, const Headers& extra) {
  std::string out = Head(status, content_type, extra);
  absl::StrAppend(&out, "Transfer-Encoding: chunked\r\n\r\n");
  Post(std::move(out), false);
}

void Responder::Write(absl::string_view data) {
  if (data.empty()) return;
  {
    MutexLock l(&mu_);
    if (done_) return;
  }
  Post(absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n"), false);
}

void Responder::Finish() {
  {
    MutexLock l(&mu_);
    if (done_) return;
    done_ = true;
  }
  Post("0\r\n\r\n", true);
}

void Responder::OnGone(std::function<void()> fn) {
  {
    MutexLock l(&mu_);
    if (!gone_) {
      on_gone_ = std::move(fn);
      return;
    }
  }
  fn();
}

bool Responder::gone() const {
  MutexLock l(&mu_);
  return gone_;
}

void Responder::MarkGone() {
  std::function<void()> fn, drained;
  {
    MutexLock l(&mu_);
    if (gone_) return;
    gone_ = true;
    fn.swap(on_gone_);
    drained.swap(on_drained_);
  }
  if (fn) fn();
  if (drained) drained();
}

void Responder::OnDrained(size_t low, std::function<void()> fn) {
  {
    MutexLock l(&mu_);
    if (!gone_ && unsent_ > low) {
      drained_low_ = low;
      on_drained_ = std::move(fn);
      return;
    }
  }
  fn();
}

void Responder::Sent(size_t n) {
  std::function<void()> fn;
  {
    MutexLock l(&mu_);
    unsent_ -= std::min(n, unsent_);
    if (on_drained_ && unsent_ <= drained_low_) fn.swap(on_drained_);
  }
  if (fn) fn();
}

}  // namespace etcdpp::server::http
