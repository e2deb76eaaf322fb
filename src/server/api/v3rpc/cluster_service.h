#pragma once
// The Cluster service (etcd's api/v3rpc/member.go with EtcdServer's AddMember, RemoveMember,
// UpdateMember, PromoteMember): validation with etcd's strict reconfiguration checks, then one
// conf change through Raft; the reply carries the member list once the change is applied.
// Membership changes are one at a time (single-member changes), see docs/design/cluster.md.

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/v3rpc/views.h"

namespace etcdpp::server {

class ClusterService final : public etcdserverpb::Cluster::CallbackService {
 public:
  explicit ClusterService(Views v) : v_(v) {}

  grpc::ServerUnaryReactor* MemberAdd(grpc::CallbackServerContext* ctx,
                                      const etcdserverpb::MemberAddRequest* req,
                                      etcdserverpb::MemberAddResponse* resp) override;
  grpc::ServerUnaryReactor* MemberRemove(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberRemoveRequest* req,
                                         etcdserverpb::MemberRemoveResponse* resp) override;
  grpc::ServerUnaryReactor* MemberUpdate(grpc::CallbackServerContext* ctx,
                                         const etcdserverpb::MemberUpdateRequest* req,
                                         etcdserverpb::MemberUpdateResponse* resp) override;
  grpc::ServerUnaryReactor* MemberList(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::MemberListRequest* req,
                                       etcdserverpb::MemberListResponse* resp) override;
  grpc::ServerUnaryReactor* MemberPromote(grpc::CallbackServerContext* ctx,
                                          const etcdserverpb::MemberPromoteRequest* req,
                                          etcdserverpb::MemberPromoteResponse* resp) override;

 private:
  const Views v_;
};

}  // namespace etcdpp::server
