#pragma once
// Index: the in-memory key index, an ordered map key -> KeyIndex (etcd's treeIndex).
//
// Thread safety: one writer (the applier: Put, Tombstone, Compact, Restore) and any number of
// readers. Every method takes the index's reader/writer lock for its own duration only.
//
// Range arguments: end "" = the single key `key`; end "\0" (one zero byte) = every key >= key;
// otherwise [key, end).

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"
#include "backend/rw_mutex.h"
#include "mvcc/key_index.h"

namespace etcdpp::mvcc {

class Index {
 public:
  struct KeyRev {
    std::string key;
    Revision rev;
  };

  std::optional<KeyIndex::Found> Get(std::string_view key, int64_t at_rev) const;
  // The revisions of the keys live at at_rev in the range, in key order; at most `limit`
  // (0 = all) are returned, and *count (if given) receives the number of live keys in range.
  std::vector<Revision> Revisions(std::string_view key, std::string_view end, int64_t at_rev,
                                  int64_t limit, int64_t* count) const;
  // Number of keys live at at_rev in the range.
  int64_t CountRevisions(std::string_view key, std::string_view end, int64_t at_rev) const;
  // Keys and revisions live at at_rev in the range (DeleteRange).
  std::vector<KeyRev> Range(std::string_view key, std::string_view end, int64_t at_rev) const;

  void Put(std::string_view key, Revision rev);
  // False if the key is not live (nothing changes).
  bool Tombstone(std::string_view key, Revision rev);
  // Restart: see KeyIndex::Put / Tombstone / Restore. RestoreRevision adds a stored revision.
  void RestoreRevision(std::string_view key, Revision rev, bool tombstone, Revision created,
                       int64_t version);

  // Compacts every key at rev; returns the revisions <= rev that must stay in the backend.
  RevisionSet Compact(int64_t rev);
  // What Compact(rev) would keep, changing nothing.
  RevisionSet Keep(int64_t rev) const;

  // Exchanges the contents with `other` (a member installing a raft snapshot swaps in a fresh
  // index at once, so readers never see a half-built one). `other` must be private to the caller.
  void Swap(Index* other);

  size_t KeyCountForTest() const;

 private:
  struct Less {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a < b; }
  };
  using Tree = absl::btree_map<std::string, KeyIndex, Less>;

  // Calls fn for each KeyIndex in range; fn returns false to stop. Requires mu_ held.
  void VisitLocked(std::string_view key, std::string_view end,
                   absl::FunctionRef<bool(const std::string&, const KeyIndex&)> fn) const;

  mutable backend::RwMutex mu_;  // writer-preferring: the applier must not starve
  Tree tree_;                    // guarded by mu_
};

}  // namespace etcdpp::mvcc
