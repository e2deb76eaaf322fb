// EtcdServer's raft snapshots: choosing the snapshot a restart starts from, re-bootstrapping a
// member whose first start was cut short, and the snapshotter's wiring
// (docs/design/cluster.md "Snapshots").

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "server/etcd_server.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

// The newest snapshot file that loads and whose marker the WAL holds; damaged files are
// skipped with an error naming them (never repaired), then older ones are tried, and last the
// WAL's own beginning if its first segment is still there.
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
  spdlog::warn("the WAL in {}/wal holds no records (the first start was interrupted); "
               "bootstrapping the member again", member_dir_);
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
}

void EtcdServer::SendToPeers(std::vector<raft::Message> msgs) {
  for (auto it = msgs.begin(); it != msgs.end();) {
    if (it->type != raft::MessageType::kSnap) {
      ++it;
      continue;
    }
    static std::atomic<uint64_t> refused{0};
    if (refused.fetch_add(1) % 100 == 0) {
      spdlog::warn("member {:x} needs a snapshot (index {}); snapshot transfer is not built yet",
                   it->to, it->snapshot.metadata.index);
    }
    node_->ReportSnapshot(it->to, /*failure=*/true);
    it = msgs.erase(it);
  }
  if (!msgs.empty()) transport_->Send(std::move(msgs));
}

}  // namespace etcdpp::server
