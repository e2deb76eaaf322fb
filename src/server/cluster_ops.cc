#include "server/cluster_ops.h"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/sd_notify.h"
#include "common/version.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "server/errors.h"
#include "server/log/zap_log.h"
#include "server/rafthttp/peer_sender.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

PeerFacts ClusterOps::CurrentPeerFacts() const {
  PeerFacts f;
  f.self = d_.member_id;
  f.members = d_.cluster->Members();
  f.active_since = [t = d_.transport](uint64_t id) { return t->ActiveSince(id); };
  f.now = std::chrono::steady_clock::now();
  return f;
}

TimeoutFacts ClusterOps::CurrentTimeoutFacts() const {
  TimeoutFacts f;
  f.peers = CurrentPeerFacts();
  f.leader = d_.node->leader();
  f.lead_elected_at = d_.node->lead_elected_at();
  f.election = std::chrono::milliseconds(d_.cfg->election_timeout_ms);
  return f;
}

absl::Status ClusterOps::MayAddMember(bool learner) const {
  if (!d_.cfg->strict_reconfig_check) return absl::OkStatus();
  return server::MayAddMember(CurrentPeerFacts(), learner);
}

absl::Status ClusterOps::MayRemoveMember(uint64_t id) const {
  if (!d_.cfg->strict_reconfig_check) return absl::OkStatus();
  return server::MayRemoveMember(CurrentPeerFacts(), id);
}

bool ClusterOps::IsLearnerReady(uint64_t id) const {
  std::map<uint64_t, uint64_t> matches = d_.node->Matches();
  auto learner = matches.find(id);
  auto self = matches.find(d_.member_id);
  // Not in the leader's published progress yet: it was added a moment ago (the add's answer
  // can arrive before the node republishes), so it cannot have caught up.
  if (learner == matches.end() || self == matches.end()) return false;
  return static_cast<double>(learner->second) >= static_cast<double>(self->second) * 0.9;
}

void ClusterOps::MoveLeader(uint64_t transferee, Done done) {
  RaftNode* node = d_.node;
  if (!node->is_leader()) {
    done(ErrNotLeader());
    return;
  }
  std::optional<Member> m = d_.cluster->Get(transferee);
  if (!m.has_value() || m->is_learner) {
    done(ErrBadLeaderTransferee());
    return;
  }
  SPDLOG_INFO("leadership transfer starting from {:x} to {:x}", d_.member_id, transferee);
  node->TransferLeader(transferee);
  auto timeout = std::chrono::milliseconds(5000 + 2 * d_.cfg->election_timeout_ms);
  auto shared_done = std::make_shared<Done>(std::move(done));
  absl::Status queued = d_.run_in_background([node, transferee, timeout, shared_done] {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    uint64_t lead = node->leader();
    while (lead != transferee) {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= left.zero() || !node->WaitLeaderChange(lead, left, &lead)) break;
    }
    (*shared_done)(lead == transferee ? absl::OkStatus() : ErrTimeoutLeaderTransfer());
  });
  if (!queued.ok()) (*shared_done)(queued);
}

// Sends the promotion to the leader's client URL, as a client would (etcd forwards it over the
// peer port); retried until the request timeout while the leader is unknown or unreachable.
void ClusterOps::ForwardPromote(uint64_t id, Done done_fn) {
  auto shared_done = std::make_shared<Done>(std::move(done_fn));
  absl::Status queued = d_.run_in_background([this, id, shared_done] {
    const Done& done = *shared_done;
    RaftNode* node = d_.node;
    auto deadline =
        std::chrono::system_clock::now() + RequestTimeoutFor(d_.cfg->election_timeout_ms);
    absl::Status last = ErrTimeout();
    // Until the leader changes or a heartbeat passes; false once the node stopped.
    auto wait_for_leader_change = [this, node] {
      uint64_t lead = 0;
      return node->WaitLeaderChange(
          node->leader(), std::chrono::milliseconds(d_.cfg->heartbeat_interval_ms), &lead);
    };
    while (std::chrono::system_clock::now() < deadline && !stopping()) {
      std::optional<Member> lead = d_.cluster->Get(node->leader());
      if (node->is_leader() || !lead.has_value() || lead->client_urls.empty()) {
        if (!wait_for_leader_change()) break;  // or for its client URLs: rechecked each beat
        continue;
      }
      for (const std::string& url : lead->client_urls) {
        auto stub = etcdserverpb::Cluster::NewStub(
            grpc::CreateChannel(GrpcTargetOfUrl(url), grpc::InsecureChannelCredentials()));
        grpc::ClientContext ctx;
        ctx.set_deadline(deadline);
        etcdserverpb::MemberPromoteRequest req;
        req.set_id(id);
        etcdserverpb::MemberPromoteResponse resp;
        grpc::Status st = stub->MemberPromote(&ctx, req, &resp);
        if (st.ok() || st.error_code() != grpc::StatusCode::UNAVAILABLE) {
          done(FromEtcdGrpcStatus(st));
          return;
        }
        last = FromEtcdGrpcStatus(st);
      }
      // The leader was unreachable: retry on a new one, or a heartbeat later.
      if (!wait_for_leader_change()) break;
    }
    done(last);
  });
  if (!queued.ok()) (*shared_done)(queued);
}

void ClusterOps::PublishLoop() {
  internalpb::InternalRequest req;
  internalpb::MemberAttributes* a = req.mutable_member_attributes();
  a->set_id(d_.member_id);
  a->set_name(d_.cfg->name);
  for (const Url& u : d_.cfg->advertise_client_urls) a->add_client_urls(u.ToString());
  struct Result {
    Mutex mu;
    CondVar cv;
    bool done ABSL_GUARDED_BY(mu) = false;
    absl::Status st ABSL_GUARDED_BY(mu);
  };
  for (;;) {
    if (stopping()) return;
    if (d_.removed->load()) return;  // removed before it published: nothing left to announce
    if (uint64_t lead = d_.node->leader(); lead == 0) {
      if (!d_.node->WaitLeaderChange(0, std::chrono::seconds(1), &lead)) return;  // node stopped
      continue;
    }
    auto r = std::make_shared<Result>();  // shared: the waiter may outlive this attempt
    d_.proposer->Propose(req, [r](ApplyResult res) {
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
  SPDLOG_INFO("{}", log::With("enabled capabilities for version",
                              log::Fields().Str("cluster-version", kApiMinorVersion)));
  std::vector<std::string> client_urls(a->client_urls().begin(), a->client_urls().end());
  SPDLOG_INFO("{}", log::With("published local member to cluster through raft",
                              log::Fields()
                                  .Id("local-member-id", d_.member_id)
                                  .Str("local-member-name", a->name())
                                  .Strs("local-member-client-urls", client_urls)
                                  .Id("cluster-id", d_.cluster_id)));
  SPDLOG_INFO("ready to serve client requests");
  // A Type=notify unit waits for this (etcd sends it at the same moment).
  if (absl::Status st = SdNotify("READY=1"); !st.ok()) SPDLOG_WARN("{}", st.ToString());
}

void ClusterOps::MarkRemoved() {
  if (!d_.removed->exchange(true, std::memory_order_acq_rel)) {
    SPDLOG_WARN("the member has been permanently removed from the cluster");
  }
}

void ClusterOps::OnConfChange(const raft::ConfChange& cc, bool in_backend) {
  if (!in_backend) d_.cluster->ApplyConfChange(cc);
  if (cc.type == raft::ConfChangeType::kRemoveNode) {
    d_.transport->RemovePeer(cc.node_id);
    if (cc.node_id == d_.member_id) MarkRemoved();
  } else if (std::optional<Member> m = d_.cluster->Get(cc.node_id); m.has_value()) {
    d_.transport->AddPeer(m->id, m->peer_urls);
  }
  internalpb::MemberRecord rec;
  if (rec.ParseFromString(cc.context) && rec.request_id() != 0) {
    d_.cluster->Wake(rec.request_id(), absl::OkStatus());
  }
}

void ClusterOps::SyncPeersWithMembers() {
  for (const Member& m : d_.cluster->Members()) d_.transport->AddPeer(m.id, m.peer_urls);
  for (uint64_t id : d_.cluster->RemovedIds()) d_.transport->RemovePeer(id);
  if (d_.cluster->IsRemoved(d_.member_id)) MarkRemoved();
}

void ClusterOps::FillPeerMembers(internalpb::MembersResponse* resp) const {
  resp->set_cluster_id(d_.cluster_id);
  for (const Member& m : d_.cluster->Members()) *resp->add_members() = ToRecord(m);
}

}  // namespace etcdpp::server
