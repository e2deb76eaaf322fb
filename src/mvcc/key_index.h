#pragma once
// KeyIndex: the revisions of one key, grouped into generations (etcd's keyIndex).
//
// A generation runs from a key's creation to its deletion: a put appends a revision to the
// current generation; a tombstone (delete) appends its revision and closes the generation by
// starting a new, empty one. `ver` counts the revisions of a generation.
//
// Example (etcd's): put(1.0); put(2.0); tombstone(3.0); put(4.0); tombstone(5.0) on key "foo":
//
//   generations:
//     {empty}
//     {4.0, 5.0(t)}
//     {1.0, 2.0, 3.0(t)}
//
// Compaction removes every revision below the compact revision except the newest one, so that
// reads at the compact revision still work; a generation whose newest remaining revision is its
// tombstone is removed entirely; a KeyIndex left with one empty generation is removed from the
// index. For the key above:
//
//   compact(2): {empty} {4.0, 5.0(t)} {2.0, 3.0(t)}
//   compact(4): {empty} {4.0, 5.0(t)}
//   compact(5): {empty}                 -> the key is removed
//   compact(6): {empty}                 -> the key is removed
//
// Invariant: revisions strictly increase across and within generations; every generation but
// the last ends with a tombstone; only the last generation may be empty.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "mvcc/revision.h"

namespace etcdpp::mvcc {

using RevisionSet = absl::flat_hash_set<Revision>;

struct Generation {
  int64_t ver = 0;   // number of revisions put into this generation since creation
  Revision created;  // when the generation was created (first put)
  std::vector<Revision> revs;
  bool IsEmpty() const { return revs.empty(); }
};

class KeyIndex {
 public:
  struct Found {
    Revision modified;
    Revision created;
    int64_t version = 0;
  };

  // Adds a put at `rev`, which must exceed every revision so far.
  void Put(Revision rev);
  // Adds a deletion at `rev` and starts a new generation. Returns false (and changes nothing)
  // when the key has no live generation.
  bool Tombstone(Revision rev);
  // Recreates a generation from a stored value: created at `created`, modified at `modified`,
  // `ver` revisions so far (restart after compaction dropped the earlier revisions).
  void Restore(Revision created, Revision modified, int64_t ver);

  // The newest revision <= at_rev of the generation live at at_rev, or nullopt if the key did
  // not exist at at_rev.
  std::optional<Found> Get(int64_t at_rev) const;
  // Revisions with main >= rev, one per main revision (the highest sub), for watch catch-up.
  std::vector<Revision> Since(int64_t rev) const;

  // Compacts at at_rev and adds the revisions that must be kept to *available.
  void Compact(int64_t at_rev, RevisionSet* available);
  // Adds to *available what Compact(at_rev) would keep, changing nothing.
  void Keep(int64_t at_rev, RevisionSet* available) const;

  bool IsEmpty() const;
  Revision modified() const { return modified_; }
  const std::vector<Generation>& generations() const { return generations_; }

 private:
  const Generation* FindGeneration(int64_t rev) const;
  // Walks the generations as compaction does; returns (generation index, revision index).
  std::pair<size_t, int> DoCompact(int64_t at_rev, RevisionSet* available) const;

  Revision modified_;  // the newest revision of the key
  std::vector<Generation> generations_;
};

}  // namespace etcdpp::mvcc
