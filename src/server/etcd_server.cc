#include "server/etcd_server.h"

#include <malloc.h>

#include <chrono>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/no_sync_env.h"
#include "common/status.h"
#include "common/version.h"
#include "raft/confchange.h"
#include "server/errors.h"
#include "server/kv_service.h"
#include "server/metrics.h"
#include "server/services.h"
#include "server/test_hooks.h"
#include "server/tls/peer_tls.h"
#include "server/tls/setup.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

absl::StatusOr<std::unique_ptr<EtcdServer>> EtcdServer::Open(const Config& cfg, Env* env) {
  Config tls_cfg = cfg;
  RETURN_NOT_OK(tls::PrepareTls(&tls_cfg));
  RETURN_NOT_OK(tls::SetPeerTls(tls_cfg.peer_tls));
  std::unique_ptr<EtcdServer> s(new EtcdServer(std::move(tls_cfg)));
  s->env_ = env;
  if (cfg.unsafe_no_fsync) {
    spdlog::warn(
        "--unsafe-no-fsync: the WAL, the snapshot files and the backend are never "
        "fsynced; a power loss loses acknowledged writes");
    s->no_sync_env_ = std::make_unique<NoSyncEnv>(env);
    s->env_ = s->no_sync_env_.get();
  }
  s->member_dir_ = cfg.data_dir + "/member";
  // Four workers: the publish loop holds one until the member is published; leader transfers
  // and forwarded promotions hold one for up to a request timeout; physical compactions queue.
  s->executor_ = std::make_unique<BoundedExecutor>("etcdpp-bg", 4, 65536);
  RETURN_NOT_OK(s->OpenStorage());
  RETURN_NOT_OK(s->OpenRaft());
  return s;
}

EtcdServer::~EtcdServer() { Stop(); }

// The backend and the mvcc store on it (member/snap/db).
absl::Status EtcdServer::OpenStorage() {
  // Each directory made here is durable in its parent before anything is written inside.
  RETURN_NOT_OK(env_->CreateDirsSynced(member_dir_ + "/snap"));
  backend::Options bo;
  bo.dir = member_dir_ + "/snap";
  bo.env = env_;
  bo.no_sync = cfg_.unsafe_no_fsync;
  bo.batch_interval = absl::Milliseconds(cfg_.backend_batch_interval_ms);
  bo.batch_limit = static_cast<size_t>(cfg_.backend_batch_limit);
  bo.on_commit = [](absl::Duration d) { Metrics::Get().BackendCommit(d); };
  ASSIGN_OR_RETURN(backend_, backend::Backend::Open(bo));
  ASSIGN_OR_RETURN(kv_, mvcc::KvStore::Open(backend_.get()));
  kv_applier_ = std::make_unique<KvApplier>(kv_.get());
  cluster_ = std::make_unique<ClusterStore>(backend_.get());
  watch::StoreOptions wo;
  wo.progress_interval = absl::Milliseconds(cfg_.watch_progress_notify_interval_ms);
  watch_ = std::make_unique<watch::WatchableStore>(kv_.get(), wo);
  return OpenLeases();
}

absl::StatusOr<std::unique_ptr<raft::RawNode>> EtcdServer::NewRawNode(uint64_t applied) {
  raft::Config rc;
  rc.id = member_id_;
  rc.heartbeat_tick = 1;
  rc.election_tick = static_cast<int>(cfg_.election_timeout_ms / cfg_.heartbeat_interval_ms);
  rc.storage = raft_storage_.get();
  rc.applied = applied;
  rc.max_size_per_msg = 1 << 20;
  rc.max_inflight_msgs = 512;
  rc.check_quorum = true;
  rc.pre_vote = true;
  rc.seed = std::random_device{}();
  return raft::RawNode::Open(rc);
}

// A new member writes its WAL and bootstraps raft with the initial cluster; an existing one
// replays its WAL into the raft log.
absl::Status EtcdServer::OpenRaft() {
  raft_storage_ = std::make_unique<raft::MemoryStorage>();
  snap_files_ = std::make_unique<SnapFiles>(env_, member_dir_ + "/snap");
  RETURN_NOT_OK(snap_files_->RemoveTempFiles());  // an interrupted save or receive
  std::unique_ptr<raft::RawNode> raw;
  std::string wal_dir = member_dir_ + "/wal";
  if (wal::Wal::Exists(env_, wal_dir)) {
    RETURN_NOT_OK(Restart(raft_storage_.get(), &raw));
  } else {
    RETURN_NOT_OK(BootstrapNew(raft_storage_.get(), &raw));
  }
  applier_ = std::make_unique<Applier>(kv_applier_.get(), kv_.get());
  applier_->SetLeaseApplier(lease_applier_.get());
  applier_->SetOnEmptyEntry([this](const raft::Entry& e) { OnEmptyEntry(e); });
  RaftNode::Callbacks cb;
  cb.on_committed = [this](std::vector<raft::Entry> ents) { applier_->Enqueue(std::move(ents)); };
  cb.on_dropped = [this](uint64_t id, absl::Status) {
    Metrics::Get().ProposalFailed();
    applier_->Fail(id, ErrProposalDropped());
    cluster_->Wake(id, ErrProposalDropped());
  };
  applier_->SetMemberAttributesHook([this](const internalpb::MemberAttributes& a) {
    cluster_->SetAttributes(a.id(), a.name(), {a.client_urls().begin(), a.client_urls().end()});
  });
  applier_->SetConfChangeHook([this](const raft::Entry& e, const raft::ConfChange& cc,
                                     bool in_backend) { OnConfChange(e, cc, in_backend); });
  cb.on_read_state = [this](const raft::ReadState& rs) { reads_->OnReadState(rs); };
  cb.persist_snapshot = [this](const raft::Snapshot& snap) { return PersistSnapshot(snap); };
  cb.on_snapshot = [this](const raft::Snapshot& snap) {
    applier_->EnqueueTask([this, snap] { InstallSnapshot(snap); });
  };
  transport_ = NewTransport();
  for (const Member& m : join_peers_) transport_->AddPeer(m.id, m.peer_urls);
  for (const Member& m : cluster_->Members()) transport_->AddPeer(m.id, m.peer_urls);
  cb.send = [this](std::vector<raft::Message> msgs) { SendToPeers(std::move(msgs)); };
  int election_ticks = static_cast<int>(cfg_.election_timeout_ms / cfg_.heartbeat_interval_ms);
  std::chrono::milliseconds request_timeout = RequestTimeoutFor(cfg_.election_timeout_ms);
  node_ = std::make_unique<RaftNode>(
      RaftNode::Options{.id = member_id_,
                        .tick_ms = static_cast<int64_t>(cfg_.heartbeat_interval_ms),
                        .advance_ticks = election_ticks - 1,
                        .request_timeout_ms = request_timeout.count()},
      std::move(raw), raft_storage_.get(), wal_.get(), std::move(cb));
  reads_ = std::make_unique<ReadIndexLoop>(node_.get(), applier_.get(), request_timeout);
  OpenSnapshotter();
  timeouts_ = std::make_unique<RequestTimeouts>(
      request_timeout,
      [this](uint64_t id, RequestTimeouts::Clock::time_point start) { ExpireProposal(id, start); });
  leader_streams_ = std::make_unique<RequireLeaderStreams>(
      [this] { return node_->leader(); }, std::chrono::milliseconds(cfg_.election_timeout_ms));
  return absl::OkStatus();
}

absl::Status EtcdServer::BootstrapNew(raft::MemoryStorage* storage,
                                      std::unique_ptr<raft::RawNode>* raw) {
  if (cfg_.initial_cluster_state == "existing") return JoinExisting(raw);
  ASSIGN_OR_RETURN(std::vector<Member> members,
                   ParseInitialCluster(cfg_.initial_cluster, cfg_.initial_cluster_token));
  std::vector<uint64_t> ids;
  std::vector<raft::Peer> peers;
  for (Member& m : members) {
    ids.push_back(m.id);
    if (m.name == cfg_.name) member_id_ = m.id;
  }
  if (member_id_ == 0) {
    return absl::InvalidArgumentError(absl::StrCat("couldn't find local name \"", cfg_.name,
                                                   "\" in the initial cluster configuration"));
  }
  cluster_id_ = ComputeClusterId(ids);
  for (const Member& m : members) peers.push_back(raft::Peer{m.id, EncodeMember(m)});
  internalpb::WalMetadata md;
  md.set_node_id(member_id_);
  md.set_cluster_id(cluster_id_);
  ASSIGN_OR_RETURN(wal_, wal::Wal::Create(env_, member_dir_ + "/wal", md.SerializeAsString()));
  ASSIGN_OR_RETURN(*raw, NewRawNode(0));
  return (*raw)->Bootstrap(peers);
}

absl::Status EtcdServer::Restart(raft::MemoryStorage* storage,
                                 std::unique_ptr<raft::RawNode>* raw) {
  raft::Snapshot snap;
  wal::Wal::Contents c;
  RETURN_NOT_OK(OpenWalAtSnapshot(&snap, &c));
  if (WalNeverWritten(snap, c)) return BootstrapNew(storage, raw);
  internalpb::WalMetadata md;
  if (!md.ParseFromString(c.metadata)) {
    return absl::DataLossError(
        absl::StrCat("cannot decode the WAL metadata in ", member_dir_, "/wal"));
  }
  member_id_ = md.node_id();
  cluster_id_ = md.cluster_id();
  RETURN_NOT_OK(CheckInitialCluster());
  if (!snap.IsEmpty()) {
    RETURN_NOT_OK(RecoverSnapshotBackend(snap));
    if (kv_->ConsistentIndex() < snap.metadata.index) {
      return absl::DataLossError(absl::StrCat(
          "the backend ", backend_->path(), " holds entries up to index ", kv_->ConsistentIndex(),
          ", older than the snapshot at index ", snap.metadata.index));
    }
    RETURN_NOT_OK(storage->ApplySnapshot(snap));
  }
  spdlog::info("restarting member {:x} in cluster {:x} at commit index {}", member_id_, cluster_id_,
               c.state.commit);
  spdlog::info("replaying {} WAL entries after the snapshot at index {} (backend at index {})",
               c.entries.size(), snap.metadata.index, kv_->ConsistentIndex());
  if (!c.state.IsEmpty()) RETURN_NOT_OK(storage->SetHardState(c.state));
  if (!c.entries.empty()) RETURN_NOT_OK(storage->Append(c.entries));
  // The read copy of the log lies below the storage's in the heap: free it and hand its pages
  // back (glibc keeps freed memory below the top of the heap otherwise; with 1,000,000 entries
  // that is a few hundred MiB of RSS for the life of the process).
  std::vector<raft::Entry>().swap(c.entries);
  malloc_trim(0);
  ASSIGN_OR_RETURN(*raw, NewRawNode(0));
  return absl::OkStatus();
}

std::unique_ptr<Transport> EtcdServer::NewTransport() {
  Transport::Options to{member_id_, cluster_id_, cfg_.listen_peer_urls,
                        member_dir_ + "/../peer-faults"};
  to.extra_services.push_back(lease_peer_service_.get());
  to.extra_services.push_back(SnapshotService());
  Transport::Hooks hooks;
  hooks.deliver = [this](raft::Message m) { node_->Step(std::move(m)); };
  hooks.report_unreachable = [this](uint64_t id) { node_->ReportUnreachable(id); };
  hooks.report_snapshot = [this](uint64_t id, bool failure) { node_->ReportSnapshot(id, failure); };
  hooks.is_removed = [this](uint64_t id) { return cluster_->IsRemoved(id); };
  hooks.removed_self = [this] {
    if (!removed_.exchange(true))
      spdlog::warn("the member has been permanently removed from the cluster");
  };
  hooks.members = [this](internalpb::MembersResponse* resp) { FillPeerMembers(resp); };
  return std::make_unique<Transport>(std::move(to), std::move(hooks));
}

// Applier thread, in log order: the member buckets change with the entry's consistent index,
// so a raft snapshot or a snapshot install can never separate a conf change from the member
// list it made (the raft configuration itself changed on the node thread).
void EtcdServer::OnConfChange(const raft::Entry&, const raft::ConfChange& cc, bool in_backend) {
  if (!in_backend) cluster_->ApplyConfChange(cc);
  if (cc.type == raft::ConfChangeType::kRemoveNode) {
    transport_->RemovePeer(cc.node_id);
    if (cc.node_id == member_id_) {
      spdlog::warn("the member has been permanently removed from the cluster");
      removed_.store(true, std::memory_order_release);
    }
  } else if (std::optional<Member> m = cluster_->Get(cc.node_id); m.has_value()) {
    transport_->AddPeer(m->id, m->peer_urls);
  }
  internalpb::MemberRecord rec;
  if (rec.ParseFromString(cc.context) && rec.request_id() != 0) {
    cluster_->Wake(rec.request_id(), absl::OkStatus());
  }
}

absl::Status EtcdServer::Start() {
  executor_->Start();
  applier_->Start();
  RETURN_NOT_OK(transport_->Start());
  node_->Start();
  timeouts_->Start();
  leader_streams_->Start();
  reads_->Start();
  lease_timer_->Start();
  RETURN_NOT_OK(StartGrpc());
  return RunInBackground([this] { PublishLoop(); });
}

void EtcdServer::Stop() {
  {
    MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (client_port_) client_port_->StopAccepting();
  if (grpc_) grpc_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  if (lease_timer_) lease_timer_->Stop();
  if (reads_) reads_->Stop();
  if (timeouts_) timeouts_->Stop();
  if (leader_streams_) leader_streams_->Stop();
  if (node_) node_->Stop();
  if (snap_sender_) snap_sender_->Stop();
  if (transport_) transport_->Stop();
  if (cluster_) cluster_->FailAll(ErrStopped());
  if (applier_) applier_->Stop();
  if (executor_) executor_->Stop();  // after the applier: its waits end, failed or done
  if (grpc_) grpc_->Wait();
  client_port_.reset();
  if (backend_) (void)backend_->ForceCommit();
}

absl::Status EtcdServer::fatal() const {
  if (removed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError(
        "the member has been permanently removed from the cluster");
  }
  if (snapshotter_ && !snapshotter_->fatal().ok()) return snapshotter_->fatal();
  return node_ ? node_->fatal() : absl::OkStatus();
}

void EtcdServer::FillHeader(pb::ResponseHeader* h) const {
  h->set_cluster_id(cluster_id_);
  h->set_member_id(member_id_);
  h->set_raft_term(node_->term());
}

void EtcdServer::Propose(internalpb::InternalRequest req, Applier::Waiter done) {
  uint64_t id = NextRequestId();
  if (id == 0) id = 1;
  req.set_id(id);
  std::string data = req.SerializeAsString();
  if (data.size() > cfg_.max_request_bytes) {
    done(ApplyResult{ErrRequestTooLarge(), nullptr, nullptr});
    return;
  }
  // With no leader the proposal waits in the node for one, until it times out (etcd 3.4).
  Metrics::Get().ProposalStarted();
  applier_->Register(id, [done = std::move(done)](ApplyResult r) {
    Metrics::Get().ProposalDone();
    done(std::move(r));
  });
  timeouts_->Track(id);
  node_->Propose(id, std::move(data));
}

void EtcdServer::LinearizableRead(ReadIndexLoop::Done done) { reads_->Read(std::move(done)); }

absl::Status EtcdServer::RunInBackground(std::function<void()> fn) {
  absl::Status st = executor_->Submit(std::move(fn));
  if (absl::IsResourceExhausted(st)) return ErrTooManyRequests();
  return st.ok() ? st : ErrStopped();
}

void EtcdServer::FillStatus(pb::StatusResponse* resp) const {
  FillHeader(resp->mutable_header());
  resp->mutable_header()->set_revision(kv_->Rev());
  resp->set_version(kApiVersion);
  resp->set_dbsize(backend_->Size());
  resp->set_dbsizeinuse(backend_->SizeInUse());
  resp->set_leader(node_->leader());
  resp->set_raftindex(node_->commit_index());
  resp->set_raftterm(node_->term());
  resp->set_raftappliedindex(applier_->applied_index());
  resp->set_dbsizequota(cfg_.quota_backend_bytes > 0 ? cfg_.quota_backend_bytes : 2LL << 30);
}

absl::Status EtcdServer::HashKV(int64_t rev, pb::HashKVResponse* resp) const {
  ASSIGN_OR_RETURN(mvcc::HashResult h, kv_->HashByRev(rev));
  FillHeader(resp->mutable_header());
  resp->mutable_header()->set_revision(h.revision);
  resp->set_hash(h.hash);
  resp->set_compact_revision(h.compact_revision);
  resp->set_hash_revision(h.revision);
  return absl::OkStatus();
}

}  // namespace etcdpp::server

namespace etcdpp::server {

// One gRPC server behind every --listen-client-urls socket, which also serves HTTP/1.1 (the
// JSON gateway, /health, /version, /metrics): see http/client_port.h.
absl::Status EtcdServer::StartGrpc() {
  http::ClientPort::Options po;
  po.addresses = http::ClientAddresses(cfg_.listen_client_urls);
  po.tls = cfg_.client_tls;
  po.max_concurrent_streams = cfg_.max_concurrent_streams;
  po.max_request_body = 2 * (cfg_.max_request_bytes + kGrpcOverheadBytes);
  po.serve_http = !GetTestHooks().no_client_http;  // measurement baseline only
  for (const Url& u : cfg_.listen_metrics_urls) {
    if (u.scheme != "http") {
      return absl::UnimplementedError(
          absl::StrCat("TLS metrics URLs are not supported yet: ", u.ToString()));
    }
    po.metrics_addresses.push_back({u.host, u.port});
    spdlog::info("listening for metrics on {}", u.ToString());
  }
  if (cfg_.metrics == "extensive") Metrics::Get().EnableHandlingTimeHistogram();
  for (const char* svc :
       {"etcdserverpb.KV", "etcdserverpb.Watch", "etcdserverpb.Lease", "etcdserverpb.Cluster",
        "etcdserverpb.Auth", "etcdserverpb.Maintenance"}) {
    Metrics::Get().PreRegisterGrpcService(svc);  // as etcd's grpc_prometheus.Register
  }
  ASSIGN_OR_RETURN(client_port_, http::ClientPort::Listen(po));
  grpc::ServerBuilder builder;
  client_port_->AddTo(&builder);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(Metrics::Get().GrpcInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(2 * (cfg_.max_request_bytes + kGrpcOverheadBytes)));
  builder.SetMaxSendMessageSize(INT32_MAX);
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONCURRENT_STREAMS,
      static_cast<int>(std::min<uint32_t>(cfg_.max_concurrent_streams, INT32_MAX)));
  services_ = MakeClientServices(this);
  for (auto& svc : services_) builder.RegisterService(svc.get());
  grpc_ = builder.BuildAndStart();
  if (grpc_ == nullptr) return absl::InternalError("cannot start the gRPC server");
  return client_port_->Start(grpc_.get(), MakeMemberView());
}

http::MemberView EtcdServer::MakeMemberView() {
  http::MemberView v;
  v.leader = [this] { return node_->leader(); };
  v.metrics = [this] { return RenderMetrics(); };
  v.on_health = [](bool ok) { Metrics::Get().Health(ok); };
  v.server_version = kApiVersion;
  v.cluster_version = kApiVersion;
  return v;
}

}  // namespace etcdpp::server

namespace etcdpp::server {

// The state gauges of /metrics, sampled now.
std::string EtcdServer::RenderMetrics() {
  MetricsSample s;
  s.has_leader = node_->leader() != 0;
  s.is_leader = node_->leader() == member_id_;
  s.committed_index = node_->commit_index();
  s.applied_index = applier_->applied_index();
  s.db_size = backend_->Size();
  s.db_size_in_use = backend_->SizeInUse();
  static const std::string kZero(1, '\0');
  absl::StatusOr<mvcc::RangeResult> all =
      kv_->Range(kZero, kZero, mvcc::RangeOptions{.count_only = true});
  if (all.ok()) s.keys = all->count;
  return Metrics::Get().Render(s);
}

}  // namespace etcdpp::server
