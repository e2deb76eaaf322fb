#pragma once
// Lease forwarding over the peer port (etcd's leasehttp): a follower cannot renew leases or
// tell their remaining TTL (only the leader's lessor has finite expiries), so it forwards
// keepalives and TimeToLive to the leader.
//   LeasePeerService  the leader's side, registered on the peer port (Transport).
//   LeasePeerClient   the follower's side, the LeaseFrontend's forwarder.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "etcdserverpb/rpc.pb.h"
#include "internalpb/lease_peer.grpc.pb.h"

namespace etcdpp::server {

// The leader's lessor as the peer service reaches it (LeaseFrontend). On a member that is not
// the leader (any more) both answer "etcdserver: no leader": a forwarded request is never
// forwarded again.
class LeaderLeases {
 public:
  using RenewDone = std::function<void(absl::StatusOr<int64_t>)>;
  using TimeToLiveDone = std::function<void(absl::StatusOr<etcdserverpb::LeaseTimeToLiveResponse>)>;
  virtual ~LeaderLeases() = default;
  virtual void RenewOnLeader(int64_t id, RenewDone done) = 0;
  virtual void TimeToLiveOnLeader(const etcdserverpb::LeaseTimeToLiveRequest& r,
                                  TimeToLiveDone done) = 0;
};

class LeasePeerService final : public internalpb::LeasePeer::CallbackService {
 public:
  // `leases` is not owned and outlives the service.
  explicit LeasePeerService(LeaderLeases* leases) : leases_(leases) {}

  grpc::ServerUnaryReactor* Renew(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::LeaseKeepAliveRequest* req,
                                  etcdserverpb::LeaseKeepAliveResponse* resp) override;
  grpc::ServerUnaryReactor* TimeToLive(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::LeaseTimeToLiveRequest* req,
                                       etcdserverpb::LeaseTimeToLiveResponse* resp) override;

 private:
  LeaderLeases* const leases_;
};

class LeasePeerClient {
 public:
  // `leader_peer_urls` names the current leader's peer URLs (empty: no leader known).
  explicit LeasePeerClient(std::function<std::vector<std::string>()> leader_peer_urls)
      : leader_peer_urls_(std::move(leader_peer_urls)) {}

  void Renew(int64_t id, LeaderLeases::RenewDone done);
  void TimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& r, LeaderLeases::TimeToLiveDone done);

 private:
  // A stub for the leader (null: no leader known).
  internalpb::LeasePeer::Stub* LeaderStub();

  const std::function<std::vector<std::string>()> leader_peer_urls_;

  Mutex mu_;
  std::map<std::string, std::unique_ptr<internalpb::LeasePeer::Stub>> stubs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server
