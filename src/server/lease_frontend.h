#pragma once
// The member's lease side above the lessor (etcd's v3_server.go LeaseRenew / LeaseTimeToLive
// and leasehttp): lease ids, renewals and TimeToLive served on the leader once it applied what
// was committed, forwarded to the leader from a follower (LeasePeerClient), the leader's side
// of that forwarding (LeaderLeases, for LeasePeerService on the peer port), the lessor's
// promotion at a new leader's first entry, and the expiry loop that proposes revocations.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/mutex.h"
#include "grpcpp/impl/service_type.h"
#include "lease/expiry_loop.h"
#include "lease/lessor.h"
#include "mvcc/kvstore.h"
#include "raft/types.h"
#include "server/api/v3rpc/views.h"
#include "server/apply/applier.h"
#include "server/membership/cluster_store.h"
#include "server/rafthttp/lease_peer.h"
#include "server/raftnode/raft_node.h"

namespace etcdpp::server {

class LeaseFrontend final : public LeaseView, public LeaderLeases {
 public:
  using RenewDone = LeaseView::RenewDone;  // the same types as LeaderLeases'
  using TimeToLiveDone = LeaseView::TimeToLiveDone;
  struct Deps {
    uint64_t member_id = 0;
    uint64_t start_ms = 0;  // milliseconds since the epoch at start: the middle bits of ids
    absl::Duration election_timeout;
    // None owned; all outlive the frontend.
    lease::Lessor* lessor = nullptr;
    mvcc::KvStore* kv = nullptr;
    RaftNode* node = nullptr;
    Applier* applier = nullptr;
    Proposals* proposals = nullptr;
    const ClusterStore* cluster = nullptr;
  };
  // How a follower reaches the leader's lessor (LeasePeerClient, over the peer port, unless
  // replaced). Without one, a follower answers "etcdserver: no leader".
  struct Forwarder {
    std::function<void(int64_t id, RenewDone)> renew;
    std::function<void(const etcdserverpb::LeaseTimeToLiveRequest&, TimeToLiveDone)> time_to_live;
  };

  explicit LeaseFrontend(Deps d);
  ~LeaseFrontend() override;

  void Start();  // the expiry loop
  void Stop();   // joins it

  // The LeasePeer service for the peer port (the leader's side of forwarding).
  grpc::Service* peer_service() { return peer_service_.get(); }
  void SetForwarder(Forwarder f);

  // LeaseView.
  const lease::Lessor& lessor() const override { return *d_.lessor; }
  int64_t CurrentRevision() const override { return d_.kv->Rev(); }
  int64_t NextLeaseId() override;
  void RenewLease(int64_t id, RenewDone done) override;
  void LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& r, TimeToLiveDone done) override;

  // LeaderLeases: a member that is not the leader answers "no leader" (never forwards again).
  void RenewOnLeader(int64_t id, RenewDone done) override;
  void TimeToLiveOnLeader(const etcdserverpb::LeaseTimeToLiveRequest& r,
                          TimeToLiveDone done) override;

  // Applier thread: the new leader's empty entry of its term makes its lessor the primary, with
  // an election timeout of grace for every lease (etcd's Promote(electionTimeout)).
  void OnEmptyEntry(const raft::Entry& e);

 private:
  bool IsLeader() const;
  Forwarder forwarder() const;
  std::vector<std::string> LeaderPeerUrls() const;
  void RenewApplied(int64_t id, RenewDone done);

  const Deps d_;
  const uint64_t id_base_;  // etcd's idutil: 40 bits of start milliseconds, then 8 of counter
  std::atomic<uint64_t> next_seq_{0};
  std::unique_ptr<lease::ExpiryLoop> expiry_;
  std::unique_ptr<grpc::Service> peer_service_;

  mutable Mutex mu_;
  Forwarder forwarder_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server
