// EtcdServer's strict reconfiguration checks that need the transport (etcd 3.4's mayAddMember /
// mayRemoveMember, with HealthInterval = 5 s), and promotion from a follower, which only the
// leader can judge (etcd forwards it to the leader).

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "server/errors.h"
#include "server/etcd_server.h"
#include "server/peer_sender.h"

namespace etcdpp::server {
namespace {

constexpr auto kHealthInterval = std::chrono::seconds(5);

}  // namespace

size_t EtcdServer::NumConnectedSince(std::chrono::steady_clock::time_point since,
                                     const std::vector<Member>& members) const {
  size_t n = 0;
  for (const Member& m : members) {
    std::chrono::steady_clock::time_point t = transport_->ActiveSince(m.id);
    if (m.id == member_id_ || (t != std::chrono::steady_clock::time_point() && t < since)) ++n;
  }
  return n;
}

std::vector<Member> EtcdServer::VotingMembers() const {
  std::vector<Member> v = cluster_->Members();
  std::erase_if(v, [](const Member& m) { return m.is_learner; });
  return v;
}

absl::Status EtcdServer::MayAddMember(bool learner) const {
  if (!cfg_.strict_reconfig_check) return absl::OkStatus();
  if (!learner && !cluster_->IsReadyToAddVotingMember()) return ErrMemberNotEnoughStarted();
  std::vector<Member> voters = VotingMembers();
  if (NumConnectedSince(std::chrono::steady_clock::now() - kHealthInterval, voters) != voters.size()) {
    return ErrUnhealthy();  // not connected to every voter for 5 s: the change could break quorum
  }
  return absl::OkStatus();
}

absl::Status EtcdServer::MayRemoveMember(uint64_t id) const {
  if (!cfg_.strict_reconfig_check) return absl::OkStatus();
  std::optional<Member> m = cluster_->Get(id);
  if (m.has_value() && m->is_learner) return absl::OkStatus();
  if (!cluster_->IsReadyToRemoveVotingMember(id)) return ErrMemberNotEnoughStarted();
  // A member that is down is not part of the active quorum: safe to remove.
  if (id != member_id_ && transport_->ActiveSince(id) == std::chrono::steady_clock::time_point()) {
    return absl::OkStatus();
  }
  std::vector<Member> voters = VotingMembers();
  size_t active = NumConnectedSince(std::chrono::steady_clock::now() - kHealthInterval, voters);
  if (active < 1 + 1 + (voters.size() - 1) / 2) return ErrUnhealthy();
  return absl::OkStatus();
}

// Sends the promotion to the leader's client URL, as a client would (etcd forwards it over the
// peer port); retried until the request timeout while the leader is unknown or unreachable.
void EtcdServer::ForwardPromote(uint64_t id, std::function<void(absl::Status)> done_fn) {
  auto shared_done = std::make_shared<std::function<void(absl::Status)>>(std::move(done_fn));
  absl::Status queued = RunInBackground([this, id, shared_done] {
    const std::function<void(absl::Status)>& done = *shared_done;
    auto deadline = std::chrono::system_clock::now() + RequestTimeoutFor(cfg_.election_timeout_ms);
    absl::Status last = ErrTimeout();
    while (std::chrono::system_clock::now() < deadline) {
      {
        MutexLock l(&mu_);
        if (stopped_) break;
      }
      std::optional<Member> lead = cluster_->Get(node_->leader());
      if (node_->is_leader() || !lead.has_value() || lead->client_urls.empty()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(cfg_.heartbeat_interval_ms));
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
      std::this_thread::sleep_for(std::chrono::milliseconds(cfg_.heartbeat_interval_ms));
    }
    done(last);
  });
  if (!queued.ok()) (*shared_done)(queued);
}

}  // namespace etcdpp::server
