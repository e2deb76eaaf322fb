#include "server/v2http/form.h"

#include "absl/strings/ascii.h"
#include "server/v2store/node.h"

namespace etcdpp::server::v2http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's unescape in query or path mode; on a bad escape, sets *bad to Go's EscapeError text.
std::optional<std::string> Unescape(std::string_view s, bool query, std::string* bad) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || HexValue(s[i + 1]) < 0 || HexValue(s[i + 2]) < 0) {
        *bad = "invalid URL escape \"" + std::string(s.substr(i, 3)) + "\"";
        return std::nullopt;
      }
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else if (s[i] == '+' && query) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

absl::Status ParseQueryInto(std::string_view query, Form* form) {
  absl::Status first;
  auto fail = [&first](std::string msg) {
    if (first.ok()) first = absl::InvalidArgumentError(std::move(msg));
  };
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos) {
      fail("invalid semicolon separator in query");
      continue;
    }
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string bad;
    std::optional<std::string> key = Unescape(pair.substr(0, eq), true, &bad);
    std::optional<std::string> value =
        eq == std::string_view::npos ? std::string() : Unescape(pair.substr(eq + 1), true, &bad);
    if (!key.has_value() || !value.has_value()) {
      fail(bad);
      continue;
    }
    (*form)[*key].push_back(*value);
  }
  return first;
}

absl::Status ParseRequestForm(const http::Request& req, Form* form) {
  absl::Status first;
  if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    std::string ct = req.Header("content-type");
    ct = absl::AsciiStrToLower(absl::StripAsciiWhitespace(ct.substr(0, ct.find(';'))));
    if (ct == "application/x-www-form-urlencoded") first = ParseQueryInto(req.body, form);
  }
  Form query;
  absl::Status q = ParseQueryInto(req.query, &query);
  if (first.ok()) first = q;
  for (auto& [k, vs] : query) {
    std::vector<std::string>& to = (*form)[k];
    to.insert(to.end(), vs.begin(), vs.end());
  }
  return first;
}

std::optional<std::string> PathUnescape(std::string_view s) {
  std::string bad;
  return Unescape(s, false, &bad);
}

std::string CleanUrlPath(std::string_view p) {
  if (p.empty()) return "/";
  std::string np = v2store::CleanPath(p);
  if (p.back() == '/' && np != "/") np += '/';
  return np;
}

std::string FormValue(const Form& f, const std::string& key) {
  auto it = f.find(key);
  return it == f.end() || it->second.empty() ? std::string() : it->second[0];
}

}  // namespace etcdpp::server::v2http
