#include "server/api/v3rpc/services.h"

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/v3rpc/auth_service.h"
#include "server/api/v3rpc/cluster_service.h"
#include "server/api/v3rpc/kv_service.h"
#include "server/api/v3rpc/lease_service.h"
#include "server/api/v3rpc/require_leader.h"
#include "server/api/v3rpc/snapshot_stream.h"
#include "server/api/v3rpc/views.h"
#include "server/api/v3rpc/watch_service.h"
#include "server/errors.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// Maintenance: every RPC of etcd 3.4's (Downgrade, 3.5's, answers UNIMPLEMENTED).
class MaintenanceService final : public pb::Maintenance::CallbackService {
 public:
  explicit MaintenanceService(Views v) : v_(v), snapshots_(v.maintenance) {}
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx, const pb::StatusRequest*,
                                   pb::StatusResponse* resp) override {
    if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
    v_.maintenance->FillStatus(resp);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  // etcd's HashKV: the hash of the key bucket up to a revision (0: the current one).
  grpc::ServerUnaryReactor* HashKV(grpc::CallbackServerContext* ctx, const pb::HashKVRequest* req,
                                   pb::HashKVResponse* resp) override {
    if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
    auto* reactor = ctx->DefaultReactor();
    // etcd's authMaintenanceServer: Defragment, Snapshot, Hash and HashKV need the root role.
    if (absl::Status st = RequireRoot(v_.auth, *ctx); !st.ok()) {
      reactor->Finish(ToGrpcStatus(st));
      return reactor;
    }
    reactor->Finish(ToGrpcStatus(v_.maintenance->HashKV(req->revision(), resp)));
    return reactor;
  }
  // etcd's Hash (the whole backend); root only when auth is on.
  grpc::ServerUnaryReactor* Hash(grpc::CallbackServerContext* ctx, const pb::HashRequest*,
                                 pb::HashResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    if (absl::Status st = RequireRoot(v_.auth, *ctx); !st.ok()) {
      reactor->Finish(ToGrpcStatus(st));
      return reactor;
    }
    reactor->Finish(ToGrpcStatus(v_.maintenance->Hash(resp)));
    return reactor;
  }
  // etcd's Alarm: GET, ACTIVATE and DEACTIVATE all go through Raft, as etcd's do (so a GET is
  // linearizable). No auth check, as etcd 3.4's authMaintenanceServer; no header, as etcd's
  // applier answers none.
  grpc::ServerUnaryReactor* Alarm(grpc::CallbackServerContext* ctx, const pb::AlarmRequest* req,
                                  pb::AlarmResponse* resp) override {
    if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
    auto* reactor = ctx->DefaultReactor();
    internalpb::InternalRequest ir;
    *ir.mutable_alarm() = *req;
    v_.proposals->Propose(std::move(ir), [reactor, resp](ApplyResult r) {
      pb::AlarmResponse* applied = ResponseAs<pb::AlarmResponse>(r);
      if (r.status.ok() && applied == nullptr) {
        reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "unexpected response type"));
        return;
      }
      if (r.status.ok()) resp->Swap(applied);
      reactor->Finish(ToGrpcStatus(r.status));
    });
    return reactor;
  }
  // etcd's Defragment, without stopping the member for the copy (docs/design/defrag.md); root
  // only when auth is on. Answers once the smaller file is in place.
  grpc::ServerUnaryReactor* Defragment(grpc::CallbackServerContext* ctx,
                                       const pb::DefragmentRequest*,
                                       pb::DefragmentResponse*) override {
    auto* reactor = ctx->DefaultReactor();
    if (absl::Status st = RequireRoot(v_.auth, *ctx); !st.ok()) {
      reactor->Finish(ToGrpcStatus(st));
      return reactor;
    }
    v_.maintenance->Defragment([reactor](absl::Status st) { reactor->Finish(ToGrpcStatus(st)); });
    return reactor;
  }
  // etcd's Snapshot: the backend as a bbolt file plus its SHA-256 (snapshot_stream.h). Served by
  // learners too, as etcd does; root only when auth is on (authMaintenanceServer).
  grpc::ServerWriteReactor<pb::SnapshotResponse>* Snapshot(grpc::CallbackServerContext* ctx,
                                                           const pb::SnapshotRequest*) override {
    if (absl::Status st = RequireRoot(v_.auth, *ctx); !st.ok()) {
      return SnapshotStreams::Refuse(ToGrpcStatus(st));
    }
    return snapshots_.Start();
  }
  // Only the leader hands leadership on (etcd: "etcdserver: not leader" elsewhere).
  grpc::ServerUnaryReactor* MoveLeader(grpc::CallbackServerContext* ctx,
                                       const pb::MoveLeaderRequest* req,
                                       pb::MoveLeaderResponse* resp) override {
    if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
    auto* reactor = ctx->DefaultReactor();
    v_.cluster->MoveLeader(req->targetid(), [this, reactor, resp](absl::Status st) {
      if (st.ok()) v_.member->FillHeader(resp->mutable_header());
      reactor->Finish(ToGrpcStatus(st));
    });
    return reactor;
  }

 private:
  const Views v_;
  SnapshotStreams snapshots_;  // joins its producer threads when the service goes
};

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeClientServices(Views views) {
  std::vector<std::unique_ptr<grpc::Service>> v;
  v.push_back(std::make_unique<KvService>(views));
  v.push_back(std::make_unique<MaintenanceService>(views));
  v.push_back(std::make_unique<WatchService>(views, views.kv->watchable()));
  v.push_back(std::make_unique<LeaseService>(views));
  v.push_back(std::make_unique<ClusterService>(views));
  v.push_back(std::make_unique<AuthService>(views));
  return v;
}

}  // namespace etcdpp::server
