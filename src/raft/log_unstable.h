#pragma once
// Unstable: the tail of the raft log (and possibly an incoming snapshot) that the caller has not
// persisted yet (etcd-io/raft log_unstable.go). It goes out in Ready and is dropped by StableTo.

#include <cstdint>
#include <optional>
#include <vector>

#include "raft/types.h"

namespace etcdpp::raft {

class Unstable {
 public:
  // Index of the first entry if only a snapshot is unstable.
  std::optional<uint64_t> MaybeFirstIndex() const;
  // Last index of the unstable entries or snapshot, if any.
  std::optional<uint64_t> MaybeLastIndex() const;
  std::optional<uint64_t> MaybeTerm(uint64_t i) const;

  // Entries up to (i, t) are persisted: drop them (only if the term still matches).
  void StableTo(uint64_t i, uint64_t t);
  void StableSnapTo(uint64_t i);
  void Restore(const Snapshot& snap);
  void TruncateAndAppend(const std::vector<Entry>& ents);
  // Unstable entries in [lo, hi); the range must lie within [offset, offset + size].
  std::vector<Entry> Slice(uint64_t lo, uint64_t hi) const;

  const std::vector<Entry>& entries() const { return entries_; }
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t offset) { offset_ = offset; }

 private:
  std::optional<Snapshot> snapshot_;
  std::vector<Entry> entries_;
  // Invariant: entries_[i] has index offset_ + i.
  uint64_t offset_ = 0;
};

}  // namespace etcdpp::raft
