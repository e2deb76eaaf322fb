#pragma once
// The etcd v2 key space as a pure, deterministic library (etcd 3.4 etcdserver/api/v2store):
// a tree of directories and files with created/modified indexes and optional expiry, the
// operations of the v2 API with etcd's exact results and errors, the index that every
// mutation moves by one (etcd's CurrentIndex), an event history of 1000 events, watchers, and
// counters. Save/Recover carry the whole state in a Raft snapshot (format: snapshot_codec.h).
//
// Time is an input: each call that shows a TTL takes `now`, expiry times are absolute, and
// DeleteExpiredKeys(now) is the only thing that expires keys. Applying the same calls with the
// same arguments gives the same store, indexes and events on every member.
//
// Not thread-safe: one caller at a time (the server will serialise calls, e.g. on the applier
// thread). Watchers are notified synchronously, inside the mutation (watcher.h).
//
// Paths are cleaned as Go's path.Clean(path.Join("/", p)). As etcd, Get and Set show the path
// as given in the keys of the answer they build from an existing node (etcd's HTTP layer passes
// clean paths).

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/v2store/error.h"
#include "server/v2store/event.h"
#include "server/v2store/node.h"
#include "server/v2store/stats.h"
#include "server/v2store/watcher.h"

namespace etcdpp::server::v2store {

// The expiry a write asks for (etcd's TTLOptionSet).
struct TtlOptions {
  // Absolute; none: permanent. Times before 2000-01-01 mean permanent too (etcd: "expire times
  // that are way in the past" come from zero times serialised by JavaScript clients).
  std::optional<absl::Time> expire_time;
  // Change only the expiry: the value stays, and watchers are not told (the event enters the
  // history marked as a refresh, which watchers skip).
  bool refresh = false;
};

class Store {
 public:
  // A store whose root holds the read-only directories `namespaces` (etcd's server makes
  // "/0" and "/1"), created at index 0.
  explicit Store(const std::vector<std::string>& namespaces = {});
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // etcd's store version (2).
  static constexpr int kVersion = 2;

  uint64_t index() const { return current_index_; }

  // The node at `path`: a directory with its children (deep when `recursive`; `sorted` is
  // always honoured, see Node::Repr), or a file with its value.
  Result<Event> Get(std::string_view path, bool recursive, bool sorted, absl::Time now);
  // Creates or replaces the file (or creates the directory) at `path`, making missing
  // directories above it. A directory in the way: 102. With refresh: the file must exist and
  // keeps its value.
  Result<Event> Set(std::string_view path, bool dir, std::string_view value, const TtlOptions& ttl,
                    absl::Time now);
  // Creates `path`, which must not exist (105). `unique`: creates a new child of `path` named
  // by the next index, zero-padded to 20 digits (the v2 API's POST, in-order keys).
  Result<Event> Create(std::string_view path, bool dir, std::string_view value, bool unique,
                       const TtlOptions& ttl, absl::Time now);
  // Changes the value and expiry of an existing file, or the expiry of a directory (a
  // non-empty value for a directory: 102).
  Result<Event> Update(std::string_view path, std::string_view value, const TtlOptions& ttl,
                       absl::Time now);
  // Update of a file if its value is `prev_value` ("" : any) and its modifiedIndex is
  // `prev_index` (0: any); else 101 with the cause "[prev != cur]" for each mismatch.
  Result<Event> CompareAndSwap(std::string_view path, std::string_view prev_value,
                               uint64_t prev_index, std::string_view value, const TtlOptions& ttl,
                               absl::Time now);
  // Removes a file, an empty directory (`dir`) or a directory and everything under it
  // (`recursive`, which implies `dir`).
  Result<Event> Delete(std::string_view path, bool dir, bool recursive, absl::Time now);
  // Delete of a file under the same conditions as CompareAndSwap.
  Result<Event> CompareAndDelete(std::string_view path, std::string_view prev_value,
                                 uint64_t prev_index, absl::Time now);
  // Removes every node whose expiry is at or before `now`, oldest first, each with an
  // "expire" event at its own new index.
  void DeleteExpiredKeys(absl::Time now);
  bool HasTtlKeys() const { return !ttl_keys_.empty(); }
  // Whether a node exists at `path`, without counting a read (the server's own checks).
  bool Exists(std::string_view path) { return Lookup(CleanPath(path)).ok(); }

  // Watches `key` (below it too when `recursive`) for events at or after `since_index` (0:
  // from the next index). See watcher.h.
  Result<std::unique_ptr<Watcher>> Watch(std::string_view key, bool recursive, bool stream,
                                         uint64_t since_index);

  const Stats& stats() const { return stats_; }
  // /v2/stats/store's JSON.
  std::string StatsJson() const { return StatsToJson(stats_, hub_.count()); }

  // The whole state (nodes, expiries, index, event history, counters) for a Raft snapshot;
  // watchers are not part of it.
  std::string Save() const;
  // Replaces the state with a Save()'s; registered watchers stay. A malformed snapshot is an
  // error and leaves the store unchanged.
  [[nodiscard]] absl::Status Recover(std::string_view snapshot);

 private:
  friend class SnapshotCodec;

  Result<Node*> Lookup(const std::string& clean_path);
  // The file at `clean_path` if it passes the comparison (100, 102 or 101 otherwise).
  Result<Node*> CompareTarget(const std::string& clean_path, std::string_view prev_value,
                              uint64_t prev_index);
  Result<Node*> MakeParents(const std::string& dir_path);
  Result<Event> CreateNode(std::string_view path, bool dir, std::string_view value, bool unique,
                           bool replace, const TtlOptions& ttl, std::string_view action,
                           absl::Time now);
  Error ErrorAt(int code, std::string cause) const;
  bool ReadOnly(const std::string& clean_path) const;
  void SetExpiry(Node* n, std::optional<absl::Time> expire);
  // Removes `n` (and everything under it), telling the watchers of each removed path.
  void RemoveNode(Node* n, const Event& e);
  void Publish(Event& e, bool refresh);

  // Constant after construction.
  std::vector<std::string> read_only_;  // "/" and the namespaces, clean

  std::unique_ptr<Node> root_;
  uint64_t current_index_ = 0;
  // Invariant: holds (expire_time, path) of exactly the nodes with an expiry. The path breaks
  // ties, so that expiry order (and the indexes given) are the same on every member.
  std::set<std::pair<absl::Time, std::string>> ttl_keys_;
  Stats stats_;
  WatcherHub hub_;
};

}  // namespace etcdpp::server::v2store
