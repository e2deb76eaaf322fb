// EtcdServer's request timeouts: which error a proposal that did not apply in time gets
// (etcd 3.4's parseProposeCtxErr).

#include "server/errors.h"
#include "server/etcd_server.h"
#include "server/metrics.h"

namespace etcdpp::server {

// A proposal still queued for a leader never reached raft: etcd answers with the context's
// error then. The error is only worked out for a request that still waits.
void EtcdServer::ExpireProposal(uint64_t id, std::chrono::steady_clock::time_point start) {
  const bool queued = node_->Unqueue(id);
  auto error = [&] { return queued ? ErrContextDeadlineExceeded() : ProposalTimeoutError(start); };
  if (applier_->FailWith(id, error)) {  // a KV or lease request
    Metrics::Get().ProposalFailed();
    return;
  }
  if (cluster_->IsWaiting(id)) cluster_->Wake(id, error());  // a member change
}

// - The proposal was made while the previous leader was being replaced (within two election
//   timeouts before the current leader was elected): "possibly due to previous leader failure".
// - The leader is this member and it has not been connected to a quorum since the proposal was
//   made, or the leader is another member and the stream to it broke since: "possibly due to
//   connection lost".
// - Otherwise (also with no leader at all): "request timed out".
absl::Status EtcdServer::ProposalTimeoutError(std::chrono::steady_clock::time_point start) const {
  using TimePoint = std::chrono::steady_clock::time_point;
  const TimePoint elected = node_->lead_elected_at();
  const auto election = std::chrono::milliseconds(cfg_.election_timeout_ms);
  if (elected != TimePoint() && start > elected - 2 * election && start < elected) {
    return ErrTimeoutDueToLeaderFail();
  }
  const uint64_t lead = node_->leader();
  if (lead == member_id_) {
    std::vector<Member> members = cluster_->Members();
    if (NumConnectedSince(start, members) < members.size() / 2 + 1) {
      return ErrTimeoutDueToConnectionLost();
    }
  } else if (lead != 0) {
    TimePoint t = transport_->ActiveSince(lead);
    if (t == TimePoint() || t >= start) return ErrTimeoutDueToConnectionLost();
  }
  return ErrTimeout();
}

}  // namespace etcdpp::server
