#pragma once
// EtcdServer owns one member and nothing else: Open builds its parts in order, Start starts
// them from one ordered list, Stop stops them in reverse (docs/design/server.md). The parts:
//
//   Stores          the backend, mvcc, leases, the member list, the WAL and raft log (stores.h)
//   Bootstrap       new / restart / join: the member's raft state (bootstrap.h)
//   Applier         the apply loop over the ApplierV3 chain (apply/)
//   Transport       the peer port: raft messages, lease forwarding, snapshots (rafthttp/)
//   RaftNode        the raft driver thread; ReadIndexLoop the linearizable reads (raftnode/)
//   Proposer        request ids, proposals, their timeouts (proposer.h)
//   LeaseFrontend   lease ids, renew / TimeToLive, forwarding, expiry (lease_frontend.h)
//   ClusterOps      membership changes, promotion, leader transfer, publish (cluster_ops.h)
//   RaftSnapshots   taking, sending and installing raft snapshots (raft_snapshots.h)
//   Compactor       auto-compaction on the leader, when its retention is set (compactor/)
//   CorruptChecker  the initial and periodic corruption checks (corrupt_check.h)
//   V2Frontend      the v2 API and the leader's SYNC of v2 TTLs, with --enable-v2 (v2_frontend.h)
//   ClientServer    the client port's gRPC and HTTP server (client_server.h)
//
// The client services see the member through the views of api/v3rpc/views.h: the parts
// implement Proposals, LeaseView and ClusterView; the owner the member, KV and maintenance
// views, which read across the parts.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "common/bounded_executor.h"
#include "common/env.h"
#include "common/mutex.h"
#include "server/api/v3rpc/require_leader.h"
#include "server/api/v3rpc/views.h"
#include "server/apply/applier.h"
#include "server/apply/applier_v3.h"
#include "server/auth_frontend.h"
#include "server/client_server.h"
#include "server/cluster_ops.h"
#include "server/compactor/compactor.h"
#include "server/config.h"
#include "server/corrupt_check.h"
#include "server/lease_frontend.h"
#include "server/proposer.h"
#include "server/raft_snapshots.h"
#include "server/rafthttp/hash_peer.h"
#include "server/rafthttp/transport.h"
#include "server/raftnode/raft_node.h"
#include "server/raftnode/read_index.h"
#include "server/stores.h"
#include "server/v2_frontend.h"

namespace etcdpp::server {

class EtcdServer final : public MemberView, public KvView, public MaintenanceView {
 public:
  // Opens or bootstraps the member's data dir; nothing is served until Start(). Every file and
  // directory operation of the member but LMDB's own file I/O goes through `env` (not owned;
  // must outlive the server): tests pass a FaultInjectionEnv.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EtcdServer>> Open(const Config& cfg,
                                                                        Env* env = Env::Default());
  ~EtcdServer() override;

  // Starts the threads and the client listeners; returns once the client port accepts
  // connections (the member publishes itself in the background).
  [[nodiscard]] absl::Status Start();
  // Stops serving and joins every thread, in reverse order of Start.
  void Stop();
  // The first fatal error of a member thread, if any (main polls it).
  [[nodiscard]] absl::Status fatal() const;
  // This member was removed from the cluster (fatal() says so too): it stops, and the process
  // exits 0, as etcd's does.
  bool removed() const { return removed_.load(std::memory_order_acquire); }

  // MemberView.
  const Config& config() const override { return cfg_; }
  void FillHeader(etcdserverpb::ResponseHeader* h) const override;
  uint64_t leader() const override { return node_->leader(); }
  bool is_leader() const override { return node_->is_leader(); }
  RequireLeaderStreams* leader_streams() const override { return leader_streams_.get(); }
  // KvView.
  const KvApplier& kv() const override { return *stores_->kv_applier; }
  watch::WatchableStore* watchable() const override { return stores_->watch.get(); }
  void LinearizableRead(std::function<void(absl::Status)> done) override;
  [[nodiscard]] absl::Status RunInBackground(std::function<void()> fn) override;
  // MaintenanceView.
  void FillStatus(etcdserverpb::StatusResponse* resp) const override;
  [[nodiscard]] absl::Status HashKV(int64_t rev, etcdserverpb::HashKVResponse* resp) const override;
  [[nodiscard]] absl::Status Hash(etcdserverpb::HashResponse* resp) const override;
  void Defragment(std::function<void(absl::Status)> done) override;
  [[nodiscard]] absl::Status WriteSnapshot(
      std::function<void(uint64_t)> on_size,
      absl::FunctionRef<absl::Status(std::string_view)> write) const override;

 private:
  explicit EtcdServer(Config cfg) : cfg_(std::move(cfg)) {}
  [[nodiscard]] absl::Status Build(Env* env);
  void BuildApplier();
  void MirrorMemberInV2(uint64_t index, const raft::ConfChange& cc);
  // etcd's quotaKVServer: false when `req` would take the backend past the quota; then *done is
  // answered "database space exceeded" once the NOSPACE alarm this raises has applied.
  bool AdmitWithinQuota(const internalpb::InternalRequest& req, ApplyWaiter* done);
  void BuildCompactor(Env* env);
  void BuildCorruptChecker();
  // The initial corruption check when it is on and the member restarted (etcd checks members
  // that had data only).
  [[nodiscard]] absl::Status InitialCorruptCheck();
  RaftNode::Callbacks NodeCallbacks();
  std::unique_ptr<Transport> NewTransport();
  Views views();
  http::MemberView HttpView();
  std::string RenderMetrics();

  // Constant after Open.
  const Config cfg_;
  uint64_t member_id_ = 0;
  uint64_t cluster_id_ = 0;
  std::unique_ptr<Env> no_sync_env_;  // --unsafe-no-fsync: wraps the caller's env
  std::atomic<bool> removed_{false};  // this member was removed from the cluster
  int64_t quota_bytes_ = 0;           // --quota-backend-bytes in force; 0: no quota
  bool restarted_ = false;            // the member had a WAL when it opened

  // Owned parts, in build order (destroyed in reverse).
  std::unique_ptr<Stores> stores_;
  std::unique_ptr<BoundedExecutor> executor_;      // RunInBackground's few threads
  std::unique_ptr<ApplierV3> backend_applier_;     // the bottom of the applier chain
  std::unique_ptr<ApplierV3> alarm_gate_applier_;  // refuses writes under NOSPACE / CORRUPT
  std::unique_ptr<ApplierV3> auth_check_applier_;  // the top: etcd's authApplierV3
  std::unique_ptr<Applier> applier_;
  std::unique_ptr<grpc::Service> snap_receiver_;  // on the peer port
  std::unique_ptr<grpc::Service> hash_peer_;      // on the peer port: HashKV for the peers
  HashPeerClient hash_peer_client_;               // the corruption checks' questions
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<RaftNode> node_;
  std::unique_ptr<ReadIndexLoop> reads_;
  std::unique_ptr<Proposer> proposer_;
  std::unique_ptr<LeaseFrontend> leases_;
  std::unique_ptr<AuthFrontend> auth_;
  std::unique_ptr<ClusterOps> cluster_ops_;
  std::unique_ptr<RaftSnapshots> snapshots_;
  std::unique_ptr<RequireLeaderStreams> leader_streams_;
  std::unique_ptr<compactor::Compactor> compactor_;  // null: auto-compaction off
  std::unique_ptr<CorruptChecker> corrupt_checker_;
  std::unique_ptr<V2Frontend> v2_;  // null: --enable-v2 is off
  ClientServer client_;

  mutable Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace etcdpp::server
