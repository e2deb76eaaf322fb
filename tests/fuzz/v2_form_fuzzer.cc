// Fuzzes the v2 API's form and path decoding (src/server/v2http/form.h): the input is split at
// its first newline into a query string and a form body, parsed as a PUT with a form content
// type is (ParseRequestForm), and the query is also read as a key path (PathUnescape,
// CleanUrlPath) as /v2/keys does. Any bytes give values or Go's error, never a crash; a cleaned
// path is rooted and cleaning it again changes nothing.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "server/http/request.h"
#include "server/v2http/form.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace v2 = etcdpp::server::v2http;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  etcdpp::server::http::Request req;
  req.method = "PUT";
  req.query = std::string(in.substr(0, nl));
  req.body = nl == std::string_view::npos ? "" : std::string(in.substr(nl + 1));
  req.headers.emplace_back("content-type", "application/x-www-form-urlencoded; charset=utf-8");
  v2::Form form;
  (void)v2::ParseRequestForm(req, &form);
  for (const auto& [key, values] : form) (void)v2::FormValue(form, key);

  std::optional<std::string> path = v2::PathUnescape(req.query);
  const std::string cleaned = v2::CleanUrlPath(path.has_value() ? *path : req.query);
  if (cleaned.empty() || cleaned[0] != '/' || v2::CleanUrlPath(cleaned) != cleaned) std::abort();
  return 0;
}
