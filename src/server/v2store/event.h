#pragma once
// What the v2 store answers and what watchers receive: an Event (action, node, prevNode) over
// NodeExtern, the outside view of a node (etcd 3.4 v2store/event.go and node_extern.go), and
// their JSON exactly as etcd's v2 HTTP API writes it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace etcdpp::server::v2store {

// Event actions (etcd's strings).
inline constexpr std::string_view kActionGet = "get";
inline constexpr std::string_view kActionCreate = "create";
inline constexpr std::string_view kActionSet = "set";
inline constexpr std::string_view kActionUpdate = "update";
inline constexpr std::string_view kActionDelete = "delete";
inline constexpr std::string_view kActionCompareAndSwap = "compareAndSwap";
inline constexpr std::string_view kActionCompareAndDelete = "compareAndDelete";
inline constexpr std::string_view kActionExpire = "expire";

// A node as answers show it. JSON omits each field at its zero value (Go's omitempty): key "",
// no value, dir false, no expiration, ttl 0, no nodes, index 0. An empty value "" is written.
struct NodeExtern {
  std::string key;
  std::optional<std::string> value;  // files only
  bool dir = false;
  std::optional<absl::Time> expiration;  // UTC; set for nodes with a TTL
  int64_t ttl = 0;                       // seconds left, rounded up; may be <= 0 once expired
  std::vector<NodeExtern> nodes;         // listed children (Get of a directory)
  uint64_t modified_index = 0;
  uint64_t created_index = 0;

  bool operator==(const NodeExtern&) const = default;
};

struct Event {
  std::string action;
  std::optional<NodeExtern> node;
  std::optional<NodeExtern> prev_node;
  // The store index when the event was made or, for an event a watcher found in the history,
  // when the watch began (the HTTP layer's X-Etcd-Index). Not part of the JSON.
  uint64_t etcd_index = 0;
  // A TTL refresh: kept in the history but skipped by watchers. Not part of the JSON: etcd's
  // HTTP layer writes a clone of the event, which drops the flag.
  bool refresh = false;

  // The index the event happened at (its node's modifiedIndex).
  uint64_t index() const { return node ? node->modified_index : 0; }
  bool operator==(const Event&) const = default;
};

// Go's RFC 3339 form of a time.Time in UTC with trailing zeros of the nanoseconds dropped
// (time.RFC3339Nano, what encoding/json writes): "2026-12-07T04:05:40.79002516Z".
std::string GoRfc3339Nano(absl::Time t);

// etcd's TTL of a node expiring at `expire`, seen at `now`: the seconds left rounded up
// (toward zero once past: Go's integer division).
int64_t TtlSeconds(absl::Time expire, absl::Time now);

// JSON as etcd's v2 API writes them (field order key, value, dir, expiration, ttl, nodes,
// modifiedIndex, createdIndex; Go's HTML-safe string escapes). No trailing newline.
std::string NodeToJson(const NodeExtern& n);
std::string EventToJson(const Event& e);

}  // namespace etcdpp::server::v2store
