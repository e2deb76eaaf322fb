#pragma once
// The v2 store's tree: directories and files under the root "/" (etcd 3.4 v2store/node.go).
// A node knows its full path, its indexes, its optional expiry and either a value (file) or
// children (directory). Names starting with "_" are hidden: listings leave them out.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "server/v2store/event.h"

namespace etcdpp::server::v2store {

// path.Clean(path.Join("/", p)) of Go: rooted, no "//", ".", ".." or trailing "/".
std::string CleanPath(std::string_view p);
// The last element of a clean path ("" for "/").
std::string_view BaseName(std::string_view clean_path);

struct Node {
  // Invariant: path is clean, and equals the parent's path joined with this node's name.
  std::string path;
  uint64_t created_index = 0;
  // Invariant: >= created_index. A directory's stays at created_index: etcd writes no value
  // into a directory, so an update of its TTL leaves it (the event shows the new index).
  uint64_t modified_index = 0;
  std::optional<absl::Time> expire_time;  // none: permanent
  bool dir = false;
  std::string value;                                      // files only
  std::map<std::string, std::unique_ptr<Node>> children;  // directories only, by name
  Node* parent = nullptr;                                 // none for the root; owns this node

  bool hidden() const { return BaseName(path).starts_with('_'); }

  // The outside view: files with their value; directories, when `recursive`, with their
  // children that are not hidden, deep. Children come in name order, which is the key order
  // etcd's `sorted` asks for (etcd's unsorted order is Go's random map order: any order will
  // do, and ours is this one). TTLs are seen at `now`.
  NodeExtern Repr(bool recursive, absl::Time now) const;
  // Fills `out` as etcd's Get does: a directory lists its children one level deep (deeper
  // when `recursive`), a file gives its value; then expiration and TTL.
  void LoadInto(NodeExtern* out, bool recursive, absl::Time now) const;
  // Sets out->expiration and out->ttl from expire_time as seen at `now`.
  void LoadExpiry(NodeExtern* out, absl::Time now) const;
};

}  // namespace etcdpp::server::v2store
