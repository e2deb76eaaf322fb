#pragma once
// An HTTP/1.1 request as the client port's HTTP side sees it, and an incremental parser for it.
// The parser is pure (no sockets): the connection feeds it bytes as they arrive and it says
// when a whole request (headers and body, Content-Length or chunked) is there, or which HTTP
// error the bytes deserve (400 malformed, 413 body over the limit, 431 headers too large, 417 an
// expectation other than 100-continue, 501 a transfer coding other than chunked). Framing is as
// strict as Go's net/http (request smuggling): Content-Length is digits only, several
// Content-Length headers must agree, Transfer-Encoding must be exactly one "chunked" (it then
// overrides Content-Length; HTTP/1.0 ignores it).

#include <cstddef>
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
  const std::string& error_text() const { return error_text_; }

 private:
  enum class Stage { kHeaders, kBody, kChunkSize, kChunkData, kChunkTrailer, kDone };
  Result ParseHeaders(std::string* in);
  Result ParseHead(absl::string_view head);
  Result ParseChunks(std::string* in);
  Result Fail(int status, std::string text);

  const Limits limits_;
  Stage stage_ = Stage::kHeaders;
  bool started_ = false;
  bool send_continue_ = false;
  size_t scanned_ = 0;  // bytes of the head searched for its end so far (no rescans)
  size_t body_left_ = 0;
  Request req_;
  int error_status_ = 0;
  std::string error_text_;
};

}  // namespace etcdpp::server::http
