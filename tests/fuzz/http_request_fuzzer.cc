// Fuzzes the client port's HTTP/1.1 request parser (src/server/http/request.h, head_rules.h):
// the input's first byte picks a read size, the rest is what a client sends on one connection
// (pipelined requests). The parser is fed the bytes twice, as a connection would: all at once,
// and in reads of that size. Both must give the same requests and the same final verdict (an
// HTTP error status, or waiting for more), whatever the bytes. Each request's query is also
// decoded, and the head rules are run on its lines.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/http/head_rules.h"
#include "server/http/request.h"

namespace {

using etcdpp::server::http::Request;
using etcdpp::server::http::RequestParser;

// What one connection's parser made of the bytes.
struct Outcome {
  std::vector<std::tuple<std::string, std::string, std::string,
                         std::vector<std::pair<std::string, std::string>>, std::string, bool>>
      requests;
  int error_status = 0;  // 0: waiting for more bytes at the end
  bool operator==(const Outcome&) const = default;
};

RequestParser::Limits SmallLimits() {
  RequestParser::Limits l;
  l.max_header_bytes = 512;
  l.max_body_bytes = 2048;
  return l;
}

void Exercise(const Request& r) {
  (void)r.QueryValues("key");
  (void)r.Header("host");
  int major = 0;
  int minor = 0;
  (void)etcdpp::server::http::ParseHttpVersion(r.method, &major, &minor);
}

// Feeds `bytes` to a fresh parser `step` bytes at a time (0: all at once).
Outcome Parse(absl::string_view bytes, size_t step) {
  Outcome out;
  RequestParser p(SmallLimits());
  std::string in;
  size_t pos = 0;
  for (;;) {
    RequestParser::Result r = p.Feed(&in);
    if (r == RequestParser::Result::kError) {
      out.error_status = p.error_status();
      return out;
    }
    if (r == RequestParser::Result::kDone) {
      (void)p.TakeContinue();
      Request req = p.TakeRequest();
      Exercise(req);
      out.requests.emplace_back(req.method, req.path, req.query, req.headers, req.body,
                                req.keep_alive);
      if (!in.empty()) continue;
    }
    if (pos == bytes.size()) return out;
    const size_t n = step == 0 ? bytes.size() - pos : std::min(step, bytes.size() - pos);
    in.append(bytes.data() + pos, n);
    pos += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 16;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = Parse(bytes, 0);
  const Outcome pieces = Parse(bytes, step);
  if (!(whole == pieces)) std::abort();

  // The head rules on their own, over the first lines of the input.
  std::vector<std::string> lines;
  if (etcdpp::server::http::SplitHeadLines(bytes.substr(0, 1024), &lines)) {
    for (const std::string& line : lines) {
      (void)etcdpp::server::http::IsToken(line);
      (void)etcdpp::server::http::IsValidHeaderValue(line);
      (void)etcdpp::server::http::IsValidHostHeader(line);
      (void)etcdpp::server::http::HasToken(line, "chunked");
      absl::string_view path;
      absl::string_view query;
      (void)etcdpp::server::http::RequestTargetPath(line, &path, &query);
    }
  }
  return 0;
}
