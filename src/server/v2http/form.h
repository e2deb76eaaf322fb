#pragma once
// The request values of the v2 API as Go's net/http reads them (Request.ParseForm and
// url.ParseQuery, Go 1.19): the body of a POST or PUT with Content-Type
// application/x-www-form-urlencoded first, then the query; "+" is a space; a malformed escape
// or a ";" separator is an error with Go's message ("invalid URL escape \"%zz\"", "invalid
// semicolon separator in query"), the values that parsed are kept (common/go_text.h reads
// them as strconv does).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "server/http/request.h"

namespace etcdpp::server::v2http {

using Form = std::map<std::string, std::vector<std::string>>;

// Appends the pairs of `query` to `form`; the first error, or OK.
absl::Status ParseQueryInto(std::string_view query, Form* form);
// r.ParseForm(): the body values (POST, PUT), then the query's. The first error, or OK.
absl::Status ParseRequestForm(const http::Request& req, Form* form);
// Go's url.PathUnescape; nullopt for a malformed escape.
std::optional<std::string> PathUnescape(std::string_view s);
// net/http's cleanPath: rooted, path.Clean'd, a trailing "/" kept.
std::string CleanUrlPath(std::string_view p);

// r.FormValue(key): the first value, or "".
std::string FormValue(const Form& f, const std::string& key);
inline bool Has(const Form& f, const std::string& key) { return f.count(key) > 0; }

}  // namespace etcdpp::server::v2http
