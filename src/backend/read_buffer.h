#pragma once
// ReadBuffer: values staged by the writer but not yet committed to LMDB, so that readers see
// every applied write immediately (etcd's txReadBuffer). Two generations per bucket:
//
//   pending     receives the writer's puts and deletes;
//   committing  the batch the commit thread is writing; immutable while it is being written.
//
// A commit moves pending to committing (StartCommit), writes committing into an LMDB write
// transaction, and clears it only after mdb_txn_commit returned (FinishCommit). A reader
// therefore looks here first and, on a miss, in an LMDB read transaction it begins *after* the
// miss: whatever left the buffer is already committed, so nothing is ever missed.
//
// Deletes are kept as entries without a value, hiding the committed value until committed.

#include <array>
#include <atomic>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"
#include "backend/rw_mutex.h"
#include "backend/schema.h"

namespace etcdpp::backend {

class ReadBuffer {
 public:
  // Transparent ordering for std::string_view lookups (Debian's absl::string_view is not
  // std::string_view, so the btree's own string comparator does not take it).
  struct Less {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a < b; }
  };
  // nullopt marks a staged delete.
  using Map = absl::btree_map<std::string, std::optional<std::string>, Less>;
  using Maps = std::array<Map, kNumBuckets>;
  enum class Lookup { kMissing, kDeleted, kFound };

  ReadBuffer() = default;
  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;

  // Writer side.
  void Put(Bucket b, std::string_view key, std::string value);
  void Delete(Bucket b, std::string_view key);
  // Number of staged puts/deletes since the last StartCommit.
  size_t PendingOps() const;

  // Commit thread side (one committer at a time). StartCommit moves pending to committing and
  // returns it (stable until FinishCommit), or nullptr if nothing is pending.
  const Maps* StartCommit();
  void FinishCommit();

  // Reader side. Looks `key` up; on kFound calls fn(value) while the buffer is read-locked.
  Lookup Get(Bucket b, std::string_view key, absl::FunctionRef<void(std::string_view)> fn) const;
  // As Get for many keys under one lock; found[i] / deleted[i] are set for key i.
  void GetMany(Bucket b, const std::vector<std::string>& keys, std::vector<Lookup>* result,
               absl::FunctionRef<void(size_t, std::string_view)> fn) const;
  // Copies the entries with from <= key < to (to "" = no upper bound), newest generation wins.
  std::vector<std::pair<std::string, std::optional<std::string>>> CopyRange(
      Bucket b, std::string_view from, std::string_view to) const;

 private:
  Lookup GetLocked(Bucket b, std::string_view key,
                   absl::FunctionRef<void(std::string_view)> fn) const;

  mutable RwMutex mu_;  // exclusive: Put/Delete/StartCommit/FinishCommit
  Maps pending_;        // guarded by mu_
  Maps committing_;     // written under mu_ (exclusive); read by the committer freely
  std::atomic<size_t> pending_ops_{0};
};

}  // namespace etcdpp::backend
