#pragma once
// The v2 keys API's answers as go.etcd.io/etcd/client decodes them (Response, Node, Error) and
// as etcdctl's v2 commands print them (printResponseKey's simple, extended and json formats,
// ls's listing). Pure functions: the commands feed them the bodies the server sent.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etcdpp::v2client {

struct Node {
  std::string key;
  bool dir = false;
  std::string value;
  bool has_nodes = false;  // "nodes" present and not null (Go keeps [] and null apart)
  std::vector<Node> nodes;
  uint64_t created_index = 0;
  uint64_t modified_index = 0;
  std::string expiration;  // RFC 3339 as sent, "" if none
  int64_t ttl = 0;
};

struct Response {
  std::string action;
  std::optional<Node> node;
  std::optional<Node> prev_node;
  uint64_t index = 0;  // X-Etcd-Index
};

// etcd's v2 error body ({"errorCode":100,"message":...,"cause":...,"index":5}).
struct KeysError {
  int code = 0;
  std::string message;
  std::string cause;
  uint64_t index = 0;
  // client.Error.Error(): "100: Key not found (/foo) [5]".
  std::string Text() const;
};

// A successful body (the X-Etcd-Index header value is given separately). Errors are the Go
// client's texts ("client: response is invalid json. The endpoint is probably not valid etcd
// cluster endpoint.").
absl::StatusOr<Response> ParseResponse(const std::string& body, const std::string& etcd_index);
absl::StatusOr<KeysError> ParseKeysError(const std::string& body);

// Go's json.Marshal(resp) (the json format).
std::string ResponseJson(const Response& resp);

// printResponseKey: the stdout text of resp in `format` ("simple", "extended", "json"); an
// unknown format gives nullopt (the caller prints "Unsupported output format: F" on stderr).
std::optional<std::string> FormatResponse(const Response& resp, const std::string& format);

// ls's simple listing: the key of a file, then every node below (recursively as returned),
// directories with a trailing '/' when slash_dirs (-p).
std::string FormatLs(const Response& resp, bool slash_dirs);

}  // namespace etcdpp::v2client
