#include "server/bootstrap.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <random>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "grpcpp/grpcpp.h"
#include "internalpb/internal.pb.h"
#include "internalpb/peer.grpc.pb.h"
#include "raft/confchange.h"
#include "server/discovery.h"
#include "server/log/zap_log.h"
#include "server/membership/cluster_store.h"
#include "server/rafthttp/peer_sender.h"
#include "server/snap/snap_files.h"
#include "server/srv_cluster.h"
#include "server/tls/peer_tls.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace {

using InstallDb = std::function<absl::Status(const std::string&)>;

// One bootstrap's working state.
class Bootstrapper {
 public:
  Bootstrapper(const Config& cfg, Stores* stores, const InstallDb& install_db)
      : cfg_(cfg), st_(stores), install_db_(install_db) {}

  absl::StatusOr<Bootstrapped> Run() {
    if (wal::Wal::Exists(st_->env, st_->wal_dir())) {
      out_.restarted = true;
      RETURN_NOT_OK(Restart());
    } else {
      RETURN_NOT_OK(BootstrapNew());
    }
    return std::move(out_);
  }

 private:
  absl::Status BootstrapNew();
  absl::Status Restart();
  absl::Status JoinExisting();
  absl::Status OpenWalAtSnapshot(raft::Snapshot* snap, wal::Wal::Contents* c);
  bool WalNeverWritten(const raft::Snapshot& snap, const wal::Wal::Contents& c);
  absl::Status CheckInitialCluster() const;
  absl::StatusOr<std::vector<Member>> InitialMembers() const;
  absl::Status DiscoveryFailure(const absl::Status& st) const;
  absl::Status ForceNewCluster(const raft::Snapshot& snap, wal::Wal::Contents* c);
  absl::Status RecoverSnapshotBackend(const raft::Snapshot& snap);
  absl::Status CreateWal() {
    internalpb::WalMetadata md;
    md.set_node_id(out_.member_id);
    md.set_cluster_id(out_.cluster_id);
    ASSIGN_OR_RETURN(st_->wal, wal::Wal::Create(st_->env, st_->wal_dir(), md.SerializeAsString()));
    ASSIGN_OR_RETURN(out_.raw, NewRawNode(cfg_, out_.member_id, st_->raft_storage.get(), 0));
    return absl::OkStatus();
  }

  const Config& cfg_;
  Stores* const st_;
  const InstallDb& install_db_;
  Bootstrapped out_;
};

absl::Status Bootstrapper::BootstrapNew() {
  if (cfg_.initial_cluster_state == "existing") return JoinExisting();
  ASSIGN_OR_RETURN(std::vector<Member> members, InitialMembers());
  std::vector<uint64_t> ids;
  std::vector<raft::Peer> peers;
  for (Member& m : members) {
    ids.push_back(m.id);
    if (m.name == cfg_.name) out_.member_id = m.id;
  }
  if (out_.member_id == 0) {
    return absl::InvalidArgumentError(absl::StrCat("couldn't find local name \"", cfg_.name,
                                                   "\" in the initial cluster configuration"));
  }
  out_.cluster_id = ComputeClusterId(ids);
  for (const Member& m : members) peers.push_back(raft::Peer{m.id, EncodeMember(m)});
  RETURN_NOT_OK(CreateWal());
  return out_.raw->Bootstrap(peers);
}

absl::Status Bootstrapper::Restart() {
  raft::Snapshot snap;
  wal::Wal::Contents c;
  RETURN_NOT_OK(OpenWalAtSnapshot(&snap, &c));
  if (WalNeverWritten(snap, c)) return BootstrapNew();
  internalpb::WalMetadata md;
  if (!md.ParseFromString(c.metadata)) {
    return absl::DataLossError(absl::StrCat("cannot decode the WAL metadata in ", st_->wal_dir()));
  }
  out_.member_id = md.node_id();
  out_.cluster_id = md.cluster_id();
  // --force-new-cluster recovers whatever member the data dir holds (a survivor, or a backup
  // made by `etcdutl backup` under new ids): the flags cannot describe it, and etcd ignores them.
  if (!cfg_.force_new_cluster) RETURN_NOT_OK(CheckInitialCluster());
  raft::MemoryStorage* storage = st_->raft_storage.get();
  if (!snap.IsEmpty()) {
    RETURN_NOT_OK(RecoverSnapshotBackend(snap));
    if (st_->kv->ConsistentIndex() < snap.metadata.index) {
      return absl::DataLossError(absl::StrCat(
          "the backend ", st_->backend->path(), " holds entries up to index ",
          st_->kv->ConsistentIndex(), ", older than the snapshot at index ", snap.metadata.index));
    }
    RETURN_NOT_OK(storage->ApplySnapshot(snap));
  }
  if (cfg_.force_new_cluster) RETURN_NOT_OK(ForceNewCluster(snap, &c));
  SPDLOG_INFO("restarting member {:x} in cluster {:x} at commit index {}", out_.member_id,
              out_.cluster_id, c.state.commit);
  SPDLOG_INFO("replaying {} WAL entries after the snapshot at index {} (backend at index {})",
              c.entries.size(), snap.metadata.index, st_->kv->ConsistentIndex());
  if (!c.state.IsEmpty()) RETURN_NOT_OK(storage->SetHardState(c.state));
  if (!c.entries.empty()) RETURN_NOT_OK(storage->Append(c.entries));
  // The read copy of the log lies below the storage's in the heap: free it and hand its pages
  // back (glibc keeps freed memory below the top of the heap otherwise; with 1,000,000 entries
  // that is a few hundred MiB of RSS for the life of the process).
  std::vector<raft::Entry>().swap(c.entries);
  malloc_trim(0);
  ASSIGN_OR_RETURN(out_.raw, NewRawNode(cfg_, out_.member_id, storage, 0));
  return absl::OkStatus();
}

// --force-new-cluster (etcd's restartAsStandaloneNode): conf changes removing every other
// member of the configuration the log ends with (the snapshot's, then the log's conf changes)
// are appended and committed at once, in the current term, together with every entry the log
// holds. Applying them leaves this member the only voter, which elects itself. Unlike etcd,
// entries above the old commit index are kept (and so applied): the survivor cannot know which
// of them the lost majority had committed and acknowledged, and dropping one of those would
// lose an acknowledged write; keeping one that was never committed applies a write whose
// client saw no answer, which a client must take as possible anyway.
absl::Status Bootstrapper::ForceNewCluster(const raft::Snapshot& snap, wal::Wal::Contents* c) {
  const uint64_t last = c->entries.empty() ? snap.metadata.index : c->entries.back().index;
  if (last > c->state.commit) {
    SPDLOG_WARN(
        "--force-new-cluster: committing entries {} to {}, above the commit index {} this member "
        "knew (the lost members may have committed them)",
        c->state.commit + 1, last, c->state.commit);
  }
  std::set<uint64_t> ids(snap.metadata.conf_state.voters.begin(),
                         snap.metadata.conf_state.voters.end());
  ids.insert(snap.metadata.conf_state.learners.begin(), snap.metadata.conf_state.learners.end());
  for (const raft::Entry& e : c->entries) {
    if (e.type != raft::EntryType::kConfChange) continue;
    ASSIGN_OR_RETURN(raft::ConfChange cc, raft::DecodeConfChange(e.data));
    if (cc.type == raft::ConfChangeType::kRemoveNode) {
      ids.erase(cc.node_id);
    } else {
      ids.insert(cc.node_id);
    }
  }
  uint64_t index = c->entries.empty() ? snap.metadata.index : c->entries.back().index;
  const uint64_t term = std::max(c->state.term, snap.metadata.term);
  std::vector<raft::Entry> added;
  for (uint64_t id : ids) {
    if (id == out_.member_id) continue;
    raft::ConfChange cc{raft::ConfChangeType::kRemoveNode, id, ""};
    added.push_back(
        raft::Entry{term, ++index, raft::EntryType::kConfChange, raft::EncodeConfChange(cc)});
  }
  if (ids.count(out_.member_id) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--force-new-cluster: member ", MemberIdHex(out_.member_id),
        " is not in the configuration its WAL holds (it was removed); nothing to recover"));
  }
  c->state.term = term;
  c->state.commit = index;
  RETURN_NOT_OK(st_->wal->Save(c->state, added));
  SPDLOG_WARN(
      "--force-new-cluster: member {:x} now forms a cluster of its own; removing {} other "
      "members at indexes {} to {} (commit index {})",
      out_.member_id, added.size(), added.empty() ? 0 : added.front().index, index, index);
  c->entries.insert(c->entries.end(), added.begin(), added.end());
  return absl::OkStatus();
}

// Asks the member at `url` for the member list (bounded by a deadline).
[[nodiscard]] absl::StatusOr<internalpb::MembersResponse> FetchMembers(const std::string& url) {
  auto stub = internalpb::Peer::NewStub(
      grpc::CreateChannel(GrpcTargetOfUrl(url), tls::PeerChannelCredentials(url)));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  internalpb::MembersResponse resp;
  grpc::Status st = stub->Members(&ctx, internalpb::MembersRequest{}, &resp);
  if (!st.ok()) return absl::UnavailableError(absl::StrCat(url, ": ", st.error_message()));
  return resp;
}

// --initial-cluster-state existing: learn the cluster from the members already running (as
// etcd's GetClusterFromRemotePeers), find this member by its advertised peer URLs, and start
// raft empty: the leader sends the log (or a snapshot).
absl::Status Bootstrapper::JoinExisting() {
  ASSIGN_OR_RETURN(std::vector<Member> listed, InitialMembers());
  std::vector<std::string> own_urls;
  for (const Url& u : cfg_.initial_advertise_peer_urls) own_urls.push_back(u.ToString());
  std::string errors;
  for (const Member& lm : listed) {
    if (lm.name == cfg_.name) continue;
    for (const std::string& url : lm.peer_urls) {
      absl::StatusOr<internalpb::MembersResponse> resp = FetchMembers(url);
      if (!resp.ok()) {
        absl::StrAppend(&errors, " ", resp.status().message(), ";");
        continue;
      }
      out_.cluster_id = resp->cluster_id();
      for (const internalpb::MemberRecord& rec : resp->members()) {
        Member m = FromRecord(rec);
        for (const std::string& u : m.peer_urls) {
          if (std::find(own_urls.begin(), own_urls.end(), u) != own_urls.end()) {
            out_.member_id = m.id;
          }
        }
        out_.join_peers.push_back(std::move(m));
      }
      if (out_.member_id == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "this member's peer URLs are not in the cluster's member list (add it first with "
            "`etcdctl member add`)"));
      }
      RETURN_NOT_OK(CreateWal());
      SPDLOG_INFO("joining cluster {:x} as member {:x}", out_.cluster_id, out_.member_id);
      return absl::OkStatus();
    }
  }
  return absl::UnavailableError(absl::StrCat(
      "cannot fetch the cluster's members from the peers in --initial-cluster:", errors));
}

// The members --initial-cluster names, or (--discovery-srv) the SRV records of the domain.
// With --discovery (etcd's v2 discovery): this member registers under the token and the
// initial cluster is what the service gathered; the URL is the cluster token, as in etcd.
absl::StatusOr<std::vector<Member>> Bootstrapper::InitialMembers() const {
  std::string cluster = cfg_.initial_cluster;
  if (!cfg_.discovery_srv.empty()) {
    ASSIGN_OR_RETURN(cluster, InitialClusterFromSrv(cfg_));
  }
  if (cfg_.discovery.empty()) return ParseInitialCluster(cluster, cfg_.initial_cluster_token);
  DiscoveryOptions d{cfg_.discovery, cfg_.discovery_proxy};
  if (cfg_.initial_cluster_state == "existing") {
    ASSIGN_OR_RETURN(cluster, DiscoveryGetCluster(d));
    return ParseInitialCluster(cluster, cfg_.discovery);
  }
  std::vector<std::string> own;
  for (const Url& u : cfg_.initial_advertise_peer_urls) {
    own.push_back(absl::StrCat(cfg_.name, "=", u.ToString()));
  }
  std::sort(own.begin(), own.end());  // types.URLsMap.String(): sorted
  std::string self = absl::StrJoin(own, ",");
  ASSIGN_OR_RETURN(std::vector<Member> alone, ParseInitialCluster(self, cfg_.discovery));
  absl::StatusOr<std::string> joined = DiscoveryJoinCluster(d, alone.at(0).id, self);
  if (!joined.ok()) return DiscoveryFailure(joined.status());
  return ParseInitialCluster(*joined, cfg_.discovery);
}

// etcd's advice on a failed discovery, and its refusal of the proxy fallback (etcdpp has no v2
// proxy).
absl::Status Bootstrapper::DiscoveryFailure(const absl::Status& st) const {
  const std::string msg(st.message());
  if (msg == kDiscoveryFullCluster) {
    if (cfg_.discovery_fallback == "proxy") {
      return absl::FailedPreconditionError(absl::StrCat(
          msg,
          "; --discovery-fallback=proxy (etcd's default) would start a v2 proxy, which "
          "etcdpp does not support: add the member with `etcdctl member add` and start it "
          "with --initial-cluster-state=existing instead"));
    }
  } else if (msg == kDiscoveryDuplicateId) {
    return absl::FailedPreconditionError(absl::StrCat(
        msg, ": member ", cfg_.name, " has previously registered with discovery service token (",
        cfg_.discovery, "), but no valid cluster configuration was found in the data dir ",
        cfg_.data_dir,
        "; check the data dir if the previous bootstrap succeeded, or use a new "
        "discovery token if it failed"));
  } else if (msg == kDiscoveryDuplicateName) {
    return absl::FailedPreconditionError(absl::StrCat(
        msg, ": a member with a duplicated name has registered with discovery service token (",
        cfg_.discovery, "); do not reuse a discovery token, generate a new one"));
  }
  return absl::Status(st.code(), absl::StrCat(msg, " (discovery token ", cfg_.discovery,
                                              "; do not reuse a discovery token that failed to "
                                              "bootstrap a cluster, generate a new one)"));
}

// A restarted member of a cluster bootstrapped with --initial-cluster-state new must be started
// with the flags that made it: a data dir of another cluster or member is refused. A member
// bootstrapped from --discovery-srv restarts without asking DNS (as etcd: the records may have
// changed or be gone) and so without this check.
absl::Status Bootstrapper::CheckInitialCluster() const {
  if (cfg_.initial_cluster_state != "new" || !cfg_.discovery_srv.empty()) {
    return absl::OkStatus();
  }
  if (!cfg_.discovery.empty()) {
    SPDLOG_WARN("{}", log::With("discovery token is ignored since cluster already initialized; "
                                "valid logs are found",
                                log::Fields().Str("wal-dir", st_->wal_dir())));
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Member>> members =
      ParseInitialCluster(cfg_.initial_cluster, cfg_.initial_cluster_token);
  if (!members.ok()) return members.status();
  std::vector<uint64_t> ids;
  uint64_t own = 0;
  for (const Member& m : *members) {
    ids.push_back(m.id);
    if (m.name == cfg_.name) own = m.id;
  }
  uint64_t cluster = ComputeClusterId(ids);
  if (own == out_.member_id && cluster == out_.cluster_id) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrFormat(
      "the data dir %s belongs to member %x of cluster %x, but --name, --initial-cluster and "
      "--initial-cluster-token describe member %x of cluster %x",
      cfg_.data_dir, out_.member_id, out_.cluster_id, own, cluster));
}

// The newest snapshot file that loads, whose marker the WAL holds and which the WAL's hard state
// has committed (etcd's ValidSnapshotEntries: a follower that crashed after saving a received
// snapshot's marker but before the hard state that commits it must not start from it; raft
// would refuse a commit index below its snapshot). Damaged files are skipped with an error
// naming them (never repaired), then older ones are tried, and last the WAL's own beginning if
// its first segment is still there.
absl::Status Bootstrapper::OpenWalAtSnapshot(raft::Snapshot* snap, wal::Wal::Contents* c) {
  SnapFiles* files = st_->snap_files.get();
  ASSIGN_OR_RETURN(std::vector<std::string> names, files->List());
  std::vector<raft::Snapshot> candidates;
  std::string problems;
  for (const std::string& name : names) {
    absl::StatusOr<raft::Snapshot> s = files->Load(name);
    if (!s.ok()) {
      SPDLOG_ERROR("cannot load snapshot file {}: {}; trying an older one", files->PathOf(name),
                   std::string(s.status().message()));
      absl::StrAppend(&problems, "; ", s.status().message());
      continue;
    }
    candidates.push_back(*std::move(s));
  }
  candidates.push_back(raft::Snapshot{});  // the start of the WAL
  for (const raft::Snapshot& cand : candidates) {
    wal::WalSnapshot ws{cand.metadata.index, cand.metadata.term};
    absl::StatusOr<std::unique_ptr<wal::Wal>> w = wal::Wal::Open(st_->env, st_->wal_dir(), ws);
    absl::StatusOr<wal::Wal::Contents> got = w.ok() ? (*w)->ReadAll() : w.status();
    if (absl::IsNotFound(got.status())) {
      // Segments purged below it, or its marker never reached the WAL (a crash between the
      // file and the marker): an older snapshot may still do.
      if (!cand.IsEmpty()) {
        SPDLOG_WARN("snapshot at index {} is unusable: {}", cand.metadata.index,
                    std::string(got.status().message()));
      }
      absl::StrAppend(&problems, "; snapshot at index ", cand.metadata.index, ": ",
                      std::string(got.status().message()));
      continue;
    }
    RETURN_NOT_OK(got.status());
    if (got->torn_tail.has_value()) SPDLOG_WARN("wal: {}", got->torn_tail->ToString());
    if (!cand.IsEmpty() && cand.metadata.index > got->state.commit) {
      SPDLOG_WARN(
          "snapshot at index {} is not committed by the WAL's hard state (commit {}): "
          "a crash came between its marker and the hard state; trying an older one",
          cand.metadata.index, got->state.commit);
      absl::StrAppend(&problems, "; snapshot at index ", cand.metadata.index,
                      " is above the WAL's commit index ", got->state.commit);
      continue;
    }
    st_->wal = *std::move(w);
    *c = *std::move(got);
    *snap = cand;
    return absl::OkStatus();
  }
  return absl::DataLossError(absl::StrCat("cannot restart member from ", st_->member_dir,
                                          ": no usable snapshot matches the WAL", problems));
}

// True (and the WAL removed) when a founding member's WAL holds no records: its first start
// was interrupted, so it bootstraps again.
bool Bootstrapper::WalNeverWritten(const raft::Snapshot& snap, const wal::Wal::Contents& c) {
  if (!snap.IsEmpty() || !c.entries.empty() || !c.state.IsEmpty()) return false;
  if (cfg_.initial_cluster_state != "new") return false;  // a joining member starts empty
  SPDLOG_WARN(
      "the WAL in {} holds no records (the first start was interrupted); "
      "bootstrapping the member again",
      st_->wal_dir());
  st_->wal.reset();
  absl::Status st = st_->env->RemoveAll(st_->wal_dir());
  if (!st.ok()) SPDLOG_ERROR("cannot remove {}: {}", st_->wal_dir(), st.ToString());
  return st.ok();
}

// Restart after a crash between saving a received snapshot and installing it.
absl::Status Bootstrapper::RecoverSnapshotBackend(const raft::Snapshot& snap) {
  if (st_->kv->ConsistentIndex() >= snap.metadata.index) return absl::OkStatus();
  const std::string db = SnapDbPath(st_->snap_dir(), snap.metadata.index);
  if (!st_->env->FileExists(db)) return absl::OkStatus();  // the caller reports the gap
  SPDLOG_INFO("installing the received database {} (the backend is at index {})", db,
              st_->kv->ConsistentIndex());
  return install_db_(db);
}

}  // namespace

absl::StatusOr<Bootstrapped> Bootstrap(const Config& cfg, Stores* stores,
                                       const InstallDb& install_db) {
  return Bootstrapper(cfg, stores, install_db).Run();
}

absl::StatusOr<std::unique_ptr<raft::RawNode>> NewRawNode(const Config& cfg, uint64_t id,
                                                          raft::MemoryStorage* storage,
                                                          uint64_t applied) {
  raft::Config rc;
  rc.id = id;
  rc.heartbeat_tick = 1;
  rc.election_tick = static_cast<int>(cfg.election_timeout_ms / cfg.heartbeat_interval_ms);
  rc.storage = storage;
  rc.applied = applied;
  rc.max_size_per_msg = 1 << 20;
  rc.max_inflight_msgs = 512;
  rc.check_quorum = true;
  rc.pre_vote = true;
  rc.seed = std::random_device{}();
  return raft::RawNode::Open(rc);
}

}  // namespace etcdpp::server
