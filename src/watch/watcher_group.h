#pragma once
// WatcherGroup: a set of watchers indexed by what they watch (etcd's watcherGroup): single-key
// watchers in a hash map by key, range and from-key watchers in an interval index. Finding
// the watchers of a key costs one hash lookup plus a stabbing query, whatever the group size.
// Not thread-safe: the store's mutex guards every group.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "watch/interval_index.h"
#include "watch/watcher.h"

namespace etcdpp::watch {

class WatcherGroup {
 public:
  void Add(Watcher* w);
  // False if w is not in the group.
  bool Delete(Watcher* w);
  bool Contains(Watcher* w) const { return all_.contains(w); }
  size_t size() const { return all_.size(); }
  bool empty() const { return all_.empty(); }

  // Calls fn for every watcher whose range holds key (each watcher once).
  void ForEachMatching(std::string_view key, absl::FunctionRef<void(Watcher*)> fn) const;
  // Up to max watchers of the group.
  std::vector<Watcher*> Choose(size_t max) const;
  const absl::flat_hash_set<Watcher*>& watchers() const { return all_; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct StringEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };

  absl::flat_hash_map<std::string, absl::flat_hash_set<Watcher*>, StringHash, StringEq> by_key_;
  IntervalIndex<Watcher*> ranges_;
  absl::flat_hash_set<Watcher*> all_;
};

}  // namespace etcdpp::watch
