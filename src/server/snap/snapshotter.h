#pragma once
// Snapshotter: takes the member's raft snapshots (etcd's triggerSnapshot). After every
// --snapshot-count applied entries it records a snapshot at the applied index: the backend is
// committed first (its consistent index then covers the snapshot), the metadata (index, term,
// ConfState at that index) and data go to member/snap/<term>-<index>.snap, a snapshot marker
// to the WAL; then the in-memory raft log is compacted, keeping `catchup_entries` behind the
// snapshot for slow followers, WAL segments wholly below the snapshot are deleted (keeping at
// least --max-wals; none with --max-wals=0) and old .snap files beyond --max-snapshots are
// purged. The backend's committed consistent index must cover the snapshot's index (checked).
//
// Runs on the applier thread (the only writer of the backend), between two applied batches.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "common/mutex.h"
#include "raft/storage.h"
#include "server/snap/snap_files.h"
#include "wal/wal.h"

namespace etcdpp::server {

class Snapshotter {
 public:
  struct Options {
    uint64_t snapshot_count = 100000;
    uint64_t catchup_entries = 5000;
    size_t max_snapshots = 5;
    size_t max_wals = 5;  // 0: unlimited (no WAL file is deleted), as etcd's --max-wals=0
  };
  struct Deps {
    raft::MemoryStorage* storage = nullptr;  // not owned
    wal::Wal* wal = nullptr;                 // not owned
    SnapFiles* files = nullptr;              // not owned
    std::function<absl::Status()> commit_backend;
    // The consistent index the backend holds durably once commit_backend returned.
    std::function<uint64_t()> durable_index;
    std::function<raft::ConfState(uint64_t index)> conf_state_at;
    std::function<std::string()> data;             // the snapshot's data (the member list)
    std::function<void(uint64_t index)> on_saved;  // after a snapshot at `index` is durable
  };

  // `snapshot_index`: the newest snapshot the member has (0: none).
  Snapshotter(Options opts, Deps deps, uint64_t snapshot_index);

  // Applier thread, after each applied batch: snapshots once `applied` is snapshot_count past
  // the last snapshot. An error is fatal for the member (also kept in fatal()).
  [[nodiscard]] absl::Status MaybeSnapshot(uint64_t applied);
  // Takes a snapshot at applied index `index` now.
  [[nodiscard]] absl::Status SnapshotAt(uint64_t index);
  // A snapshot received from the leader was installed at `index`.
  void Installed(uint64_t index) { snapshot_index_.store(index, std::memory_order_release); }

  uint64_t snapshot_index() const { return snapshot_index_.load(std::memory_order_acquire); }
  [[nodiscard]] absl::Status fatal() const;
  // Records a fatal snapshot error found elsewhere (installing a received snapshot).
  void Fail(absl::Status st);

 private:
  const Options opts_;
  const Deps deps_;
  std::atomic<uint64_t> snapshot_index_;

  mutable Mutex mu_;
  absl::Status fatal_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server
