// EtcdServer's membership side: joining an existing cluster, checking a data dir against the
// flags, publishing this member's attributes, conf-change proposals and leader transfer.

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status.h"
#include "common/version.h"
#include "internalpb/peer.grpc.pb.h"
#include "raft/confchange.h"
#include "server/errors.h"
#include "server/etcd_server.h"
#include "server/peer_sender.h"
#include "server/tls/peer_tls.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {
namespace {

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

}  // namespace

// --initial-cluster-state existing: learn the cluster from the members already running (as
// etcd's GetClusterFromRemotePeers), find this member by its advertised peer URLs, and start
// raft empty: the leader sends the log (or a snapshot).
absl::Status EtcdServer::JoinExisting(std::unique_ptr<raft::RawNode>* raw) {
  ASSIGN_OR_RETURN(std::vector<Member> listed,
                   ParseInitialCluster(cfg_.initial_cluster, cfg_.initial_cluster_token));
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
      cluster_id_ = resp->cluster_id();
      for (const internalpb::MemberRecord& rec : resp->members()) {
        Member m = FromRecord(rec);
        for (const std::string& u : m.peer_urls) {
          if (std::find(own_urls.begin(), own_urls.end(), u) != own_urls.end()) member_id_ = m.id;
        }
        join_peers_.push_back(std::move(m));
      }
      if (member_id_ == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "this member's peer URLs are not in the cluster's member list (add it first with "
            "`etcdctl member add`)"));
      }
      internalpb::WalMetadata md;
      md.set_node_id(member_id_);
      md.set_cluster_id(cluster_id_);
      ASSIGN_OR_RETURN(wal_, wal::Wal::Create(env_, member_dir_ + "/wal", md.SerializeAsString()));
      ASSIGN_OR_RETURN(*raw, NewRawNode(0));
      spdlog::info("joining cluster {:x} as member {:x}", cluster_id_, member_id_);
      return absl::OkStatus();
    }
  }
  return absl::UnavailableError(absl::StrCat(
      "cannot fetch the cluster's members from the peers in --initial-cluster:", errors));
}

// A restarted member of a cluster bootstrapped with --initial-cluster-state new must be started
// with the flags that made it: a data dir of another cluster or member is refused.
absl::Status EtcdServer::CheckInitialCluster() const {
  if (cfg_.initial_cluster_state != "new") return absl::OkStatus();
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
  if (own == member_id_ && cluster == cluster_id_) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrFormat(
      "the data dir %s belongs to member %x of cluster %x, but --name, --initial-cluster and "
      "--initial-cluster-token describe member %x of cluster %x",
      cfg_.data_dir, member_id_, cluster_id_, own, cluster));
}

void EtcdServer::FillPeerMembers(internalpb::MembersResponse* resp) const {
  resp->set_cluster_id(cluster_id_);
  for (const Member& m : cluster_->Members()) {
    *resp->add_members() = ToRecord(m);
  }
}

// Publishes this member's name and client URLs through Raft (etcd's publish), retrying until
// it is applied; then prints the milestone lines tools wait for.
void EtcdServer::PublishLoop() {
  internalpb::InternalRequest req;
  internalpb::MemberAttributes* a = req.mutable_member_attributes();
  a->set_id(member_id_);
  a->set_name(cfg_.name);
  for (const Url& u : cfg_.advertise_client_urls) a->add_client_urls(u.ToString());
  struct Result {
    Mutex mu;
    CondVar cv;
    bool done ABSL_GUARDED_BY(mu) = false;
    absl::Status st ABSL_GUARDED_BY(mu);
  };
  for (;;) {
    {
      MutexLock l(&mu_);
      if (stopped_) return;
    }
    if (removed_.load()) return;  // removed before it published: nothing left to announce
    if (uint64_t lead = node_->leader(); lead == 0) {
      if (!node_->WaitLeaderChange(0, std::chrono::seconds(1), &lead)) return;  // node stopped
      continue;
    }
    auto r = std::make_shared<Result>();  // shared: the waiter may outlive this attempt
    Propose(req, [r](ApplyResult res) {
      MutexLock l(&r->mu);
      r->done = true;
      r->st = res.status;
      r->cv.SignalAll();
    });
    MutexLock l(&r->mu);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!r->done && std::chrono::steady_clock::now() < deadline) {
      r->cv.WaitFor(&r->mu, deadline - std::chrono::steady_clock::now());
    }
    if (r->done && r->st.ok()) break;
  }
  spdlog::info("enabled capabilities for version {}", kApiMinorVersion);
  spdlog::info("published local member to cluster through raft");
  spdlog::info("ready to serve client requests");
}

// etcd's idutil: the member's low 16 bits, then milliseconds at start (40 bits) and a counter
// (8 bits) that runs on into them, so ids stay unique across restarts -- an entry replayed
// from the WAL must never wake a waiter of this incarnation.
uint64_t EtcdServer::NextRequestId() {
  static const uint64_t start_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  constexpr uint64_t kSuffixMask = (uint64_t{1} << 48) - 1;
  uint64_t n = next_request_id_.fetch_add(1, std::memory_order_relaxed);
  uint64_t id = (member_id_ << 48) | (((start_ms << 8) + n) & kSuffixMask);
  return id == 0 ? 1 : id;
}

void EtcdServer::ProposeConfChange(raft::ConfChangeType type, Member m, ClusterStore::Waiter done) {
  uint64_t id = NextRequestId();
  internalpb::MemberRecord rec = ToRecord(m);
  rec.set_request_id(id);
  raft::ConfChange cc{type, m.id, rec.SerializeAsString()};
  cluster_->RegisterWaiter(id, std::move(done));
  timeouts_->Track(id);
  node_->ProposeConfChange(id, std::move(cc));
}

bool EtcdServer::IsLearnerReady(uint64_t id) const {
  std::map<uint64_t, uint64_t> matches = node_->Matches();
  auto learner = matches.find(id);
  auto self = matches.find(member_id_);
  // Not in the leader's published progress yet: it was added a moment ago (the add's answer
  // can arrive before the node republishes), so it cannot have caught up.
  if (learner == matches.end() || self == matches.end()) return false;
  return static_cast<double>(learner->second) >= static_cast<double>(self->second) * 0.9;
}

void EtcdServer::MoveLeader(uint64_t transferee, std::function<void(absl::Status)> done) {
  if (!node_->is_leader()) {
    done(ErrNotLeader());
    return;
  }
  std::optional<Member> m = cluster_->Get(transferee);
  if (!m.has_value() || m->is_learner) {
    done(ErrBadLeaderTransferee());
    return;
  }
  spdlog::info("leadership transfer starting from {:x} to {:x}", member_id_, transferee);
  node_->TransferLeader(transferee);
  auto timeout = std::chrono::milliseconds(5000 + 2 * cfg_.election_timeout_ms);
  auto shared_done = std::make_shared<std::function<void(absl::Status)>>(std::move(done));
  absl::Status queued = RunInBackground([this, transferee, timeout, shared_done] {
    const std::function<void(absl::Status)>& done = *shared_done;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    uint64_t lead = node_->leader();
    while (lead != transferee) {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= left.zero() || !node_->WaitLeaderChange(lead, left, &lead)) break;
    }
    done(lead == transferee ? absl::OkStatus() : ErrTimeoutLeaderTransfer());
  });
  if (!queued.ok()) (*shared_done)(queued);
}

}  // namespace etcdpp::server
