#include "server/http/request.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/http/head_rules.h"

namespace etcdpp::server::http {
namespace {

std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && absl::ascii_isxdigit(s[i + 1]) &&
               absl::ascii_isxdigit(s[i + 2])) {
      int v = 0;
      if (absl::SimpleHexAtoi(s.substr(i + 1, 2), &v)) {  // two hex digits: always parses
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
      out.push_back(s[i]);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string Request::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::vector<std::string> Request::QueryValues(absl::string_view name) const {
  std::vector<std::string> out;
  for (absl::string_view kv : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (PercentDecode(p.first) == name) out.push_back(PercentDecode(p.second));
  }
  return out;
}

RequestParser::Result RequestParser::Fail(int status, std::string detail) {
  error_status_ = status;
  error_detail_ = std::move(detail);
  return Result::kError;
}

RequestParser::Result RequestParser::Feed(std::string* in) {
  if (stage_ == Stage::kHeaders) {
    SkipLineEndsAfterPost(in);
    if (!in->empty()) started_ = true;
    Result r = ParseHeaders(in);
    if (r != Result::kDone) return r;
  }
  if (stage_ == Stage::kBody) {
    size_t n = std::min(body_left_, in->size());
    req_.body.append(*in, 0, n);
    in->erase(0, n);
    body_left_ -= n;
    if (body_left_ > 0) return Result::kNeedMore;
    stage_ = Stage::kDone;
  }
  if (stage_ != Stage::kDone) {
    Result r = ParseChunks(in);
    if (r != Result::kDone) return r;
  }
  return Result::kDone;
}

// Go tolerates the CRLF that old clients send after a POST body.
void RequestParser::SkipLineEndsAfterPost(std::string* in) {
  size_t n = 0;
  while (crlf_to_skip_ > 0 && n < in->size() && ((*in)[n] == '\r' || (*in)[n] == '\n')) {
    ++n;
    --crlf_to_skip_;
  }
  if (n < in->size()) crlf_to_skip_ = 0;
  in->erase(0, n);
}

RequestParser::Result RequestParser::ParseHeaders(std::string* in) {
  for (;;) {
    size_t nl = in->find('\n', scanned_);
    if (nl == std::string::npos) break;
    size_t len = nl - line_start_;
    if (len == 0 || (len == 1 && (*in)[line_start_] == '\r')) {  // the blank line ends the head
      if (line_start_ > limits_.max_header_bytes) return Fail(431);
      absl::string_view head(in->data(), line_start_);  // without the last line's end
      absl::ConsumeSuffix(&head, "\n");
      absl::ConsumeSuffix(&head, "\r");
      std::string head_copy(head);
      in->erase(0, nl + 1);
      scanned_ = line_start_ = 0;
      return ParseHead(head_copy);
    }
    scanned_ = line_start_ = nl + 1;
  }
  scanned_ = in->size();
  // No blank line yet: refuse only a head that must exceed the limit however the rest arrives,
  // so that the verdict does not depend on how the bytes were split. A partial line that may be
  // the blank line's start (nothing, or a lone CR) adds nothing to the head; any other adds its
  // bytes and at least a LF.
  const size_t partial = in->size() - line_start_;
  const bool may_end_here = partial == 0 || (partial == 1 && (*in)[line_start_] == '\r');
  const size_t least_head = may_end_here ? line_start_ : in->size() + 1;
  if (least_head > limits_.max_header_bytes) return Fail(431);
  return Result::kNeedMore;
}

// The request line and the header fields, checked in Go's order; decides how the body is
// framed.
RequestParser::Result RequestParser::ParseHead(absl::string_view head) {
  std::vector<std::string> lines;
  if (!SplitHeadLines(head, &lines)) return Fail(400);
  int major = 0, minor = 0;
  if (Result r = ParseRequestLine(lines[0], &major, &minor); r != Result::kDone) return r;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) return Fail(400);
    if (colon == 0) continue;  // Go skips a field without a name
    req_.headers.emplace_back(absl::AsciiStrToLower(line.substr(0, colon)),
                              absl::StripLeadingAsciiWhitespace(line.substr(colon + 1)));
  }
  if (CountHeader("host") > 1) return Fail(400);
  const bool http11 = major > 1 || minor >= 1;
  uint64_t len = 0;
  bool chunked = false;
  if (Result r = ParseFraming(http11, &len, &chunked); r != Result::kDone) return r;
  if (major != 1) return Fail(505, "unsupported protocol version");
  if (Result r = CheckFields(http11); r != Result::kDone) return r;
  if (len > limits_.max_body_bytes) return Fail(413);
  if (std::string expect = req_.Header("expect"); !expect.empty()) {
    if (!HasToken(expect, "100-continue")) return Fail(417);
    send_continue_ = http11 && (chunked || len > 0);
  }
  std::string conn;
  for (const auto& [k, v] : req_.headers) {
    if (k == "connection") absl::StrAppend(&conn, v, ",");
  }
  req_.keep_alive = !HasToken(conn, "close") && (http11 || HasToken(conn, "keep-alive"));
  if (req_.method == "POST") crlf_to_skip_ = 4;
  body_left_ = len;
  stage_ = chunked ? Stage::kChunkSize : Stage::kBody;
  return Result::kDone;
}

size_t RequestParser::CountHeader(absl::string_view name) const {
  return std::count_if(req_.headers.begin(), req_.headers.end(),
                       [name](const auto& kv) { return kv.first == name; });
}

// "METHOD TARGET HTTP/x.y": Go cuts at the first two spaces, so a third one spoils the version.
RequestParser::Result RequestParser::ParseRequestLine(absl::string_view line, int* major,
                                                      int* minor) {
  std::vector<absl::string_view> rl = absl::StrSplit(line, absl::MaxSplits(' ', 2));
  absl::string_view path, query;
  if (rl.size() != 3 || !IsToken(rl[0]) || !RequestTargetPath(rl[1], &path, &query) ||
      !ParseHttpVersion(rl[2], major, minor)) {
    return Fail(400);
  }
  req_.method = std::string(rl[0]);
  req_.path = std::string(path);
  req_.query = std::string(query);
  return Result::kDone;
}

// Transfer-Encoding and Content-Length, as Go's transfer.go reads a request.
RequestParser::Result RequestParser::ParseFraming(bool http11, uint64_t* len, bool* chunked) {
  std::vector<absl::string_view> te, cl;
  for (const auto& [k, v] : req_.headers) {
    if (k == "transfer-encoding") te.push_back(v);
    if (k == "content-length") cl.push_back(v);
  }
  if (!te.empty() && http11) {  // Go ignores Transfer-Encoding on HTTP/1.0
    if (te.size() != 1 || !absl::EqualsIgnoreCase(te[0], "chunked")) return Fail(501);
    *chunked = true;
    return Result::kDone;  // Content-Length headers beside it do not count
  }
  for (absl::string_view v : cl) {
    if (v != cl[0]) return Fail(400);
  }
  if (cl.empty() || cl[0].empty()) return Result::kDone;  // Go 1.19: an empty one is no body
  if (!std::all_of(cl[0].begin(), cl[0].end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(cl[0], len) || *len > uint64_t{INT64_MAX}) {
    return Fail(400);
  }
  return Result::kDone;
}

// What Go's server checks once the request is read: the Host header, every field's name and
// value.
RequestParser::Result RequestParser::CheckFields(bool http11) {
  if (http11 && CountHeader("host") == 0) return Fail(400, "missing required Host header");
  if (!IsValidHostHeader(req_.Header("host"))) return Fail(400, "malformed Host header");
  for (const auto& [k, v] : req_.headers) {
    if (!IsToken(k)) return Fail(400, "invalid header name");
    if (!IsValidHeaderValue(v)) return Fail(400, "invalid header value");
  }
  return Result::kDone;
}

// Chunked transfer coding: size line, data, CRLF ... a zero size, trailers, CRLF.
RequestParser::Result RequestParser::ParseChunks(std::string* in) {
  for (;;) {
    if (stage_ == Stage::kChunkData) {
      size_t n = std::min(body_left_, in->size());
      req_.body.append(*in, 0, n);
      in->erase(0, n);
      body_left_ -= n;
      if (body_left_ > 0 || in->size() < 2) return Result::kNeedMore;
      if (in->compare(0, 2, "\r\n") != 0) return Fail(400);
      in->erase(0, 2);
      stage_ = Stage::kChunkSize;
    }
    // Size and trailer lines end with LF, whitespace before it trimmed (Go's chunked reader).
    size_t eol = in->find('\n');
    if (eol == std::string::npos) return in->size() > 4096 ? Fail(400) : Result::kNeedMore;
    std::string line(absl::StripTrailingAsciiWhitespace(absl::string_view(*in).substr(0, eol)));
    in->erase(0, eol + 1);
    if (stage_ == Stage::kChunkTrailer) {
      if (line.empty()) {
        stage_ = Stage::kDone;
        return Result::kDone;
      }
      continue;
    }
    uint64_t size = 0;
    absl::string_view hex =
        absl::StripAsciiWhitespace(absl::string_view(line).substr(0, line.find(';')));
    // 1 to 16 hex digits, nothing else (Go: "http chunk length too large" past 16).
    if (hex.empty() || hex.size() > 16 ||
        !std::all_of(hex.begin(), hex.end(), absl::ascii_isxdigit) ||
        !absl::SimpleHexAtoi(hex, &size)) {
      return Fail(400);
    }
    // Invariant: body.size() <= max_body_bytes, so this cannot wrap (a sum could: a chunk of
    // size 2^64-1 after one byte used to pass the check and lift the body limit).
    if (size > limits_.max_body_bytes - req_.body.size()) return Fail(413);
    body_left_ = size;
    stage_ = size == 0 ? Stage::kChunkTrailer : Stage::kChunkData;
  }
}

Request RequestParser::TakeRequest() {
  Request r = std::move(req_);
  req_ = Request{};
  stage_ = Stage::kHeaders;
  started_ = false;
  send_continue_ = false;
  scanned_ = line_start_ = 0;
  body_left_ = 0;
  return r;
}

}  // namespace etcdpp::server::http
