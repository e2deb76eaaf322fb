// The KV service (etcd's v3rpc/key.go on the callback API).
#include "server/kv_service.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/errors.h"
#include "server/etcd_server.h"
#include "server/require_leader.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// Finishes a write whose entry was applied: moves the applier's response into the call's.
template <typename Resp>
Applier::Waiter FinishWrite(EtcdServer* s, grpc::ServerUnaryReactor* reactor, Resp* resp) {
  return [s, reactor, resp](ApplyResult r) {
    if (!r.status.ok()) {
      reactor->Finish(ToGrpcStatus(r.status));
      return;
    }
    resp->Swap(static_cast<Resp*>(r.response.get()));
    s->FillHeader(resp->mutable_header());
    reactor->Finish(grpc::Status::OK);
  };
}

// etcd's gRPC server takes messages up to --max-request-bytes plus 512 KiB of overhead;
// ours takes more (see StartGrpc) so that we can refuse with grpc-go's words.
[[nodiscard]] absl::Status CheckSize(const EtcdServer* s, const google::protobuf::Message& m) {
  size_t limit = s->config().max_request_bytes + kGrpcOverheadBytes;
  size_t size = m.ByteSizeLong();
  return size > limit ? ErrReceivedTooLarge(size, limit) : absl::OkStatus();
}

grpc::ServerUnaryReactor* Reject(grpc::CallbackServerContext* ctx, const absl::Status& st) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* KvService::Range(grpc::CallbackServerContext* ctx,
                                           const pb::RangeRequest* req, pb::RangeResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
  if (absl::Status st = CheckSize(s_, *req); !st.ok()) return Reject(ctx, st);
  if (absl::Status st = CheckRangeRequest(*req); !st.ok()) return Reject(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  auto serve = [this, reactor, req, resp](absl::Status st) {
    if (st.ok()) st = s_->kv().Range(*req, resp);
    if (st.ok()) s_->FillHeader(resp->mutable_header());
    reactor->Finish(ToGrpcStatus(st));
  };
  if (req->serializable()) {
    serve(absl::OkStatus());
  } else {
    s_->LinearizableRead(std::move(serve));
  }
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* ctx,
                                         const pb::PutRequest* req, pb::PutResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
  if (absl::Status st = CheckSize(s_, *req); !st.ok()) return Reject(ctx, st);
  if (absl::Status st = CheckPutRequest(*req); !st.ok()) return Reject(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  internalpb::InternalRequest ir;
  *ir.mutable_put() = *req;
  s_->Propose(std::move(ir), FinishWrite(s_, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::DeleteRange(grpc::CallbackServerContext* ctx,
                                                 const pb::DeleteRangeRequest* req,
                                                 pb::DeleteRangeResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
  if (absl::Status st = CheckSize(s_, *req); !st.ok()) return Reject(ctx, st);
  if (absl::Status st = CheckDeleteRequest(*req); !st.ok()) return Reject(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  internalpb::InternalRequest ir;
  *ir.mutable_delete_range() = *req;
  s_->Propose(std::move(ir), FinishWrite(s_, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Txn(grpc::CallbackServerContext* ctx,
                                         const pb::TxnRequest* req, pb::TxnResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
  absl::Status st = CheckSize(s_, *req);
  if (st.ok()) st = CheckTxnRequest(*req, static_cast<int64_t>(s_->config().max_txn_ops));
  if (!st.ok()) return Reject(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  if (IsTxnReadOnly(*req)) {
    // Read-only txns never enter the log: serve locally, after ReadIndex unless serializable.
    auto serve = [this, reactor, req, resp](absl::Status st) {
      if (st.ok()) st = s_->kv().ReadOnlyTxn(*req, resp);
      if (st.ok()) s_->FillHeader(resp->mutable_header());
      reactor->Finish(ToGrpcStatus(st));
    };
    if (IsTxnSerializable(*req)) {
      serve(absl::OkStatus());
    } else {
      s_->LinearizableRead(std::move(serve));
    }
    return reactor;
  }
  internalpb::InternalRequest ir;
  *ir.mutable_txn() = *req;
  s_->Propose(std::move(ir), FinishWrite(s_, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Compact(grpc::CallbackServerContext* ctx,
                                             const pb::CompactionRequest* req,
                                             pb::CompactionResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *s_)) return r;
  auto* reactor = ctx->DefaultReactor();
  internalpb::InternalRequest ir;
  *ir.mutable_compaction() = *req;
  EtcdServer* s = s_;
  bool physical = req->physical();
  s_->Propose(std::move(ir), [s, reactor, resp, physical](ApplyResult r) {
    if (!r.status.ok()) {
      reactor->Finish(ToGrpcStatus(r.status));
      return;
    }
    resp->Swap(static_cast<pb::CompactionResponse*>(r.response.get()));
    s->FillHeader(resp->mutable_header());
    if (!physical || !r.wait_physical) {
      reactor->Finish(grpc::Status::OK);
      return;
    }
    // The applier must not wait for the backend: the member's executor waits, then answers.
    absl::Status queued = s->RunInBackground([reactor, wait = std::move(r.wait_physical)] {
      wait();
      reactor->Finish(grpc::Status::OK);
    });
    if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  });
  return reactor;
}

}  // namespace etcdpp::server
