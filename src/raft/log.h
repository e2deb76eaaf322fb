#pragma once
// RaftLog: the log as the raft core sees it -- stable entries behind Storage, followed by the
// unstable tail -- with the commit and applied cursors (etcd-io/raft log.go).
//
//   snapshot/first.....applied....committed....stable last....unstable last
//   |<- Storage ----------------------------------->|<- Unstable -->|

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "raft/log_unstable.h"
#include "raft/storage.h"
#include "raft/types.h"

namespace etcdpp::raft {

class RaftLog {
 public:
  // `storage` is not owned and must outlive the log. The log starts with committed = applied =
  // FirstIndex()-1 (the snapshot index); the caller then restores its HardState.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RaftLog>> Open(Storage* storage,
                                                                     uint64_t max_next_ents_size);

  // Appends ents after (index, log_term) if that entry matches: returns the last new index, or
  // nullopt if it does not match. Commits up to min(committed, last new index).
  std::optional<uint64_t> MaybeAppend(uint64_t index, uint64_t log_term, uint64_t committed,
                                      const std::vector<Entry>& ents);
  // Appends ents to the unstable tail, truncating a conflicting suffix; returns the last index.
  uint64_t Append(const std::vector<Entry>& ents);
  // Index of the first entry of ents that conflicts with (or is beyond) the log; 0 if none.
  uint64_t FindConflict(const std::vector<Entry>& ents) const;
  // The largest index <= index whose term is <= term (for fast back-off on rejection), and its
  // term.
  std::pair<uint64_t, uint64_t> FindConflictByTerm(uint64_t index, uint64_t term) const;

  std::vector<Entry> UnstableEntries() const { return unstable_.entries(); }
  // Committed entries not yet applied, at most max_next_ents_size bytes.
  std::vector<Entry> NextEnts() const;
  bool HasNextEnts() const;
  bool HasPendingSnapshot() const { return unstable_.snapshot().has_value(); }
  // The unstable snapshot if any, else Storage's.
  [[nodiscard]] absl::StatusOr<Snapshot> GetSnapshot() const;

  uint64_t FirstIndex() const;
  uint64_t LastIndex() const;
  uint64_t LastTerm() const;
  // Term of entry i; 0 (not an error) outside [FirstIndex()-1, LastIndex()], Compacted if the
  // storage compacted it.
  [[nodiscard]] absl::StatusOr<uint64_t> Term(uint64_t i) const;
  // Term of i, with 0 for any error (etcd's zeroTermOnErrCompacted for the compacted case).
  uint64_t TermOrZero(uint64_t i) const;
  bool MatchTerm(uint64_t i, uint64_t term) const;
  // Entries from i to the end, at most max_size bytes (at least one).
  [[nodiscard]] absl::StatusOr<std::vector<Entry>> EntriesFrom(uint64_t i, uint64_t max_size) const;
  // Entries in [lo, hi), at most max_size bytes (at least one).
  [[nodiscard]] absl::StatusOr<std::vector<Entry>> Slice(uint64_t lo, uint64_t hi,
                                                         uint64_t max_size) const;
  std::vector<Entry> AllEntries() const;  // for tests
  // Raft §5.4.1: a candidate's log (last_term, last_index) is at least as up-to-date as ours.
  bool IsUpToDate(uint64_t last_index, uint64_t term) const;

  void CommitTo(uint64_t to_commit);
  // Commits max_index if its term is `term` (a leader commits only entries of its own term).
  bool MaybeCommit(uint64_t max_index, uint64_t term);
  void AppliedTo(uint64_t i);
  void StableTo(uint64_t i, uint64_t t) { unstable_.StableTo(i, t); }
  void StableSnapTo(uint64_t i) { unstable_.StableSnapTo(i); }
  void Restore(const Snapshot& snap);

  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }
  const Unstable& unstable() const { return unstable_; }

 private:
  explicit RaftLog(Storage* storage, uint64_t max_next_ents_size)
      : storage_(storage), max_next_ents_size_(max_next_ents_size) {}
  // Aborts unless FirstIndex() <= lo <= hi <= LastIndex()+1; Compacted if lo is compacted.
  [[nodiscard]] absl::Status MustCheckOutOfBounds(uint64_t lo, uint64_t hi) const;

  Storage* const storage_;  // not owned
  const uint64_t max_next_ents_size_;
  Unstable unstable_;
  // Invariant: applied_ <= committed_ <= LastIndex().
  uint64_t committed_ = 0;
  uint64_t applied_ = 0;
};

}  // namespace etcdpp::raft
