#pragma once
// Storage: the read-only view the Raft core has of stable storage (etcd-io/raft storage.go), and
// MemoryStorage, the in-memory implementation the server fills from its WAL and appends to
// after each Ready.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "raft/types.h"

namespace etcdpp::raft {

// Storage errors the core reacts to (etcd's ErrCompacted, ErrSnapOutOfDate, ErrUnavailable,
// ErrSnapshotTemporarilyUnavailable).
// Storage's errors; recognised by their ids (common/error_id.h), never by their text.
inline constexpr char kCompactedId[] = "raft:compacted";
inline constexpr char kSnapOutOfDateId[] = "raft:snap-out-of-date";
inline constexpr char kUnavailableId[] = "raft:unavailable";
inline constexpr char kSnapshotTemporarilyUnavailableId[] = "raft:snapshot-temporarily-unavailable";
[[nodiscard]] absl::Status CompactedError();
[[nodiscard]] absl::Status SnapOutOfDateError();
[[nodiscard]] absl::Status UnavailableError();
[[nodiscard]] absl::Status SnapshotTemporarilyUnavailableError();
bool IsCompacted(const absl::Status& s);
bool IsSnapOutOfDate(const absl::Status& s);
// Call it qualified (raft::IsUnavailable): unqualified, ADL also finds absl::IsUnavailable.
bool IsUnavailable(const absl::Status& s);
bool IsSnapshotTemporarilyUnavailable(const absl::Status& s);

class Storage {
 public:
  virtual ~Storage() = default;
  // The persisted HardState and the ConfState of the latest snapshot (or bootstrap).
  [[nodiscard]] virtual absl::Status InitialState(HardState* hs, ConfState* cs) const = 0;
  // Entries in [lo, hi), at least one if any exist, at most max_size bytes of data otherwise.
  // Compacted below FirstIndex(); Unavailable above LastIndex().
  [[nodiscard]] virtual absl::StatusOr<std::vector<Entry>> Entries(uint64_t lo, uint64_t hi,
                                                                   uint64_t max_size) const = 0;
  // Term of entry i, for i in [FirstIndex()-1, LastIndex()].
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Term(uint64_t i) const = 0;
  [[nodiscard]] virtual absl::StatusOr<uint64_t> LastIndex() const = 0;
  // Index of the first entry that may be available through Entries (older ones are compacted).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> FirstIndex() const = 0;
  // The most recent snapshot; SnapshotTemporarilyUnavailable if it is being made.
  [[nodiscard]] virtual absl::StatusOr<Snapshot> GetSnapshot() const = 0;
};

// Thread-safe: the node loop appends while the raft core reads (under the caller's sequencing).
class MemoryStorage : public Storage {
 public:
  MemoryStorage();

  [[nodiscard]] absl::Status InitialState(HardState* hs, ConfState* cs) const override;
  [[nodiscard]] absl::StatusOr<std::vector<Entry>> Entries(uint64_t lo, uint64_t hi,
                                                           uint64_t max_size) const override;
  [[nodiscard]] absl::StatusOr<uint64_t> Term(uint64_t i) const override;
  [[nodiscard]] absl::StatusOr<uint64_t> LastIndex() const override;
  [[nodiscard]] absl::StatusOr<uint64_t> FirstIndex() const override;
  [[nodiscard]] absl::StatusOr<Snapshot> GetSnapshot() const override;

  [[nodiscard]] absl::Status SetHardState(const HardState& hs);
  // Replaces the contents with the snapshot; SnapOutOfDate if it is older than the current one.
  [[nodiscard]] absl::Status ApplySnapshot(const Snapshot& snap);
  // Makes a snapshot at applied index i (<= LastIndex) carrying `data`; cs replaces the
  // ConfState when not null.
  [[nodiscard]] absl::StatusOr<Snapshot> CreateSnapshot(uint64_t i, const ConfState* cs,
                                                        std::string data);
  // Discards entries before compact_index; it must be <= LastIndex.
  [[nodiscard]] absl::Status Compact(uint64_t compact_index);
  // Appends entries, which must be contiguous; a conflicting suffix of the log is truncated.
  [[nodiscard]] absl::Status Append(const std::vector<Entry>& entries);

 private:
  uint64_t FirstIndexLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t LastIndexLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  HardState hard_state_ ABSL_GUARDED_BY(mu_);
  Snapshot snapshot_ ABSL_GUARDED_BY(mu_);
  // Invariant: ents_[0] is a dummy entry at snapshot_.metadata.{index,term}; ents_[i] has index
  // ents_[0].index + i.
  std::vector<Entry> ents_ ABSL_GUARDED_BY(mu_);
};

// Limits `ents` to the longest prefix of at most max_size bytes of data (at least one entry).
void LimitSize(std::vector<Entry>* ents, uint64_t max_size);
uint64_t EntrySize(const Entry& e);

}  // namespace etcdpp::raft
