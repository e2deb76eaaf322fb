#include "server/services.h"

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/cluster_service.h"
#include "server/errors.h"
#include "server/etcd_server.h"
#include "server/kv_service.h"
#include "server/lease_service.h"
#include "server/require_leader.h"
#include "server/watch_service.h"
#include "v3electionpb/v3election.grpc.pb.h"
#include "v3lockpb/v3lock.grpc.pb.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// Maintenance: Status and HashKV now; the other RPCs answer UNIMPLEMENTED until they are built.
class MaintenanceService final : public pb::Maintenance::CallbackService {
 public:
  explicit MaintenanceService(EtcdServer* s) : s_(s) {}
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx, const pb::StatusRequest*,
                                   pb::StatusResponse* resp) override {
    if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
    s_->FillStatus(resp);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  // etcd's HashKV: the hash of the key bucket up to a revision (0: the current one).
  grpc::ServerUnaryReactor* HashKV(grpc::CallbackServerContext* ctx, const pb::HashKVRequest* req,
                                   pb::HashKVResponse* resp) override {
    if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(ToGrpcStatus(s_->HashKV(req->revision(), resp)));
    return reactor;
  }
  // Only the leader hands leadership on (etcd: "etcdserver: not leader" elsewhere).
  grpc::ServerUnaryReactor* MoveLeader(grpc::CallbackServerContext* ctx,
                                       const pb::MoveLeaderRequest* req,
                                       pb::MoveLeaderResponse* resp) override {
    if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
    auto* reactor = ctx->DefaultReactor();
    s_->MoveLeader(req->targetid(), [this, reactor, resp](absl::Status st) {
      if (st.ok()) s_->FillHeader(resp->mutable_header());
      reactor->Finish(ToGrpcStatus(st));
    });
    return reactor;
  }

 private:
  EtcdServer* const s_;
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeClientServices(EtcdServer* server) {
  std::vector<std::unique_ptr<grpc::Service>> v;
  v.push_back(std::make_unique<KvService>(server));
  v.push_back(std::make_unique<MaintenanceService>(server));
  v.push_back(std::make_unique<WatchService>(server, server->watchable()));
  v.push_back(std::make_unique<LeaseService>(server));
  v.push_back(std::make_unique<ClusterService>(server));
  v.push_back(std::make_unique<pb::Auth::CallbackService>());
  v.push_back(std::make_unique<v3electionpb::Election::CallbackService>());
  v.push_back(std::make_unique<v3lockpb::Lock::CallbackService>());
  return v;
}

}  // namespace etcdpp::server
