#pragma once
// Lease forwarding over the peer port (etcd's leasehttp): a follower cannot renew leases or
// tell their remaining TTL (only the leader's lessor has finite expiries), so it forwards
// keepalives and TimeToLive to the leader.
//   LeasePeerService  the leader's side, registered on the peer port (Transport).
//   LeasePeerClient   the follower's side, installed as EtcdServer's LeaseForwarder.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "internalpb/lease_peer.grpc.pb.h"
#include "server/etcd_server.h"

namespace etcdpp::server {

class LeasePeerService final : public internalpb::LeasePeer::CallbackService {
 public:
  // `s` is not owned and outlives the service.
  explicit LeasePeerService(EtcdServer* s) : s_(s) {}

  grpc::ServerUnaryReactor* Renew(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::LeaseKeepAliveRequest* req,
                                  etcdserverpb::LeaseKeepAliveResponse* resp) override;
  grpc::ServerUnaryReactor* TimeToLive(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::LeaseTimeToLiveRequest* req,
                                       etcdserverpb::LeaseTimeToLiveResponse* resp) override;

 private:
  EtcdServer* const s_;
};

class LeasePeerClient {
 public:
  // `leader_peer_urls` names the current leader's peer URLs (empty: no leader known).
  explicit LeasePeerClient(std::function<std::vector<std::string>()> leader_peer_urls)
      : leader_peer_urls_(std::move(leader_peer_urls)) {}

  void Renew(int64_t id, EtcdServer::RenewDone done);
  void TimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& r, EtcdServer::TimeToLiveDone done);

 private:
  // A stub for the leader (null: no leader known).
  internalpb::LeasePeer::Stub* LeaderStub();

  const std::function<std::vector<std::string>()> leader_peer_urls_;

  Mutex mu_;
  std::map<std::string, std::unique_ptr<internalpb::LeasePeer::Stub>> stubs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server
