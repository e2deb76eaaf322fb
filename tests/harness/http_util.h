#pragma once
// Raw HTTP/1.1 helpers for real-process tests of the client and metrics ports: a TCP client
// with bounded waits, a one-shot request, and a Prometheus text-format (0.0.4) parser.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace etcdpp::testing {

// A raw TCP client on 127.0.0.1 with bounded waits.
class RawConn {
 public:
  explicit RawConn(int port);
  ~RawConn();
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return connected_; }
  void Send(const std::string& s);
  // Reads until `until` appears (empty: until the peer closes), the peer closes, or `timeout`
  // passes; returns everything received so far. *closed is set when the peer closed.
  std::string ReadUntil(const std::string& until, absl::Duration timeout, bool* closed = nullptr);

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// "POST <path>" with a Content-Length body, keep-alive.
std::string Post(const std::string& path, const std::string& body);

struct HttpReply {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};
// One request ("GET /metrics", "POST /health") on a fresh connection with Connection: close;
// waits (<= 10 s) for the whole reply.
[[nodiscard]] absl::StatusOr<HttpReply> HttpDo(int port, const std::string& method,
                                               const std::string& path);

// Parses the Prometheus text exposition: every sample must belong to a family declared by a
// TYPE line (histograms: _bucket/_sum/_count), labels must be well formed and values numbers.
// Returns sample "name{labels}" -> value (labels as exposed, sorted by name as prometheus-cpp
// and client_golang print them).
[[nodiscard]] absl::StatusOr<std::map<std::string, double>> ParseExposition(
    const std::string& text);

// GET /metrics on `port`, parsed.
[[nodiscard]] absl::StatusOr<std::map<std::string, double>> Scrape(int port);

}  // namespace etcdpp::testing
