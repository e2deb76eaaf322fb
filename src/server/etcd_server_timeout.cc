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

absl::Status EtcdServer::ProposalTimeoutError(std::chrono::steady_clock::time_point start) const {
  TimeoutFacts f;
  f.peers = CurrentPeerFacts();
  f.leader = node_->leader();
  f.lead_elected_at = node_->lead_elected_at();
  f.election = std::chrono::milliseconds(cfg_.election_timeout_ms);
  return server::ProposalTimeoutError(f, start);
}

}  // namespace etcdpp::server
