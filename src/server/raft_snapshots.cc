#include "server/raft_snapshots.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/failpoint.h"
#include "common/status.h"
#include "server/metrics/metrics.h"
#include "server/snap/snap_metrics.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

RaftSnapshots::RaftSnapshots(Deps d) : d_(std::move(d)) {
  Stores* st = d_.stores;
  const Config& cfg = *d_.cfg;
  Snapshotter::Options o;
  o.snapshot_count = cfg.snapshot_count == 0 ? 100000 : cfg.snapshot_count;  // as etcd
  o.catchup_entries = cfg.snapshot_catchup_entries;
  o.max_snapshots = cfg.max_snapshots;
  o.max_wals = cfg.max_wals;
  Snapshotter::Deps sd;
  sd.storage = st->raft_storage.get();
  sd.wal = st->wal.get();
  sd.files = st->snap_files.get();
  sd.commit_backend = [st] { return st->backend->ForceCommit(); };
  sd.durable_index = [st] { return st->kv->ConsistentIndex(); };  // applier thread, committed
  sd.conf_state_at = [node = d_.node](uint64_t index) { return node->ConfStateAt(index); };
  sd.data = [ops = d_.cluster_ops] {
    internalpb::MembersResponse members;
    ops->FillPeerMembers(&members);
    return members.SerializeAsString();
  };
  sd.on_saved = [node = d_.node](uint64_t index) { node->PruneConfHistory(index); };
  absl::StatusOr<uint64_t> first = st->raft_storage->FirstIndex();
  snapshotter_ = std::make_unique<Snapshotter>(o, std::move(sd), first.ok() ? *first - 1 : 0);
  SnapshotSender::Hooks sh;
  sh.copy_db = [st](int fd) { return st->backend->CopyTo(fd); };
  sh.peer_urls = [cluster = st->cluster.get()](uint64_t id) {
    std::optional<Member> m = cluster->Get(id);
    return m.has_value() ? m->peer_urls : std::vector<std::string>{};
  };
  sh.report = [node = d_.node](uint64_t id, bool failure) { node->ReportSnapshot(id, failure); };
  sender_ = std::make_unique<SnapshotSender>(d_.member_id, d_.cluster_id, std::move(sh));
}

void RaftSnapshots::Stop() { sender_->Stop(); }

void RaftSnapshots::Send(std::vector<raft::Message> msgs) {
  for (auto it = msgs.begin(); it != msgs.end();) {
    if (it->type != raft::MessageType::kSnap) {
      ++it;
      continue;
    }
    sender_->Send(std::move(*it));  // streams the backend on a thread of its own
    it = msgs.erase(it);
  }
  if (!msgs.empty()) d_.transport->Send(std::move(msgs));
}

absl::Status RaftSnapshots::Persist(const raft::Snapshot& snap) {
  RETURN_NOT_OK(d_.stores->snap_files->Save(snap));
  return d_.stores->wal->SaveSnapshot({snap.metadata.index, snap.metadata.term});
}

// Nothing else writes the stores meanwhile; readers see the old state or the new one (the
// backend swap and the index swap are each atomic for them).
void RaftSnapshots::Install(const raft::Snapshot& snap) {
  Stores* st = d_.stores;
  const uint64_t index = snap.metadata.index;
  absl::Time start = absl::Now();
  Metrics::Get().SnapshotApplying(true);
  ETCDPP_FAILPOINT(applyBeforeOpenSnapshot);
  absl::Status status = st->SwapInBackend(SnapDbPath(st->snap_dir(), index));
  ETCDPP_FAILPOINT(applyAfterOpenSnapshot);
  if (status.ok()) d_.cluster_ops->SyncPeersWithMembers();
  if (status.ok() && st->kv->ConsistentIndex() < index) {
    // The leader's database must hold everything up to the snapshot (it is taken after a
    // commit that covers it); one that does not would silently skip entries.
    status =
        absl::DataLossError(absl::StrCat("the received database holds entries up to index ",
                                         st->kv->ConsistentIndex(), ", older than the snapshot"));
  }
  if (!status.ok()) {
    // The stores may be half swapped: applying anything more would stage (and later commit) a
    // consistent index above the snapshot over the wrong state. Stop here; a restart installs
    // the received database again (Bootstrap).
    SPDLOG_CRITICAL("failed to install the snapshot at index {}: {}; the member stops", index,
                    status.ToString());
    d_.applier->Halt(status);
    snapshotter_->Fail(status);
    Metrics::Get().SnapshotApplying(false);
    return;
  }
  d_.applier->ResetTo(index, st->kv->ConsistentIndex());
  snapshotter_->Installed(index);
  snap_metrics::Applied();
  Metrics::Get().SnapshotApplying(false);
  SPDLOG_INFO("applied snapshot at index {} (backend at index {}, revision {}, {:.3f} s)", index,
              st->kv->ConsistentIndex(), st->kv->Rev(), absl::ToDoubleSeconds(absl::Now() - start));
  const Config& cfg = *d_.cfg;
  absl::Status rel =
      cfg.max_wals == 0 ? absl::OkStatus() : st->wal->ReleaseLockTo(index, cfg.max_wals);
  ETCDPP_FAILPOINT(raftAfterWALRelease);
  if (rel.ok()) rel = st->snap_files->Purge(cfg.max_snapshots);
  if (rel.ok()) rel = RemoveReceivedDbsUpTo(index);
  if (!rel.ok()) SPDLOG_WARN("purging after the snapshot at index {}: {}", index, rel.ToString());
}

// Received databases that raft refused (an older snapshot arrived late) or that a crash left
// behind: none at or below an installed snapshot is needed any more.
absl::Status RaftSnapshots::RemoveReceivedDbsUpTo(uint64_t index) {
  Stores* st = d_.stores;
  const std::string dir = st->snap_dir();
  ASSIGN_OR_RETURN(std::vector<std::string> children, st->env->GetChildren(dir));
  for (const std::string& c : children) {
    uint64_t at = 0;
    if (c.size() != 24 || !absl::EndsWith(c, ".snap.db") ||
        !absl::SimpleHexAtoi(absl::string_view(c.data(), 16), &at) || at > index) {
      continue;
    }
    RETURN_NOT_OK(st->env->RemoveFile(JoinPath(dir, c)));
  }
  return absl::OkStatus();
}

}  // namespace etcdpp::server
