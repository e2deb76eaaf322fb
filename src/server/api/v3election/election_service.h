#pragma once
// The v3election service (etcd's etcdserver/api/v3election over clientv3/concurrency's
// Election), run inside the member on its txns, leases and watches (recipes.h, local_client.h).
// Campaign waits for the candidates before it without holding a thread; a cancelled Campaign
// resigns the key it made. docs/design/election_lock.md.

#include "server/api/v3election/local_client.h"
#include "server/api/v3rpc/views.h"
#include "server/api/v3rpc/watch_service.h"
#include "v3electionpb/v3election.grpc.pb.h"

namespace etcdpp::server {

class ElectionService final : public v3electionpb::Election::CallbackService {
 public:
  // The views are not owned and outlive the service.
  explicit ElectionService(Views v) : client_(v, &dispatcher_) {}

  grpc::ServerUnaryReactor* Campaign(grpc::CallbackServerContext* ctx,
                                     const v3electionpb::CampaignRequest* req,
                                     v3electionpb::CampaignResponse* resp) override;
  grpc::ServerUnaryReactor* Proclaim(grpc::CallbackServerContext* ctx,
                                     const v3electionpb::ProclaimRequest* req,
                                     v3electionpb::ProclaimResponse* resp) override;
  grpc::ServerUnaryReactor* Leader(grpc::CallbackServerContext* ctx,
                                   const v3electionpb::LeaderRequest* req,
                                   v3electionpb::LeaderResponse* resp) override;
  grpc::ServerWriteReactor<v3electionpb::LeaderResponse>* Observe(
      grpc::CallbackServerContext* ctx, const v3electionpb::LeaderRequest* req) override;
  grpc::ServerUnaryReactor* Resign(grpc::CallbackServerContext* ctx,
                                   const v3electionpb::ResignRequest* req,
                                   v3electionpb::ResignResponse* resp) override;

 private:
  WatchDispatcher dispatcher_;  // runs the watch answers of every call (one thread)
  LocalClient client_;
};

}  // namespace etcdpp::server
