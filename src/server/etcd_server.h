#pragma once
// EtcdServer owns one member: the backend, the mvcc store, the WAL, the Raft node, the applier,
// the ReadIndex loop and the gRPC server. It starts them in that order and stops them in
// reverse. Services reach the member only through the small surface below.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "backend/backend.h"
#include "common/bounded_executor.h"
#include "common/env.h"
#include "common/mutex.h"
#include "etcdserverpb/rpc.pb.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "internalpb/internal.pb.h"
#include "lease/lessor.h"
#include "mvcc/kvstore.h"
#include "raft/storage.h"
#include "server/applier.h"
#include "server/cluster_store.h"
#include "server/config.h"
#include "server/http/client_port.h"
#include "server/kv_apply.h"
#include "server/lease_apply.h"
#include "server/lease_timer.h"
#include "server/membership.h"
#include "server/raft_node.h"
#include "server/read_index.h"
#include "server/reconfig_checks.h"
#include "server/request_timeouts.h"
#include "server/require_leader.h"
#include "server/snap_files.h"
#include "server/snapshot_sender.h"
#include "server/snapshotter.h"
#include "server/transport.h"
#include "wal/wal.h"
#include "watch/watchable_store.h"

namespace etcdpp::server {

class EtcdServer {
 public:
  // Opens or bootstraps the member's data dir; nothing is served until Start(). Every file and
  // directory operation of the member but LMDB's own file I/O goes through `env` (not owned;
  // must outlive the server): tests pass a FaultInjectionEnv.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EtcdServer>> Open(const Config& cfg,
                                                                        Env* env = Env::Default());
  ~EtcdServer();

  // Starts the threads and the client listeners; returns once the client port accepts
  // connections and the member has a leader (or with an error).
  [[nodiscard]] absl::Status Start();
  // Stops serving and joins every thread, in reverse order of Start.
  void Stop();
  // The first fatal error of a member thread, if any (main polls it).
  [[nodiscard]] absl::Status fatal() const;

  // ---- For the gRPC services ----
  const Config& config() const { return cfg_; }
  const KvApplier& kv() const { return *kv_applier_; }
  watch::WatchableStore* watchable() const { return watch_.get(); }
  // Fills cluster_id, member_id and raft_term; the revision stays as the applier set it.
  void FillHeader(etcdserverpb::ResponseHeader* h) const;
  // Sends a write through Raft; `done` runs once it is applied or has failed.
  void Propose(internalpb::InternalRequest req, Applier::Waiter done);
  // `done` runs once a linearizable read may be served locally.
  void LinearizableRead(ReadIndexLoop::Done done);
  // Runs `fn` on the member's executor (slow waits such as a physical compaction), off the
  // gRPC and applier threads; ErrTooManyRequests when its queue is full, ErrStopped after Stop.
  // Queued work runs before Stop returns.
  [[nodiscard]] absl::Status RunInBackground(std::function<void()> fn);
  void FillStatus(etcdserverpb::StatusResponse* resp) const;
  [[nodiscard]] absl::Status HashKV(int64_t rev, etcdserverpb::HashKVResponse* resp) const;

  // ---- For the Lease service (etcd_server_lease.cc) ----
  const lease::Lessor& lessor() const { return *lessor_; }
  int64_t CurrentRevision() const { return kv_->Rev(); }
  // A fresh lease ID for a grant that names none: positive, unique per member (etcd's idutil).
  int64_t NextLeaseId();
  using RenewDone = std::function<void(absl::StatusOr<int64_t>)>;
  using TimeToLiveDone = std::function<void(absl::StatusOr<etcdserverpb::LeaseTimeToLiveResponse>)>;
  // Renews on the leader once it applied what was committed (etcd's LeaseRenew); `done` gets the
  // TTL, lease::LeaseNotFoundError or another error. On a follower: the forwarder below.
  // forward=false (the leader's side of forwarding): a follower answers "no leader".
  void RenewLease(int64_t id, RenewDone done, bool forward = true);
  // The leader's view of a lease (not found: lease::LeaseNotFoundError). On a follower: the
  // forwarder below.
  void LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& r, TimeToLiveDone done,
                       bool forward = true);
  // How a follower reaches the leader's lessor (OpenLeases installs LeasePeerClient, over the
  // peer port). Without one, a follower answers "etcdserver: no leader".
  struct LeaseForwarder {
    std::function<void(int64_t id, RenewDone)> renew;
    std::function<void(const etcdserverpb::LeaseTimeToLiveRequest&, TimeToLiveDone)> time_to_live;
  };
  void SetLeaseForwarder(LeaseForwarder f);
  // ---- Membership (Cluster service, Maintenance.MoveLeader); etcd_server_cluster.cc ----
  uint64_t member_id() const { return member_id_; }
  uint64_t cluster_id() const { return cluster_id_; }
  uint64_t leader() const { return node_->leader(); }
  bool is_leader() const { return node_->is_leader(); }
  const ClusterStore& cluster() const { return *cluster_; }
  // Proposes a conf change for member `m` (its record travels as the context); `done` runs
  // once the change is applied here or was refused.
  void ProposeConfChange(raft::ConfChangeType type, Member m, ClusterStore::Waiter done);
  // etcd's isLearnerReady, on the leader (followers forward promotions): the learner's match
  // index is within 90% of the leader's.
  bool IsLearnerReady(uint64_t id) const;
  // etcd's strict reconfiguration checks (reconfig_checks.h) when --strict-reconfig-check:
  // enough started voters and, over the last 5 s, connections to every voter (add) or to a
  // quorum after the removal.
  [[nodiscard]] absl::Status MayAddMember(bool learner) const;
  [[nodiscard]] absl::Status MayRemoveMember(uint64_t id) const;
  // On a follower: asks the leader to promote `id` (only it knows whether the learner caught
  // up); `done` gets the leader's answer, on a thread of its own.
  void ForwardPromote(uint64_t id, std::function<void(absl::Status)> done);
  // Hands leadership to `transferee`; `done` runs (on a thread of its own) once it leads.
  void MoveLeader(uint64_t transferee, std::function<void(absl::Status)> done);
  // ---- Request timeouts (etcd_server_timeout.cc) ----
  // The error of a proposal made at `start` that did not apply within the request timeout
  // (etcd's parseProposeCtxErr).
  [[nodiscard]] absl::Status ProposalTimeoutError(
      std::chrono::steady_clock::time_point start) const;
  // Streams opened with hasleader=true (require_leader.h).
  RequireLeaderStreams* leader_streams() const { return leader_streams_.get(); }

 private:
  EtcdServer(Config cfg) : cfg_(std::move(cfg)) {}
  [[nodiscard]] absl::Status OpenStorage();
  [[nodiscard]] absl::Status OpenRaft();
  [[nodiscard]] absl::Status BootstrapNew(raft::MemoryStorage* storage,
                                          std::unique_ptr<raft::RawNode>* raw);
  [[nodiscard]] absl::Status Restart(raft::MemoryStorage* storage,
                                     std::unique_ptr<raft::RawNode>* raw);
  [[nodiscard]] absl::Status JoinExisting(std::unique_ptr<raft::RawNode>* raw);
  // ---- Raft snapshots (etcd_server_snap.cc) ----
  // Opens the WAL at the newest usable snapshot (falling back to older ones) and reads it.
  [[nodiscard]] absl::Status OpenWalAtSnapshot(raft::Snapshot* snap, wal::Wal::Contents* c);
  // True (and the WAL removed) when a founding member's WAL holds no records: its first start
  // was interrupted, so it bootstraps again.
  bool WalNeverWritten(const raft::Snapshot& snap, const wal::Wal::Contents& c);
  void OpenSnapshotter();
  void SendToPeers(std::vector<raft::Message> msgs);
  // The PeerSnapshot service for the peer port (created on first use).
  grpc::Service* SnapshotService();
  // Follower: a snapshot raft accepted is made durable (node thread), then installed in order
  // with the entries (applier thread): the backend swapped in and everything rebuilt from it.
  [[nodiscard]] absl::Status PersistSnapshot(const raft::Snapshot& snap);
  void InstallSnapshot(const raft::Snapshot& snap);
  [[nodiscard]] absl::Status ApplySnapshotBackend(const std::string& db_file);
  // Restart after a crash between saving a received snapshot and installing it.
  [[nodiscard]] absl::Status RecoverSnapshotBackend(const raft::Snapshot& snap);
  [[nodiscard]] absl::Status RemoveReceivedDbsUpTo(uint64_t index);
  [[nodiscard]] absl::Status CheckInitialCluster() const;
  void PublishLoop();
  uint64_t NextRequestId();
  void FillPeerMembers(internalpb::MembersResponse* resp) const;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<raft::RawNode>> NewRawNode(uint64_t applied);
  [[nodiscard]] absl::Status StartGrpc();
  http::MemberView MakeMemberView();
  std::string RenderMetrics();
  void OnConfChange(const raft::Entry& e, const raft::ConfChange& cc, bool in_backend);
  std::unique_ptr<Transport> NewTransport();
  [[nodiscard]] absl::Status OpenLeases();
  void OnEmptyEntry(const raft::Entry& e);
  bool IsLeader() const;
  void RenewOnLeader(int64_t id, RenewDone done);
  LeaseForwarder lease_forwarder() const;
  std::vector<std::string> LeaderPeerUrls() const;
  void ExpireProposal(uint64_t id, std::chrono::steady_clock::time_point start);
  // The facts the reconfiguration checks and the timeout policy judge (reconfig_checks.h).
  PeerFacts CurrentPeerFacts() const;

  // Constant after Open.
  const Config cfg_;
  std::string member_dir_;
  uint64_t member_id_ = 0;
  uint64_t cluster_id_ = 0;
  Env* env_ = nullptr;                // the caller's, or no_sync_env_
  std::unique_ptr<Env> no_sync_env_;  // --unsafe-no-fsync: wraps the caller's env

  // Owned parts, in start order (destroyed in reverse).
  std::unique_ptr<backend::Backend> backend_;
  std::unique_ptr<mvcc::KvStore> kv_;
  std::unique_ptr<watch::WatchableStore> watch_;  // observes kv_'s write txns
  std::unique_ptr<KvApplier> kv_applier_;
  std::unique_ptr<lease::Lessor> lessor_;
  std::unique_ptr<LeaseApplier> lease_applier_;
  std::unique_ptr<LeaseTimer> lease_timer_;  // the lease timer thread (started after reads_)
  std::unique_ptr<grpc::Service> lease_peer_service_;  // on the peer port (LeasePeerService)
  std::unique_ptr<ClusterStore> cluster_;
  std::vector<Member> join_peers_;  // members learned when joining an existing cluster
  std::atomic<bool> removed_{false};
  std::unique_ptr<wal::Wal> wal_;
  std::unique_ptr<raft::MemoryStorage> raft_storage_;
  std::unique_ptr<SnapFiles> snap_files_;
  std::unique_ptr<Snapshotter> snapshotter_;
  std::unique_ptr<grpc::Service> snap_receiver_;  // on the peer port (SnapshotReceiver)
  std::unique_ptr<SnapshotSender> snap_sender_;
  std::unique_ptr<Applier> applier_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<RaftNode> node_;
  std::unique_ptr<ReadIndexLoop> reads_;
  std::unique_ptr<RequestTimeouts> timeouts_;  // of proposals; started with the node
  std::unique_ptr<RequireLeaderStreams> leader_streams_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<http::ClientPort> client_port_;  // the listeners; outlives grpc_'s calls
  std::unique_ptr<grpc::Server> grpc_;

  std::atomic<uint64_t> next_request_id_{0};
  std::atomic<uint64_t> next_lease_seq_{0};
  uint64_t lease_id_base_ = 0;  // constant after Open

  // Runs RunInBackground's work on a few threads made at Start (not a thread per request).
  std::unique_ptr<BoundedExecutor> executor_;

  mutable Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  LeaseForwarder lease_forwarder_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server
