// EtcdServer's strict reconfiguration checks (judged by reconfig_checks.h over facts gathered
// here from the cluster store and the transport), and promotion from a follower, which only
// the leader can judge (etcd forwards it to the leader).

#include <chrono>

#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "server/errors.h"
#include "server/etcd_server.h"
#include "server/peer_sender.h"

namespace etcdpp::server {

PeerFacts EtcdServer::CurrentPeerFacts() const {
  PeerFacts f;
  f.self = member_id_;
  f.members = cluster_->Members();
  f.active_since = [t = transport_.get()](uint64_t id) { return t->ActiveSince(id); };
  f.now = std::chrono::steady_clock::now();
  return f;
}

absl::Status EtcdServer::MayAddMember(bool learner) const {
  if (!cfg_.strict_reconfig_check) return absl::OkStatus();
  return server::MayAddMember(CurrentPeerFacts(), learner);
}

absl::Status EtcdServer::MayRemoveMember(uint64_t id) const {
  if (!cfg_.strict_reconfig_check) return absl::OkStatus();
  return server::MayRemoveMember(CurrentPeerFacts(), id);
}

// Sends the promotion to the leader's client URL, as a client would (etcd forwards it over the
// peer port); retried until the request timeout while the leader is unknown or unreachable.
void EtcdServer::ForwardPromote(uint64_t id, std::function<void(absl::Status)> done_fn) {
  auto shared_done = std::make_shared<std::function<void(absl::Status)>>(std::move(done_fn));
  absl::Status queued = RunInBackground([this, id, shared_done] {
    const std::function<void(absl::Status)>& done = *shared_done;
    auto deadline = std::chrono::system_clock::now() + RequestTimeoutFor(cfg_.election_timeout_ms);
    absl::Status last = ErrTimeout();
    // Until the leader changes or a heartbeat passes; false once the node stopped.
    auto wait_for_leader_change = [this] {
      uint64_t lead = 0;
      return node_->WaitLeaderChange(node_->leader(),
                                     std::chrono::milliseconds(cfg_.heartbeat_interval_ms), &lead);
    };
    while (std::chrono::system_clock::now() < deadline) {
      {
        MutexLock l(&mu_);
        if (stopped_) break;
      }
      std::optional<Member> lead = cluster_->Get(node_->leader());
      if (node_->is_leader() || !lead.has_value() || lead->client_urls.empty()) {
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

}  // namespace etcdpp::server
