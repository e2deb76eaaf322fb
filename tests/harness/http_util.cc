#include "harness/http_util.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <regex>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace etcdpp::testing {

RawConn::RawConn(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
}

RawConn::~RawConn() { close(fd_); }

void RawConn::Send(const std::string& s) { (void)!send(fd_, s.data(), s.size(), MSG_NOSIGNAL); }

std::string RawConn::ReadUntil(const std::string& until, absl::Duration timeout, bool* closed) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline && (until.empty() || !absl::StrContains(buf_, until))) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char b[4096];
    ssize_t n = recv(fd_, b, sizeof(b), 0);
    if (n <= 0) {
      if (closed) *closed = true;
      break;
    }
    buf_.append(b, static_cast<size_t>(n));
  }
  return buf_;
}

std::string Post(const std::string& path, const std::string& body) {
  return absl::StrCat("POST ", path, " HTTP/1.1\r\nHost: x\r\nContent-Length: ", body.size(),
                      "\r\n\r\n", body);
}

namespace {

// A chunked transfer-coded body, decoded (trailers ignored).
[[nodiscard]] absl::StatusOr<std::string> Dechunk(const std::string& in) {
  std::string out;
  size_t at = 0;
  for (;;) {
    size_t eol = in.find("\r\n", at);
    uint64_t n = 0;
    if (eol == std::string::npos || !absl::SimpleHexAtoi(in.substr(at, eol - at), &n) ||
        eol + 2 + n > in.size()) {
      return absl::DataLossError("bad chunked body");
    }
    if (n == 0) return out;
    out += in.substr(eol + 2, n);
    at = eol + 2 + n + 2;
  }
}

}  // namespace

[[nodiscard]] absl::StatusOr<HttpReply> HttpDo(int port, const std::string& method,
                                               const std::string& path) {
  RawConn c(port);
  if (!c.connected()) return absl::UnavailableError(absl::StrCat("cannot connect to port ", port));
  c.Send(absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  std::string got = c.ReadUntil("", absl::Seconds(10), &closed);
  size_t end = got.find("\r\n\r\n");
  int status = 0;
  if (!closed || end == std::string::npos || got.size() < 12 ||
      !absl::SimpleAtoi(got.substr(9, 3), &status)) {
    return absl::DataLossError(
        absl::StrCat(method, " ", path, ": incomplete reply: ", got.substr(0, 200)));
  }
  HttpReply reply{status, got.substr(0, end), got.substr(end + 4)};
  if (absl::StrContains(absl::AsciiStrToLower(reply.head), "transfer-encoding: chunked")) {
    absl::StatusOr<std::string> body = Dechunk(reply.body);
    if (!body.ok()) return body.status();
    reply.body = *body;
  }
  return reply;
}

[[nodiscard]] absl::StatusOr<std::map<std::string, double>> ParseExposition(
    const std::string& text) {
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos) return absl::InvalidArgumentError("no value: " + line);
    std::string name = line.substr(0, name_end), key = name;
    size_t value_at = name_end;
    if (line[name_end] == '{') {
      size_t close = line.find("} ", name_end);
      if (close == std::string::npos) return absl::InvalidArgumentError("unclosed labels: " + line);
      std::string labels = line.substr(name_end + 1, close - name_end - 1);
      static const std::regex kLabels(
          R"re(([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)re");
      if (!std::regex_match(labels, kLabels))
        return absl::InvalidArgumentError("bad labels: " + line);
      key = line.substr(0, close + 1);
      value_at = close + 1;
    }
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!types.count(family) && absl::EndsWith(name, suffix))
        family = name.substr(0, name.size() - strlen(suffix));
    }
    if (!types.count(family)) return absl::InvalidArgumentError("sample without TYPE: " + line);
    double v = 0;
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(line.substr(value_at)), &v)) {
      return absl::InvalidArgumentError("bad value: " + line);
    }
    samples[key] = v;
  }
  return samples;
}

[[nodiscard]] absl::StatusOr<std::map<std::string, double>> Scrape(int port) {
  absl::StatusOr<HttpReply> r = HttpDo(port, "GET", "/metrics");
  if (!r.ok()) return r.status();
  if (r->status != 200) return absl::InternalError(absl::StrCat("GET /metrics: ", r->head));
  return ParseExposition(r->body);
}

}  // namespace etcdpp::testing
