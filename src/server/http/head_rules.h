#pragma once
// The lexical rules of an HTTP/1.x request head as Go's net/http applies them (etcd 3.4's client
// port is Go 1.19's server; its textproto reader and the httpguts checks): how lines end and
// fold, what a token, a header value and a Host are, which versions parse. Pure functions.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace etcdpp::server::http {

// Splits a head (the bytes before the blank line) into lines. A line ends with "\r\n" or a bare
// "\n". lines[0] is the request line as sent; each later entry is one header field: trimmed of
// spaces, tabs and CRs at both ends, with obs-fold continuation lines (those starting with a
// space or tab) joined to it by one space. False when the first header line is itself a
// continuation (Go: "malformed MIME header initial line").
[[nodiscard]] bool SplitHeadLines(absl::string_view head, std::vector<std::string>* lines);

// One or more RFC 7230 tchars (httpguts.ValidHeaderFieldName; also what a method must be).
bool IsToken(absl::string_view s);
// No control byte but tab (httpguts.ValidHeaderFieldValue).
bool IsValidHeaderValue(absl::string_view v);
// Only bytes a host, an IPv6 literal, a zone or a port may hold (httpguts.ValidHostHeader).
bool IsValidHostHeader(absl::string_view h);
// `token` among the comma- or space-separated words of `v`, in any case (Go's hasToken and
// httpguts.HeaderValuesContainsToken).
bool HasToken(absl::string_view v, absl::string_view token);
// "HTTP/1.0", "HTTP/1.1", or any "HTTP/X.Y" with one digit each (Go's ParseHTTPVersion).
[[nodiscard]] bool ParseHttpVersion(absl::string_view v, int* major, int* minor);
// The path part of a request target ("/a?b" -> "/a", "http://h:1/a" -> "/a", "*" -> "*"), or
// false for a target Go's url.ParseRequestURI refuses (relative, empty, a control byte).
[[nodiscard]] bool RequestTargetPath(absl::string_view target, absl::string_view* path,
                                     absl::string_view* query);

}  // namespace etcdpp::server::http
