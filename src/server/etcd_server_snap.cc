// EtcdServer's raft snapshots: choosing the snapshot a restart starts from, re-bootstrapping a
// member whose first start was cut short, and the snapshotter's wiring
// (docs/design/cluster.md "Snapshots").

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "server/etcd_server.h"
#include "server/snap_metrics.h"
#include "server/snapshot_receiver.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

// The newest snapshot file that loads, whose marker the WAL holds and which the WAL's hard state
// has committed (etcd's ValidSnapshotEntries: a follower that crashed after saving a received
// snapshot's marker but before the hard state that commits it must not start from it; raft
// would refuse a commit index below its snapshot). Damaged files are skipped with an error
// naming them (never repaired), then older ones are tried, and last the WAL's own beginning if
// its first segment is still there.
absl::Status EtcdServer::OpenWalAtSnapshot(raft::Snapshot* snap, wal::Wal::Contents* c) {
  const std::string wal_dir = member_dir_ + "/wal";
  ASSIGN_OR_RETURN(std::vector<std::string> names, snap_files_->List());
  std::vector<raft::Snapshot> candidates;
  std::string problems;
  for (const std::string& name : names) {
    absl::StatusOr<raft::Snapshot> s = snap_files_->Load(name);
    if (!s.ok()) {
      spdlog::error("cannot load snapshot file {}: {}; trying an older one",
                    snap_files_->PathOf(name), std::string(s.status().message()));
      absl::StrAppend(&problems, "; ", s.status().message());
      continue;
    }
    candidates.push_back(*std::move(s));
  }
  candidates.push_back(raft::Snapshot{});  // the start of the WAL
  for (const raft::Snapshot& cand : candidates) {
    wal::WalSnapshot ws{cand.metadata.index, cand.metadata.term};
    absl::StatusOr<std::unique_ptr<wal::Wal>> w = wal::Wal::Open(env_, wal_dir, ws);
    absl::StatusOr<wal::Wal::Contents> got = w.ok() ? (*w)->ReadAll() : w.status();
    if (absl::IsNotFound(got.status())) {
      // Segments purged below it, or its marker never reached the WAL (a crash between the
      // file and the marker): an older snapshot may still do.
      if (!cand.IsEmpty()) {
        spdlog::warn("snapshot at index {} is unusable: {}", cand.metadata.index,
                     std::string(got.status().message()));
      }
      absl::StrAppend(&problems, "; snapshot at index ", cand.metadata.index, ": ",
                      std::string(got.status().message()));
      continue;
    }
    RETURN_NOT_OK(got.status());
    if (got->torn_tail.has_value()) spdlog::warn("wal: {}", got->torn_tail->ToString());
    if (!cand.IsEmpty() && cand.metadata.index > got->state.commit) {
      spdlog::warn(
          "snapshot at index {} is not committed by the WAL's hard state (commit {}): "
          "a crash came between its marker and the hard state; trying an older one",
          cand.metadata.index, got->state.commit);
      absl::StrAppend(&problems, "; snapshot at index ", cand.metadata.index,
                      " is above the WAL's commit index ", got->state.commit);
      continue;
    }
    wal_ = *std::move(w);
    *c = *std::move(got);
    *snap = cand;
    return absl::OkStatus();
  }
  return absl::DataLossError(absl::StrCat("cannot restart member from ", member_dir_,
                                          ": no usable snapshot matches the WAL", problems));
}

bool EtcdServer::WalNeverWritten(const raft::Snapshot& snap, const wal::Wal::Contents& c) {
  if (!snap.IsEmpty() || !c.entries.empty() || !c.state.IsEmpty()) return false;
  if (cfg_.initial_cluster_state != "new") return false;  // a joining member starts empty
  spdlog::warn(
      "the WAL in {}/wal holds no records (the first start was interrupted); "
      "bootstrapping the member again",
      member_dir_);
  wal_.reset();
  absl::Status st = env_->RemoveAll(member_dir_ + "/wal");
  if (!st.ok()) spdlog::error("cannot remove {}/wal: {}", member_dir_, st.ToString());
  return st.ok();
}

void EtcdServer::OpenSnapshotter() {
  Snapshotter::Options o;
  o.snapshot_count = cfg_.snapshot_count == 0 ? 100000 : cfg_.snapshot_count;  // as etcd
  o.catchup_entries = cfg_.snapshot_catchup_entries;
  o.max_snapshots = cfg_.max_snapshots;
  o.max_wals = cfg_.max_wals;
  Snapshotter::Deps d;
  d.storage = raft_storage_.get();
  d.wal = wal_.get();
  d.files = snap_files_.get();
  d.commit_backend = [this] { return backend_->ForceCommit(); };
  d.durable_index = [this] { return kv_->ConsistentIndex(); };  // applier thread, after the commit
  d.conf_state_at = [this](uint64_t index) { return node_->ConfStateAt(index); };
  d.data = [this] {
    internalpb::MembersResponse members;
    FillPeerMembers(&members);
    return members.SerializeAsString();
  };
  d.on_saved = [this](uint64_t index) { node_->PruneConfHistory(index); };
  absl::StatusOr<uint64_t> first = raft_storage_->FirstIndex();
  snapshotter_ = std::make_unique<Snapshotter>(o, std::move(d), first.ok() ? *first - 1 : 0);
  applier_->SetAfterBatch([this](uint64_t applied) { (void)snapshotter_->MaybeSnapshot(applied); });
  SnapshotSender::Hooks sh;
  sh.copy_db = [this](int fd) { return backend_->CopyTo(fd); };
  sh.peer_urls = [this](uint64_t id) {
    std::optional<Member> m = cluster_->Get(id);
    return m.has_value() ? m->peer_urls : std::vector<std::string>{};
  };
  sh.report = [this](uint64_t id, bool failure) { node_->ReportSnapshot(id, failure); };
  snap_sender_ = std::make_unique<SnapshotSender>(member_id_, cluster_id_, std::move(sh));
}

void EtcdServer::SendToPeers(std::vector<raft::Message> msgs) {
  for (auto it = msgs.begin(); it != msgs.end();) {
    if (it->type != raft::MessageType::kSnap) {
      ++it;
      continue;
    }
    snap_sender_->Send(std::move(*it));  // streams the backend on a thread of its own
    it = msgs.erase(it);
  }
  if (!msgs.empty()) transport_->Send(std::move(msgs));
}

}  // namespace etcdpp::server

namespace etcdpp::server {

grpc::Service* EtcdServer::SnapshotService() {
  if (!snap_receiver_) {
    snap_receiver_ =
        std::make_unique<SnapshotReceiver>(env_, member_dir_ + "/snap", cluster_id_,
                                           [this](raft::Message m) { node_->Step(std::move(m)); });
  }
  return snap_receiver_.get();
}

absl::Status EtcdServer::PersistSnapshot(const raft::Snapshot& snap) {
  RETURN_NOT_OK(snap_files_->Save(snap));
  return wal_->SaveSnapshot({snap.metadata.index, snap.metadata.term});
}

// Applier thread: nothing else writes the stores meanwhile; readers see the old state or the
// new one (the backend swap and the index swap are each atomic for them).
void EtcdServer::InstallSnapshot(const raft::Snapshot& snap) {
  const uint64_t index = snap.metadata.index;
  absl::Time start = absl::Now();
  absl::Status st = ApplySnapshotBackend(SnapDbPath(member_dir_ + "/snap", index));
  if (st.ok() && kv_->ConsistentIndex() < index) {
    // The leader's database must hold everything up to the snapshot (it is taken after a
    // commit that covers it); one that does not would silently skip entries.
    st = absl::DataLossError(absl::StrCat("the received database holds entries up to index ",
                                          kv_->ConsistentIndex(), ", older than the snapshot"));
  }
  if (!st.ok()) {
    // The stores may be half swapped: applying anything more would stage (and later commit) a
    // consistent index above the snapshot over the wrong state. Stop here; a restart installs
    // the received database again (RecoverSnapshotBackend).
    spdlog::critical("failed to install the snapshot at index {}: {}; the member stops", index,
                     st.ToString());
    applier_->Halt(st);
    snapshotter_->Fail(st);
    return;
  }
  applier_->ResetTo(index, kv_->ConsistentIndex());
  snapshotter_->Installed(index);
  snap_metrics::Applied();
  spdlog::info("applied snapshot at index {} (backend at index {}, revision {}, {:.3f} s)", index,
               kv_->ConsistentIndex(), kv_->Rev(), absl::ToDoubleSeconds(absl::Now() - start));
  absl::Status rel =
      cfg_.max_wals == 0 ? absl::OkStatus() : wal_->ReleaseLockTo(index, cfg_.max_wals);
  if (rel.ok()) rel = snap_files_->Purge(cfg_.max_snapshots);
  if (rel.ok()) rel = RemoveReceivedDbsUpTo(index);
  if (!rel.ok()) spdlog::warn("purging after the snapshot at index {}: {}", index, rel.ToString());
}

absl::Status EtcdServer::ApplySnapshotBackend(const std::string& db_file) {
  RETURN_NOT_OK_PREPEND(backend_->ReplaceWith(db_file), "swap in the received database");
  RETURN_NOT_OK(kv_->Reload());
  RETURN_NOT_OK(lessor_->Reload());
  RETURN_NOT_OK(lease_applier_->RestoreAttachments());
  cluster_->Reload();
  if (transport_) {
    for (const Member& m : cluster_->Members()) transport_->AddPeer(m.id, m.peer_urls);
    for (uint64_t id : cluster_->RemovedIds()) transport_->RemovePeer(id);
  }
  if (cluster_->IsRemoved(member_id_) && !removed_.exchange(true)) {
    spdlog::warn("the member has been permanently removed from the cluster");
  }
  watch_->Resync();
  return absl::OkStatus();
}

// Received databases that raft refused (an older snapshot arrived late) or that a crash left
// behind: none at or below an installed snapshot is needed any more.
absl::Status EtcdServer::RemoveReceivedDbsUpTo(uint64_t index) {
  const std::string dir = member_dir_ + "/snap";
  ASSIGN_OR_RETURN(std::vector<std::string> children, env_->GetChildren(dir));
  for (const std::string& c : children) {
    uint64_t at = 0;
    if (c.size() != 24 || !absl::EndsWith(c, ".snap.db") ||
        !absl::SimpleHexAtoi(absl::string_view(c.data(), 16), &at) || at > index) {
      continue;
    }
    RETURN_NOT_OK(env_->RemoveFile(JoinPath(dir, c)));
  }
  return absl::OkStatus();
}

absl::Status EtcdServer::RecoverSnapshotBackend(const raft::Snapshot& snap) {
  if (kv_->ConsistentIndex() >= snap.metadata.index) return absl::OkStatus();
  const std::string db = SnapDbPath(member_dir_ + "/snap", snap.metadata.index);
  if (!env_->FileExists(db)) return absl::OkStatus();  // the caller reports the gap
  spdlog::info("installing the received database {} (the backend is at index {})", db,
               kv_->ConsistentIndex());
  return ApplySnapshotBackend(db);
}

}  // namespace etcdpp::server
