#include "server/etcd_server.h"

#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "backend/bbolt/sink.h"
#include "common/crc32c.h"
#include "common/no_sync_env.h"
#include "common/status.h"
#include "common/version.h"
#include "server/bootstrap.h"
#include "server/errors.h"
#include "server/etcdfmt/etcd_export.h"
#include "server/etcdfmt/etcd_import.h"
#include "server/log/zap_log.h"
#include "server/metrics/metrics.h"
#include "server/rafthttp/snapshot_receiver.h"
#include "server/snap/snap_metrics.h"
#include "server/tls/peer_tls.h"
#include "server/tls/setup.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

constexpr int64_t kDefaultQuotaBytes = int64_t{2} << 30;  // etcd's DefaultQuotaBytes
constexpr int64_t kMaxQuotaBytes = int64_t{8} << 30;      // etcd's MaxQuotaBytes

// etcd's NewBackendQuota: negative disables the quota, 0 means the default.
int64_t QuotaBytes(int64_t flag) {
  if (flag < 0) {
    SPDLOG_WARN("disabled backend quota (--quota-backend-bytes={})", flag);
    return 0;
  }
  if (flag == 0) {
    SPDLOG_INFO("enabled backend quota with default value ({} bytes)", kDefaultQuotaBytes);
    return kDefaultQuotaBytes;
  }
  if (flag > kMaxQuotaBytes) {
    SPDLOG_WARN(
        "quota exceeds the maximum value: backend quota {} exceeds maximum recommended "
        "quota {}",
        flag, kMaxQuotaBytes);
  }
  SPDLOG_INFO("enabled backend quota ({} bytes)", flag);
  return flag;
}

// One part's start, in Start's list.
struct Step {
  const char* name;
  std::function<absl::Status()> start;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdServer>> EtcdServer::Open(const Config& cfg, Env* env) {
  Config tls_cfg = cfg;
  RETURN_NOT_OK(tls::PrepareTls(&tls_cfg));
  RETURN_NOT_OK(tls::SetPeerTls(tls_cfg.peer_tls));
  std::unique_ptr<EtcdServer> s(new EtcdServer(std::move(tls_cfg)));
  RETURN_NOT_OK(s->Build(env));
  return s;
}

EtcdServer::~EtcdServer() { Stop(); }

namespace {

// Go's os.FileMode.String() of a permission: "-rwx------", "drwxr-xr-x".
std::string GoModeString(mode_t mode, bool dir) {
  std::string out(1, dir ? 'd' : '-');
  const char* rwx = "rwx";
  for (int i = 8; i >= 0; --i) out.push_back((mode & (1u << i)) ? rwx[(8 - i) % 3] : '-');
  return out;
}

// etcd's TouchDirAll check: a data dir others may read is warned about (etcd creates it 0700).
void WarnIfDataDirIsNotPrivate(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  const mode_t perm = st.st_mode & 0777;
  if (perm == 0700) return;
  SPDLOG_WARN(
      "{}", log::With("check file permission",
                      log::Fields().Str("error", absl::StrCat("directory \"", dir,
                                                              "\" exist, but the permission is \"",
                                                              GoModeString(perm, true),
                                                              "\". The recommended permission is "
                                                              "\"-rwx------\" to prevent possible "
                                                              "unprivileged access to the data"))));
}

}  // namespace

// The parts in dependency order. Callbacks between parts built later are lambdas on `this`:
// none runs before Start.
absl::Status EtcdServer::Build(Env* env) {
  if (cfg_.unsafe_no_fsync) {
    SPDLOG_WARN(
        "--unsafe-no-fsync: the WAL, the snapshot files and the backend are never "
        "fsynced; a power loss loses acknowledged writes");
    no_sync_env_ = std::make_unique<NoSyncEnv>(env);
    env = no_sync_env_.get();
  }
  WarnIfDataDirIsNotPrivate(cfg_.data_dir);
  RETURN_NOT_OK(etcdfmt::AdoptEtcdDataDir(env, cfg_.data_dir, cfg_.wal_dir));
  ASSIGN_OR_RETURN(stores_, OpenStores(cfg_, env, cfg_.data_dir + "/member"));
  quota_bytes_ = QuotaBytes(cfg_.quota_backend_bytes);
  // Four workers: the publish loop holds one until the member is published; leader transfers
  // and forwarded promotions hold one for up to a request timeout; physical compactions queue.
  executor_ = std::make_unique<BoundedExecutor>("etcdpp-bg", 4, 65536);
  Stores* st = stores_.get();
  ASSIGN_OR_RETURN(Bootstrapped boot, Bootstrap(cfg_, st, [st](const std::string& db) {
                     return st->SwapInBackend(db);
                   }));
  member_id_ = boot.member_id;
  Metrics::Get().SetServerId(member_id_);
  snap_metrics::Register();
  cluster_id_ = boot.cluster_id;
  restarted_ = boot.restarted;
  if (st->cluster->IsRemoved(member_id_)) removed_.store(true);
  BuildApplier();

  const std::chrono::milliseconds request_timeout = RequestTimeoutFor(cfg_.election_timeout_ms);
  const int election_ticks =
      static_cast<int>(cfg_.election_timeout_ms / cfg_.heartbeat_interval_ms);
  node_ = std::make_unique<RaftNode>(
      RaftNode::Options{.id = member_id_,
                        .tick_ms = static_cast<int64_t>(cfg_.heartbeat_interval_ms),
                        .advance_ticks = election_ticks - 1,
                        .request_timeout_ms = request_timeout.count()},
      std::move(boot.raw), st->raft_storage.get(), st->wal.get(), NodeCallbacks());
  reads_ = std::make_unique<ReadIndexLoop>(node_.get(), applier_.get(), request_timeout);

  const uint64_t start_ms = env->WallMicros() / 1000;  // ids differ from a previous run's
  Proposer::Deps pd;
  pd.propose = [this](uint64_t id, std::string data) { node_->Propose(id, std::move(data)); };
  pd.propose_conf_change = [this](uint64_t id, raft::ConfChange cc) {
    node_->ProposeConfChange(id, std::move(cc));
  };
  pd.unqueue = [this](uint64_t id) { return node_->Unqueue(id); };
  pd.register_waiter = [this](uint64_t id, ApplyWaiter w) { applier_->Register(id, std::move(w)); };
  pd.fail_waiter = [this](uint64_t id, const std::function<absl::Status()>& make) {
    return applier_->FailWith(id, make);
  };
  pd.register_member_waiter = [st](uint64_t id, ClusterStore::Waiter w) {
    st->cluster->RegisterWaiter(id, std::move(w));
  };
  pd.member_waiting = [st](uint64_t id) { return st->cluster->IsWaiting(id); };
  pd.wake_member_waiter = [st](uint64_t id, absl::Status s) { st->cluster->Wake(id, s); };
  pd.timeout_facts = [this] { return cluster_ops_->CurrentTimeoutFacts(); };
  pd.admit = [this](const internalpb::InternalRequest& req, ApplyWaiter* done) {
    return AdmitWithinQuota(req, done);
  };
  proposer_ =
      std::make_unique<Proposer>(Proposer::Options{.member_id = member_id_,
                                                   .max_request_bytes = cfg_.max_request_bytes,
                                                   .request_timeout = request_timeout,
                                                   .start_ms = start_ms},
                                 std::move(pd));

  leases_ = std::make_unique<LeaseFrontend>(LeaseFrontend::Deps{
      .member_id = member_id_,
      .start_ms = start_ms,
      .election_timeout = absl::Milliseconds(static_cast<int64_t>(cfg_.election_timeout_ms)),
      .lessor = st->lessor.get(),
      .kv = st->kv.get(),
      .node = node_.get(),
      .applier = applier_.get(),
      .proposals = proposer_.get(),
      .cluster = st->cluster.get()});

  ASSIGN_OR_RETURN(auth_,
                   AuthFrontend::Create(
                       cfg_, AuthFrontend::Deps{.store = st->auth.get(), .applied_index = [this] {
                                                  return applier_->applied_index();
                                                }}));

  snap_receiver_ = std::make_unique<SnapshotReceiver>(
      env, st->snap_dir(), cluster_id_, [this](raft::Message m) { node_->Step(std::move(m)); });
  hash_peer_ = std::make_unique<HashPeerService>(
      [this](int64_t rev, pb::HashKVResponse* resp) { return HashKV(rev, resp); });
  transport_ = NewTransport();
  for (const Member& m : boot.join_peers) transport_->AddPeer(m.id, m.peer_urls);
  for (const Member& m : st->cluster->Members()) transport_->AddPeer(m.id, m.peer_urls);

  cluster_ops_ = std::make_unique<ClusterOps>(ClusterOps::Deps{
      .cfg = &cfg_,
      .member_id = member_id_,
      .cluster_id = cluster_id_,
      .cluster = st->cluster.get(),
      .node = node_.get(),
      .proposer = proposer_.get(),
      .transport = transport_.get(),
      .run_in_background =
          [this](std::function<void()> fn) { return RunInBackground(std::move(fn)); },
      .removed = &removed_});
  snapshots_ =
      std::make_unique<RaftSnapshots>(RaftSnapshots::Deps{.cfg = &cfg_,
                                                          .member_id = member_id_,
                                                          .cluster_id = cluster_id_,
                                                          .stores = st,
                                                          .node = node_.get(),
                                                          .applier = applier_.get(),
                                                          .transport = transport_.get(),
                                                          .cluster_ops = cluster_ops_.get()});
  leader_streams_ = std::make_unique<RequireLeaderStreams>(
      [this] { return node_->leader(); }, std::chrono::milliseconds(cfg_.election_timeout_ms));
  BuildCompactor(env);
  BuildCorruptChecker();
  if (cfg_.enable_v2) {
    v2_ = std::make_unique<V2Frontend>(V2Frontend::Deps{.cfg = &cfg_,
                                                        .member_id = member_id_,
                                                        .cluster_id = cluster_id_,
                                                        .stores = st,
                                                        .proposer = proposer_.get(),
                                                        .node = node_.get()});
  }
  return absl::OkStatus();
}

// etcd's v2 store holds the member list too (V2Store::MirrorMember), after the cluster store.
void EtcdServer::MirrorMemberInV2(uint64_t index, const raft::ConfChange& cc) {
  Stores* st = stores_.get();
  std::optional<Member> m = st->cluster->Get(cc.node_id);
  if (cc.type == raft::ConfChangeType::kRemoveNode) {
    st->v2->MirrorMember(cc.node_id, nullptr, false, st->kv.get(), index);
  } else if (m.has_value()) {
    st->v2->MirrorMember(m->id, &m->peer_urls, m->is_learner, st->kv.get(), index);
  }
}

// The corruption checks ask the peers over the peer port; the leader raises CORRUPT as the
// member itself (no auth check), for the member at fault.
void EtcdServer::BuildCorruptChecker() {
  CorruptChecker::Deps d;
  d.member_id = member_id_;
  d.request_timeout = RequestTimeoutFor(cfg_.election_timeout_ms);
  d.interval = cfg_.corrupt_check_time;
  d.local_hash = [kv = stores_->kv.get()]() -> absl::StatusOr<KvHash> {
    ASSIGN_OR_RETURN(mvcc::HashResult h, kv->HashByRev(0));
    return KvHash{.hash = h.hash, .revision = h.revision, .compact_revision = h.compact_revision};
  };
  d.peers = [cluster = stores_->cluster.get()] {
    std::vector<CorruptChecker::Peer> peers;
    for (const Member& m : cluster->Members()) peers.push_back({m.id, m.peer_urls});
    return peers;
  };
  d.peer_hash = [this](const std::string& url, int64_t rev, std::chrono::milliseconds timeout) {
    return hash_peer_client_.HashKV(url, rev, timeout);
  };
  d.is_leader = [this] { return node_->is_leader(); };
  d.linearizable_read = [this](std::function<void(absl::Status)> done) {
    reads_->Read(std::move(done));
  };
  d.raise_corrupt = [this](uint64_t member) {
    internalpb::InternalRequest req;
    req.mutable_auth_header()->set_system(true);
    req.mutable_alarm()->set_action(pb::AlarmRequest::ACTIVATE);
    req.mutable_alarm()->set_memberid(member);
    req.mutable_alarm()->set_alarm(pb::CORRUPT);
    proposer_->Propose(std::move(req), [member](const ApplyResult& r) {
      if (!r.status.ok()) {
        SPDLOG_WARN("failed to raise the CORRUPT alarm for member {:x}: {}", member,
                    r.status.ToString());
      }
    });
  };
  corrupt_checker_ = std::make_unique<CorruptChecker>(std::move(d));
}

absl::Status EtcdServer::InitialCorruptCheck() {
  if (!cfg_.initial_corrupt_check || !restarted_) return absl::OkStatus();
  return corrupt_checker_->InitialCheck();
}

// --auto-compaction-*: the leader proposes Compaction requests as a client's Compact would,
// as the member itself (no auth check, as lease expiry's revocations).
void EtcdServer::BuildCompactor(Env* env) {
  auto clock = std::make_unique<compactor::RealClock>(env);
  std::unique_ptr<compactor::Schedule> schedule = compactor::ScheduleFor(cfg_, clock->Now());
  if (schedule == nullptr) return;
  compactor::Compactor::Deps d;
  d.current_rev = [kv = stores_->kv.get()] { return kv->Rev(); };
  d.is_leader = [this] { return node_->is_leader(); };
  d.compact = [this](int64_t rev, std::function<void(absl::Status)> done) {
    internalpb::InternalRequest req;
    req.mutable_auth_header()->set_system(true);
    req.mutable_compaction()->set_revision(rev);
    proposer_->Propose(std::move(req),
                       [done = std::move(done)](ApplyResult r) { done(std::move(r.status)); });
  };
  compactor_ =
      std::make_unique<compactor::Compactor>(std::move(schedule), std::move(clock), std::move(d));
}

// The applier chain (the auth checks, then the alarm gate, over the backend applier) and the
// apply loop's hooks into the parts. The quota is checked before proposing (AdmitWithinQuota).
void EtcdServer::BuildApplier() {
  Stores* st = stores_.get();
  backend_applier_ = std::make_unique<BackendApplier>(
      st->kv_applier.get(), st->lease_applier.get(), st->auth_applier.get(),
      st->alarm_applier.get(),
      [cluster = st->cluster.get()](const internalpb::MemberAttributes& a) {
        cluster->SetAttributes(a.id(), a.name(), {a.client_urls().begin(), a.client_urls().end()});
      },
      st->kv.get(), st->v2.get());
  alarm_gate_applier_ =
      std::make_unique<AlarmGateApplier>(backend_applier_.get(), st->alarms.get());
  auth_check_applier_ = std::make_unique<AuthCheckApplier>(alarm_gate_applier_.get(),
                                                           st->auth.get(), st->lessor.get());
  applier_ = std::make_unique<Applier>(auth_check_applier_.get(), st->kv.get());
  applier_->SetOnEmptyEntry([this](const raft::Entry& e) { leases_->OnEmptyEntry(e); });
  applier_->SetConfChangeHook(
      [this](const raft::Entry& e, const raft::ConfChange& cc, bool in_backend) {
        cluster_ops_->OnConfChange(cc, in_backend);
        if (!in_backend) MirrorMemberInV2(e.index, cc);
      });
  applier_->SetAfterBatch([this](uint64_t applied) { snapshots_->AfterBatch(applied); });
}

RaftNode::Callbacks EtcdServer::NodeCallbacks() {
  RaftNode::Callbacks cb;
  cb.on_committed = [this](std::vector<raft::Entry> ents) { applier_->Enqueue(std::move(ents)); };
  cb.on_dropped = [this](uint64_t id, absl::Status) {
    Metrics::Get().ProposalFailed();
    applier_->Fail(id, ErrProposalDropped());
    stores_->cluster->Wake(id, ErrProposalDropped());
  };
  cb.on_read_state = [this](const raft::ReadState& rs) { reads_->OnReadState(rs); };
  cb.send = [this](std::vector<raft::Message> msgs) { snapshots_->Send(std::move(msgs)); };
  cb.persist_snapshot = [this](const raft::Snapshot& snap) { return snapshots_->Persist(snap); };
  cb.on_snapshot = [this](const raft::Snapshot& snap) {
    applier_->EnqueueTask([this, snap] { snapshots_->Install(snap); });
  };
  return cb;
}

std::unique_ptr<Transport> EtcdServer::NewTransport() {
  Transport::Options to{member_id_, cluster_id_, cfg_.listen_peer_urls,
                        stores_->member_dir + "/../peer-faults"};
  to.extra_services.push_back(leases_->peer_service());
  to.extra_services.push_back(snap_receiver_.get());
  to.extra_services.push_back(hash_peer_.get());
  Transport::Hooks hooks;
  hooks.deliver = [this](raft::Message m) { node_->Step(std::move(m)); };
  hooks.report_unreachable = [this](uint64_t id) { node_->ReportUnreachable(id); };
  hooks.report_snapshot = [this](uint64_t id, bool failure) { node_->ReportSnapshot(id, failure); };
  hooks.is_removed = [this](uint64_t id) { return stores_->cluster->IsRemoved(id); };
  hooks.removed_self = [this] {
    if (!removed_.exchange(true))
      SPDLOG_WARN("the member has been permanently removed from the cluster");
  };
  hooks.members = [this](internalpb::MembersResponse* resp) {
    cluster_ops_->FillPeerMembers(resp);
  };
  return std::make_unique<Transport>(std::move(to), std::move(hooks));
}

absl::Status EtcdServer::Start() {
  for (const Step& s : std::initializer_list<Step>{
           {"executor", [this] { return (executor_->Start(), absl::OkStatus()); }},
           {"applier", [this] { return (applier_->Start(), absl::OkStatus()); }},
           {"transport", [this] { return transport_->Start(); }},
           // etcd checks before its raft starts: the hash of what the member had on disk.
           {"initial corruption check", [this] { return InitialCorruptCheck(); }},
           {"raft node", [this] { return (node_->Start(), absl::OkStatus()); }},
           {"proposal timeouts", [this] { return (proposer_->Start(), absl::OkStatus()); }},
           {"require-leader streams",
            [this] { return (leader_streams_->Start(), absl::OkStatus()); }},
           {"read index", [this] { return (reads_->Start(), absl::OkStatus()); }},
           {"lease expiry", [this] { return (leases_->Start(), absl::OkStatus()); }},
           {"auto compaction",
            [this] { return (compactor_ ? compactor_->Start() : void(), absl::OkStatus()); }},
           {"corruption check", [this] { return (corrupt_checker_->Start(), absl::OkStatus()); }},
           {"password pool", [this] { return (auth_->Start(), absl::OkStatus()); }},
           {"v2 sync", [this] { return (v2_ ? v2_->Start() : void(), absl::OkStatus()); }},
           {"client port",
            [this] { return StartClientServer(cfg_, views(), HttpView(), &client_); }},
       }) {
    RETURN_NOT_OK_PREPEND(s.start(), absl::StrCat("start ", s.name));
  }
  return RunInBackground([this] { cluster_ops_->PublishLoop(); });
}

void EtcdServer::Stop() {
  {
    MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (cluster_ops_) cluster_ops_->Stop();  // the publish loop and promotion forwarding
  // Start's list in reverse, also for parts that never started (each Stop is safe then); the
  // snapshot sender's streams end before the transport, waiters of member changes before the
  // applier, and gRPC's last calls after the executor's work.
  client_.StopAccepting();
  client_.Shutdown();
  if (v2_) v2_->Stop();
  if (auth_) auth_->Stop();
  if (corrupt_checker_) corrupt_checker_->Stop();
  if (compactor_) compactor_->Stop();
  if (leases_) leases_->Stop();
  if (reads_) reads_->Stop();
  if (leader_streams_) leader_streams_->Stop();
  if (proposer_) proposer_->Stop();
  if (node_) node_->Stop();
  if (snapshots_) snapshots_->Stop();
  if (transport_) transport_->Stop();
  if (stores_) stores_->cluster->FailAll(ErrStopped());
  if (applier_) applier_->Stop();
  if (executor_) executor_->Stop();  // after the applier: its waits end, failed or done
  client_.Wait();
  if (stores_) (void)stores_->backend->ForceCommit();
}

absl::Status EtcdServer::fatal() const {
  if (removed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError(
        "the member has been permanently removed from the cluster");
  }
  if (snapshots_ && !snapshots_->fatal().ok()) return snapshots_->fatal();
  if (stores_ && !stores_->backend->failed().ok()) return stores_->backend->failed();
  return node_ ? node_->fatal() : absl::OkStatus();
}

Views EtcdServer::views() {
  return Views{.member = this,
               .proposals = proposer_.get(),
               .kv = this,
               .lease = leases_.get(),
               .cluster = cluster_ops_.get(),
               .maintenance = this,
               .auth = auth_.get()};
}

void EtcdServer::FillHeader(pb::ResponseHeader* h) const {
  h->set_cluster_id(cluster_id_);
  h->set_member_id(member_id_);
  h->set_raft_term(node_->term());
}

void EtcdServer::LinearizableRead(std::function<void(absl::Status)> done) {
  reads_->Read(std::move(done));
}

absl::Status EtcdServer::RunInBackground(std::function<void()> fn) {
  absl::Status st = executor_->Submit(std::move(fn));
  if (absl::IsResourceExhausted(st)) return ErrTooManyRequests();
  return st.ok() ? st : ErrStopped();
}

void EtcdServer::FillStatus(pb::StatusResponse* resp) const {
  FillHeader(resp->mutable_header());
  resp->mutable_header()->set_revision(stores_->kv->Rev());
  resp->set_version(kApiVersion);
  resp->set_dbsize(stores_->backend->Size());
  resp->set_dbsizeinuse(stores_->backend->SizeInUse());
  resp->set_leader(node_->leader());
  resp->set_raftindex(node_->commit_index());
  resp->set_raftterm(node_->term());
  resp->set_raftappliedindex(applier_->applied_index());
  resp->set_dbsizequota(quota_bytes_);
  // 3.5/3.6's fields: whether this member is a learner, the storage version (etcd 3.6 writes
  // "3.6.0" once the cluster runs 3.6; etcdpp's data dir holds what 3.6's does), and downgrade
  // state (none: etcdpp answers Downgrade UNIMPLEMENTED).
  const std::optional<Member> self = stores_->cluster->Get(member_id_);
  resp->set_islearner(self.has_value() && self->is_learner);
  resp->set_storageversion(kApiVersion);
  resp->mutable_downgradeinfo()->set_enabled(false);
  // etcd: "etcdserver: no leader" without one, then each raised alarm.
  if (node_->leader() == 0) resp->add_errors("etcdserver: no leader");
  for (const pb::AlarmMember& m : stores_->alarms->Get(pb::NONE)) {
    resp->add_errors(AlarmStore::Describe(m));
  }
}

bool EtcdServer::AdmitWithinQuota(const internalpb::InternalRequest& req, ApplyWaiter* done) {
  if (quota_bytes_ <= 0) return true;
  const int64_t cost = QuotaCost(req);
  if (cost == 0) return true;
  // The quota bounds the pages in use (LMDB writes into free pages before it grows the file),
  // not the file: see docs/compatibility.md. The file's size bounds what is in use, so the
  // cheap stat decides unless the file is near the quota.
  if (stores_->backend->Size() + cost < quota_bytes_) return true;
  if (stores_->backend->SizeInUse() + cost < quota_bytes_) return true;
  if (stores_->alarms->Raised(pb::NOSPACE)) {
    (*done)(ApplyResult{ErrNoSpace(), nullptr, nullptr});
    return false;
  }
  internalpb::InternalRequest alarm;
  alarm.mutable_alarm()->set_action(pb::AlarmRequest::ACTIVATE);
  alarm.mutable_alarm()->set_memberid(member_id_);
  alarm.mutable_alarm()->set_alarm(pb::NOSPACE);
  proposer_->Propose(std::move(alarm), [done = std::move(*done)](const ApplyResult&) {
    done(ApplyResult{ErrNoSpace(), nullptr, nullptr});
  });
  return false;
}

// etcd's backend Hash: CRC-32C over each bucket's name and pairs, buckets in name order, the
// consistent index and term skipped (they differ between members at the same data).
absl::Status EtcdServer::Hash(pb::HashResponse* resp) const {
  const absl::Time start = absl::Now();
  RETURN_NOT_OK(stores_->backend->ForceCommit());
  ASSIGN_OR_RETURN(std::unique_ptr<backend::ReadSnapshot> snap,
                   stores_->backend->OpenReadSnapshot());
  std::vector<backend::Bucket> order;
  for (size_t i = 0; i < backend::kNumBuckets; ++i)
    order.push_back(static_cast<backend::Bucket>(i));
  std::sort(order.begin(), order.end(), [](backend::Bucket a, backend::Bucket b) {
    return backend::BucketName(a) < backend::BucketName(b);
  });
  uint32_t crc = 0;
  for (backend::Bucket b : order) {
    const bool meta = b == backend::Bucket::kMeta;
    crc = crc32c::Extend(crc, backend::BucketName(b));
    RETURN_NOT_OK(snap->ForEach(b, [&](std::string_view k, std::string_view v) {
      if (meta && (k == backend::kConsistentIndexKey || k == backend::kTermKey ||
                   k == backend::kV2StoreKey)) {
        return true;  // not etcd's content (the v2 store's counters differ between members)
      }
      crc = crc32c::Extend(crc, k);
      crc = crc32c::Extend(crc, v);
      return true;
    }));
  }
  FillHeader(resp->mutable_header());
  resp->mutable_header()->set_revision(stores_->kv->Rev());
  resp->set_hash(crc);
  Metrics::Get().Hash(absl::Now() - start);
  return absl::OkStatus();
}

void EtcdServer::Defragment(std::function<void(absl::Status)> done) {
  auto run = [this, done] {
    SPDLOG_INFO("starting to defragment the storage backend...");
    const absl::Time start = absl::Now();
    Metrics::Get().DefragStarted();
    absl::StatusOr<backend::DefragStats> s = stores_->backend->Defragment();
    Metrics::Get().DefragDone(absl::Now() - start);
    if (!s.ok()) {
      SPDLOG_WARN("failed to defragment the storage backend: {}", s.status().ToString());
      done(s.status());
      return;
    }
    SPDLOG_INFO(
        "finished defragmenting the storage backend: {} -> {} bytes in {}, {} writes carried "
        "over, commits paused {}, reads paused {}",
        s->size_before, s->size_after, absl::FormatDuration(s->duration), s->caught_up_ops,
        absl::FormatDuration(s->commit_pause), absl::FormatDuration(s->reader_pause));
    done(absl::OkStatus());
  };
  if (absl::Status st = RunInBackground(run); !st.ok()) done(st);
}

absl::Status EtcdServer::HashKV(int64_t rev, pb::HashKVResponse* resp) const {
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(mvcc::HashResult h, stores_->kv->HashByRev(rev));
  Metrics::Get().HashRev(absl::Now() - start);
  FillHeader(resp->mutable_header());
  resp->mutable_header()->set_revision(h.revision);
  resp->set_hash(h.hash);
  resp->set_compact_revision(h.compact_revision);
  resp->set_hash_revision(h.revision);
  return absl::OkStatus();
}

// etcd's backend Snapshot: the committed state (staged writes committed first), exported from
// one LMDB read transaction while writes go on.
absl::Status EtcdServer::WriteSnapshot(
    std::function<void(uint64_t)> on_size,
    absl::FunctionRef<absl::Status(std::string_view)> write) const {
  RETURN_NOT_OK(stores_->backend->ForceCommit());
  ASSIGN_OR_RETURN(std::unique_ptr<backend::ReadSnapshot> snap,
                   stores_->backend->OpenReadSnapshot());
  backend::bbolt::FunctionSink sink(write);
  etcdfmt::ExportOptions options;
  uint64_t size = 0;
  options.on_size = [&](uint64_t n) {
    size = n;
    on_size(n);
  };
  const absl::Time start = absl::Now();
  SPDLOG_INFO("sending database snapshot to client");
  absl::Status st = etcdfmt::ExportEtcdBackend(*snap, &sink, options).status();
  if (st.ok()) {
    Metrics::Get().BackendSnapshot(absl::Now() - start);
    SPDLOG_INFO("sent database snapshot to client ({} bytes, {})", size,
                absl::FormatDuration(absl::Now() - start));
  } else {
    SPDLOG_WARN("database snapshot to client failed: {}", st.ToString());
  }
  return st;
}

http::MemberView EtcdServer::HttpView() {
  http::MemberView v;
  v.leader = [this] { return node_->leader(); };
  v.alarms = [this] {
    std::vector<std::string> names;
    for (const pb::AlarmMember& m : stores_->alarms->Get(pb::NONE)) {
      names.push_back(pb::AlarmType_Name(m.alarm()));
    }
    return names;
  };
  v.metrics = [this] { return RenderMetrics(); };
  v.on_health = [](bool ok) { Metrics::Get().Health(ok); };
  if (v2_) {
    v.v2 = [v2 = v2_.get()](http::Request req, std::shared_ptr<http::Responder> resp) {
      v2->Handle(std::move(req), std::move(resp));
    };
  }
  v.server_version = kApiVersion;
  v.cluster_version = kApiVersion;
  v.pprof = cfg_.enable_pprof;
  if (v.pprof) {
    SPDLOG_INFO("{}", log::With("pprof is enabled", log::Fields().Str("path", "/debug/pprof")));
  }
  return v;
}

// The state gauges of /metrics, sampled now.
std::string EtcdServer::RenderMetrics() {
  MetricsSample s;
  s.has_leader = node_->leader() != 0;
  s.is_leader = node_->leader() == member_id_;
  std::optional<Member> self = stores_->cluster->Get(member_id_);
  s.is_learner = self.has_value() && self->is_learner;
  s.committed_index = node_->commit_index();
  s.applied_index = applier_->applied_index();
  s.db_size = stores_->backend->Size();
  s.db_size_in_use = stores_->backend->SizeInUse();
  s.db_open_read_txns = stores_->backend->OpenReadTxns();
  s.wal_bytes_written = stores_->wal->BytesWritten();
  s.current_revision = stores_->kv->Rev();
  s.compact_revision = std::max<int64_t>(0, stores_->kv->CompactRev());
  s.auth_revision = static_cast<int64_t>(stores_->auth->revision());
  const watch::WatchableStore::Counts watchers = stores_->watch->GetCounts();
  const watch::WatchableStore::StreamCounters& streams = stores_->watch->stream_counters();
  s.watchers = static_cast<int64_t>(watchers.synced + watchers.unsynced + watchers.victims);
  s.slow_watchers = static_cast<int64_t>(watchers.unsynced + watchers.victims);
  s.watch_streams = streams.streams.load(std::memory_order_relaxed);
  s.pending_events = streams.pending_events.load(std::memory_order_relaxed);
  s.events_sent = streams.events.load(std::memory_order_relaxed);
  static const std::string kZero(1, '\0');
  absl::StatusOr<mvcc::RangeResult> all =
      stores_->kv->Range(kZero, kZero, mvcc::RangeOptions{.count_only = true});
  if (all.ok()) s.keys = all->count;
  s.quota_bytes = quota_bytes_;
  s.nospace_alarms = static_cast<int>(stores_->alarms->Get(pb::NOSPACE).size());
  s.corrupt_alarms = static_cast<int>(stores_->alarms->Get(pb::CORRUPT).size());
  return Metrics::Get().Render(s);
}

}  // namespace etcdpp::server
