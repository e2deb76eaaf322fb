#include "server/http/request.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

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

RequestParser::Result RequestParser::Fail(int status, std::string text) {
  error_status_ = status;
  error_text_ = std::move(text);
  return Result::kError;
}

RequestParser::Result RequestParser::Feed(std::string* in) {
  if (!in->empty()) started_ = true;
  if (stage_ == Stage::kHeaders) {
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

RequestParser::Result RequestParser::ParseHeaders(std::string* in) {
  // The search resumes where the last one stopped (3 bytes back: the end may straddle), so a
  // head arriving a byte at a time costs linear time, not quadratic.
  size_t end = in->find("\r\n\r\n", scanned_ > 3 ? scanned_ - 3 : 0);
  if (end == std::string::npos) {
    scanned_ = in->size();
    if (in->size() > limits_.max_header_bytes) return Fail(431, "Request Header Fields Too Large");
    return Result::kNeedMore;
  }
  scanned_ = 0;
  if (end > limits_.max_header_bytes) return Fail(431, "Request Header Fields Too Large");
  std::string head = in->substr(0, end);
  in->erase(0, end + 4);
  return ParseHead(head);
}

// The request line and the header fields; decides how the body is framed.
RequestParser::Result RequestParser::ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> rl = absl::StrSplit(lines[0], ' ');
  if (rl.size() != 3 || !absl::StartsWith(rl[2], "HTTP/1.")) return Fail(400, "Bad Request");
  req_.method = std::string(rl[0]);
  std::pair<absl::string_view, absl::string_view> target =
      absl::StrSplit(rl[1], absl::MaxSplits('?', 1));
  req_.path = std::string(target.first);
  req_.query = std::string(target.second);
  req_.keep_alive = rl[2] != "HTTP/1.0";
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos || colon == 0) return Fail(400, "Bad Request");
    req_.headers.emplace_back(absl::AsciiStrToLower(lines[i].substr(0, colon)),
                              std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  std::string conn = absl::AsciiStrToLower(req_.Header("connection"));
  if (conn == "close") req_.keep_alive = false;
  if (conn == "keep-alive") req_.keep_alive = true;
  const bool http11 = rl[2] != "HTTP/1.0";
  std::vector<absl::string_view> te, cl;
  for (const auto& [k, v] : req_.headers) {
    if (k == "transfer-encoding") te.push_back(v);
    if (k == "content-length") cl.push_back(v);
  }
  bool chunked = false;
  if (!te.empty() && http11) {  // Go ignores Transfer-Encoding on HTTP/1.0
    if (te.size() != 1 || !absl::EqualsIgnoreCase(te[0], "chunked")) {
      return Fail(501, "Unsupported transfer encoding");
    }
    chunked = true;
  }
  uint64_t len = 0;
  if (!chunked && !cl.empty()) {
    for (absl::string_view v : cl) {
      if (v != cl[0]) return Fail(400, "Bad Request: multiple Content-Length headers");
    }
    if (cl[0].empty() || !std::all_of(cl[0].begin(), cl[0].end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(cl[0], &len)) {
      return Fail(400, "Bad Request: bad Content-Length");
    }
  }
  if (len > limits_.max_body_bytes) return Fail(413, "Request Entity Too Large");
  if (std::string expect = req_.Header("expect"); !expect.empty()) {
    if (!absl::EqualsIgnoreCase(expect, "100-continue")) return Fail(417, "Expectation Failed");
    send_continue_ = http11 && (chunked || len > 0);
  }
  if (chunked) {
    stage_ = Stage::kChunkSize;
    return Result::kDone;
  }
  body_left_ = len;
  stage_ = Stage::kBody;
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
      if (in->compare(0, 2, "\r\n") != 0) return Fail(400, "Bad Request: bad chunk");
      in->erase(0, 2);
      stage_ = Stage::kChunkSize;
    }
    size_t eol = in->find("\r\n");
    if (eol == std::string::npos)
      return in->size() > 1024 ? Fail(400, "Bad Request") : Result::kNeedMore;
    std::string line = in->substr(0, eol);
    in->erase(0, eol + 2);
    if (stage_ == Stage::kChunkTrailer) {
      if (line.empty()) {
        stage_ = Stage::kDone;
        return Result::kDone;
      }
      continue;
    }
    uint64_t size = 0;
    absl::string_view hex = line;
    hex = hex.substr(0, hex.find(';'));
    if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(hex), &size))
      return Fail(400, "Bad Request: bad chunk");
    if (req_.body.size() + size > limits_.max_body_bytes)
      return Fail(413, "Request Entity Too Large");
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
  scanned_ = 0;
  body_left_ = 0;
  return r;
}

}  // namespace etcdpp::server::http
