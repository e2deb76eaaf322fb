#include "server/snap/snapshotter.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "server/snap/snap_metrics.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

Snapshotter::Snapshotter(Options opts, Deps deps, uint64_t snapshot_index)
    : opts_(opts), deps_(std::move(deps)), snapshot_index_(snapshot_index) {}

absl::Status Snapshotter::fatal() const {
  MutexLock l(&mu_);
  return fatal_;
}

void Snapshotter::Fail(absl::Status st) {
  MutexLock l(&mu_);
  if (fatal_.ok()) fatal_ = std::move(st);
}

absl::Status Snapshotter::MaybeSnapshot(uint64_t applied) {
  if (opts_.snapshot_count == 0 || applied <= snapshot_index() + opts_.snapshot_count) {
    return absl::OkStatus();
  }
  absl::Status st = SnapshotAt(applied);
  if (!st.ok()) {
    SPDLOG_CRITICAL("failed to save the raft snapshot at index {}: {}", applied, st.ToString());
    MutexLock l(&mu_);
    if (fatal_.ok()) fatal_ = st;
  }
  return st;
}

absl::Status Snapshotter::SnapshotAt(uint64_t index) {
  absl::Time start = absl::Now();
  // The backend must durably hold everything up to the snapshot before the log behind it may
  // go: a restart replays the WAL only from the snapshot on.
  RETURN_NOT_OK_PREPEND(deps_.commit_backend(), "commit the backend");
  // Every applied entry moves the consistent index (applier.h), so after the commit the backend
  // proves it holds `index`; a snapshot above it would leave a member that cannot restart.
  if (const uint64_t durable = deps_.durable_index(); durable < index) {
    return absl::InternalError(absl::StrCat(
        "invariant violated: the backend's committed consistent index ", durable,
        " is below the applied index ", index, " at which a raft snapshot was to be taken"));
  }
  raft::ConfState cs = deps_.conf_state_at(index);
  absl::StatusOr<raft::Snapshot> snap = deps_.storage->CreateSnapshot(index, &cs, deps_.data());
  if (raft::IsSnapOutOfDate(snap.status())) return absl::OkStatus();  // a newer one is installed
  RETURN_NOT_OK(snap.status());
  // The file first, then the WAL marker: a marker always names a file that exists (a file
  // without its marker is skipped on restart).
  RETURN_NOT_OK_PREPEND(deps_.files->Save(*snap), "save the snapshot file");
  RETURN_NOT_OK_PREPEND(deps_.wal->SaveSnapshot({index, snap->metadata.term}),
                        "save the WAL snapshot marker");
  snapshot_index_.store(index, std::memory_order_release);
  if (deps_.on_saved) deps_.on_saved(index);
  snap_metrics::Saved(absl::Now() - start);
  SPDLOG_INFO("saved snapshot at index {} (term {})", index, snap->metadata.term);
  if (index > opts_.catchup_entries) {
    absl::Status st = deps_.storage->Compact(index - opts_.catchup_entries);
    if (!st.ok() && !raft::IsCompacted(st)) return st;
    if (st.ok()) SPDLOG_INFO("compacted raft logs at index {}", index - opts_.catchup_entries);
  }
  if (opts_.max_wals != 0) {  // 0: etcd's "unlimited", no WAL file is ever deleted
    RETURN_NOT_OK_PREPEND(deps_.wal->ReleaseLockTo(index, opts_.max_wals), "release WAL segments");
  }
  return deps_.files->Purge(opts_.max_snapshots);
}

}  // namespace etcdpp::server
