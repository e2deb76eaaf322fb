#include "server/http/head_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace etcdpp::server::http {
namespace {

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

// textproto's trim: spaces, tabs, CRs and LFs at both ends.
absl::string_view TrimField(absl::string_view s) {
  auto junk = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && junk(s.front())) s.remove_prefix(1);
  while (!s.empty() && junk(s.back())) s.remove_suffix(1);
  return s;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(c) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

// A URI scheme ("http"): a letter, then letters, digits, '+', '-' or '.'.
bool IsScheme(absl::string_view s) {
  if (s.empty() || !absl::ascii_isalpha(s[0])) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

bool SplitHeadLines(absl::string_view head, std::vector<std::string>* lines) {
  lines->clear();
  std::vector<absl::string_view> raw = absl::StrSplit(head, '\n');
  for (absl::string_view& l : raw) absl::ConsumeSuffix(&l, "\r");
  lines->emplace_back(raw[0]);
  if (raw.size() > 1 && !raw[1].empty() && IsSpaceOrTab(raw[1][0])) return false;
  for (size_t i = 1; i < raw.size(); ++i) {
    if (!raw[i].empty() && IsSpaceOrTab(raw[i][0])) {
      absl::StrAppend(&lines->back(), " ", TrimField(raw[i]));  // obs-fold
    } else {
      lines->emplace_back(TrimField(raw[i]));
    }
  }
  return true;
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsValidHeaderValue(absl::string_view v) {
  for (char c : v) {
    auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && c != '\t') || b == 0x7f) return false;
  }
  return true;
}

bool IsValidHostHeader(absl::string_view h) {
  for (char c : h) {
    if (!absl::ascii_isalnum(c) &&
        absl::string_view("!$%&()*+,-.:;=[]'_~").find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool HasToken(absl::string_view v, absl::string_view token) {
  for (absl::string_view word : absl::StrSplit(v, absl::ByAnyChar(", \t"), absl::SkipEmpty())) {
    if (absl::EqualsIgnoreCase(word, token)) return true;
  }
  return false;
}

bool ParseHttpVersion(absl::string_view v, int* major, int* minor) {
  if (v.size() != 8 || !absl::StartsWith(v, "HTTP/") || v[6] != '.' || !absl::ascii_isdigit(v[5]) ||
      !absl::ascii_isdigit(v[7])) {
    return false;
  }
  *major = v[5] - '0';
  *minor = v[7] - '0';
  return true;
}

bool RequestTargetPath(absl::string_view target, absl::string_view* path,
                       absl::string_view* query) {
  if (target.empty() || !IsValidHeaderValue(target) || absl::StrContains(target, '\t')) {
    return false;
  }
  if (target != "*" && target[0] != '/') {
    size_t colon = target.find(':');
    if (colon == absl::string_view::npos || !IsScheme(target.substr(0, colon))) return false;
    target.remove_prefix(colon + 1);
    if (absl::ConsumePrefix(&target, "//")) {  // the authority; the path starts at its end
      size_t slash = target.find_first_of("/?");
      target.remove_prefix(slash == absl::string_view::npos ? target.size() : slash);
    } else {
      target = target.substr(std::min(target.find('?'), target.size()));  // opaque: no path
    }
  }
  std::pair<absl::string_view, absl::string_view> p =
      absl::StrSplit(target, absl::MaxSplits('?', 1));
  *path = p.first;
  *query = p.second;
  return true;
}

}  // namespace etcdpp::server::http
