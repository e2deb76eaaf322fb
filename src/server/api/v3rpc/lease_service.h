#pragma once
// The Lease service (etcd's v3rpc/lease.go on the callback API): Grant and Revoke go through
// Raft; KeepAlive (a bidirectional stream) renews on the leader; TimeToLive asks the leader;
// Leases lists the local lessor's leases.

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/v3rpc/views.h"

namespace etcdpp::server {

class LeaseService final : public etcdserverpb::Lease::CallbackService {
 public:
  // The views are not owned and outlive the service.
  explicit LeaseService(Views v) : v_(v) {}

  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::LeaseGrantRequest* req,
                                       etcdserverpb::LeaseGrantResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseRevokeRequest* req,
                                        etcdserverpb::LeaseRevokeResponse* resp) override;
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                            const etcdserverpb::LeaseTimeToLiveRequest* req,
                                            etcdserverpb::LeaseTimeToLiveResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseLeasesRequest* req,
                                        etcdserverpb::LeaseLeasesResponse* resp) override;

 private:
  const Views v_;
};

}  // namespace etcdpp::server
