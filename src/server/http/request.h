#pragma once
// An HTTP/1.1 request as the client port's HTTP side sees it, and an incremental parser for it.
// The parser is pure (no sockets): the connection feeds it bytes as they arrive and it says
// when a whole request (headers and body, Content-Length or chunked) is there, or which HTTP
// error the bytes deserve. It reads a head as Go 1.19's net/http does (etcd 3.4's client port),
// with Go's answers (request smuggling and parity):
//   400  a malformed request line, method or target; a header line without a colon, or one
//        folded before any header; several Content-Length values that differ (after trimming);
//        a Content-Length that is not 0..2^63-1 in plain digits (an empty one means no body);
//        several Host headers; a chunk that does not parse. With Go's detail text: "missing
//        required Host header" (HTTP/1.1), "malformed Host header", "invalid header name",
//        "invalid header value".
//   501  a Transfer-Encoding other than exactly one "chunked" (HTTP/1.1; HTTP/1.0 ignores it,
//        and chunked overrides Content-Length).
//   505  a version other than HTTP/1.x ("unsupported protocol version").
//   417  an Expect other than 100-continue.
//   431  a head over max_header_bytes; 413 a body over max_body_bytes (ours: Go has no cap).
// Lines may end with a bare LF, obs-fold continuation lines are joined with a space, a header
// with an empty name is skipped and up to 4 CR/LF bytes after a POST are skipped: all as Go.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace etcdpp::server::http {

struct Request {
  std::string method;
  std::string path;                                          // the target up to '?', not decoded
  std::string query;                                         // after '?', not decoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
  bool tls = false;             // arrived over TLS
  std::string tls_common_name;  // CN of the verified client certificate (--client-cert-auth)
  // CNs of its verified chain, the client's certificate first (Go's TLS.VerifiedChains).
  std::vector<std::string> tls_chain_common_names;

  // The first header of that (lower-case) name, or "".
  std::string Header(absl::string_view name) const;
  // Every value of a query parameter, percent-decoded.
  std::vector<std::string> QueryValues(absl::string_view name) const;
};

class RequestParser {
 public:
  struct Limits {
    size_t max_header_bytes = 1 << 20;  // Go's http.DefaultMaxHeaderBytes
    size_t max_body_bytes = 16 << 20;
  };
  enum class Result { kNeedMore, kDone, kError };

  explicit RequestParser(Limits limits) : limits_(limits) {}

  // Consumes bytes from the front of `in`. kDone: take_request() holds the request and the
  // rest of `in` belongs to the next one. kError: error_status() says which HTTP status.
  Result Feed(std::string* in);
  // True once any byte of the current request arrived.
  bool started() const { return started_; }
  // True once per request whose headers asked "Expect: 100-continue" (HTTP/1.1, a body to come):
  // the connection answers "HTTP/1.1 100 Continue" before the client sends the body.
  bool TakeContinue() {
    bool c = send_continue_;
    send_continue_ = false;
    return c;
  }
  Request TakeRequest();
  int error_status() const { return error_status_; }
  // Go's detail for the error ("missing required Host header"), or "" where Go gives none.
  const std::string& error_detail() const { return error_detail_; }

 private:
  enum class Stage { kHeaders, kBody, kChunkSize, kChunkData, kChunkTrailer, kDone };
  Result ParseHeaders(std::string* in);
  void SkipLineEndsAfterPost(std::string* in);
  Result ParseHead(absl::string_view head);
  Result ParseRequestLine(absl::string_view line, int* major, int* minor);
  Result ParseFraming(bool http11, uint64_t* len, bool* chunked);
  Result CheckFields(bool http11);
  size_t CountHeader(absl::string_view name) const;
  Result ParseChunks(std::string* in);
  Result Fail(int status, std::string detail = "");

  const Limits limits_;
  Stage stage_ = Stage::kHeaders;
  bool started_ = false;
  bool send_continue_ = false;
  // The head's end is searched once per byte: `scanned_` bytes of `in` hold no line end beyond
  // `line_start_`, where the line being read began.
  size_t scanned_ = 0;
  size_t line_start_ = 0;
  int crlf_to_skip_ = 0;  // after a POST, Go skips up to 4 CR/LF bytes before the next request
  size_t body_left_ = 0;
  Request req_;
  int error_status_ = 0;
  std::string error_detail_;
};

}  // namespace etcdpp::server::http
