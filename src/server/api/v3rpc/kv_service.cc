// The KV service (etcd's v3rpc/key.go on the callback API).
#include "server/api/v3rpc/kv_service.h"
#include "auth/errors.h"
#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/v3rpc/finish.h"
#include "server/api/v3rpc/require_leader.h"
#include "server/api/v3rpc/views.h"
#include "server/errors.h"

namespace etcdpp::server {
namespace pb = ::etcdserverpb;

namespace {

// etcd's gRPC server takes messages up to --max-request-bytes plus 512 KiB of overhead;
// ours takes more (see StartGrpc) so that we can refuse with grpc-go's words.
[[nodiscard]] absl::Status CheckSize(const Views& v, const google::protobuf::Message& m) {
  size_t limit = v.member->config().max_request_bytes + kGrpcOverheadBytes;
  size_t size = m.ByteSizeLong();
  return size > limit ? ErrReceivedTooLarge(size, limit) : absl::OkStatus();
}

// A read served for a token checked at an older auth revision than the store's now (etcd's
// doSerialize): the client must retry with a fresh token.
[[nodiscard]] absl::Status CheckAuthUnchanged(const Views& v, const auth::AuthInfo& ai) {
  if (ai.revision != 0 && ai.revision != v.auth->store().revision()) {
    return auth::ErrAuthOldRevision();
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* Reject(grpc::CallbackServerContext* ctx, const absl::Status& st) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* KvService::Range(grpc::CallbackServerContext* ctx,
                                           const pb::RangeRequest* req, pb::RangeResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  if (absl::Status st = CheckSize(v_, *req); !st.ok()) return Reject(ctx, st);
  if (absl::Status st = CheckRangeRequest(*req); !st.ok()) return Reject(ctx, st);
  absl::StatusOr<auth::AuthInfo> ai = CallerOf(v_.auth, *ctx);
  if (!ai.ok()) return Reject(ctx, ai.status());
  auto* reactor = ctx->DefaultReactor();
  auto serve = [this, reactor, req, resp, ai = *std::move(ai)](absl::Status st) {
    // etcd's doSerialize: the permission check, the read, then the check that the auth store
    // did not change under the read.
    if (st.ok()) st = v_.auth->store().CheckRead(ai, req->key(), req->range_end());
    if (st.ok()) st = v_.kv->kv().Range(*req, resp);
    if (st.ok()) st = CheckAuthUnchanged(v_, ai);
    if (st.ok()) v_.member->FillHeader(resp->mutable_header());
    reactor->Finish(ToGrpcStatus(st));
  };
  if (req->serializable()) {
    serve(absl::OkStatus());
  } else {
    v_.kv->LinearizableRead(std::move(serve));
  }
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* ctx,
                                         const pb::PutRequest* req, pb::PutResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  if (absl::Status st = CheckSize(v_, *req); !st.ok()) return Reject(ctx, st);
  if (absl::Status st = CheckPutRequest(*req); !st.ok()) return Reject(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  internalpb::InternalRequest ir;
  if (absl::Status st = StampCaller(v_.auth, *ctx, &ir); !st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  *ir.mutable_put() = *req;
  v_.proposals->Propose(std::move(ir), FinishApplied(v_.member, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::DeleteRange(grpc::CallbackServerContext* ctx,
                                                 const pb::DeleteRangeRequest* req,
                                                 pb::DeleteRangeResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  if (absl::Status st = CheckSize(v_, *req); !st.ok()) return Reject(ctx, st);
  if (absl::Status st = CheckDeleteRequest(*req); !st.ok()) return Reject(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  internalpb::InternalRequest ir;
  if (absl::Status st = StampCaller(v_.auth, *ctx, &ir); !st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  *ir.mutable_delete_range() = *req;
  v_.proposals->Propose(std::move(ir), FinishApplied(v_.member, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Txn(grpc::CallbackServerContext* ctx,
                                         const pb::TxnRequest* req, pb::TxnResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  absl::Status st = CheckSize(v_, *req);
  if (st.ok()) st = CheckTxnRequest(*req, static_cast<int64_t>(v_.member->config().max_txn_ops));
  if (!st.ok()) return Reject(ctx, st);
  auto* reactor = ctx->DefaultReactor();
  if (IsTxnReadOnly(*req)) {
    absl::StatusOr<auth::AuthInfo> ai = CallerOf(v_.auth, *ctx);
    if (!ai.ok()) {
      reactor->Finish(ToGrpcStatus(ai.status()));
      return reactor;
    }
    // Read-only txns never enter the log: serve locally, after ReadIndex unless serializable.
    auto serve = [this, reactor, req, resp, ai = *std::move(ai)](absl::Status st) {
      if (st.ok()) st = v_.auth->store().CheckTxn(ai, *req);
      if (st.ok()) st = v_.kv->kv().ReadOnlyTxn(*req, resp);
      if (st.ok()) st = CheckAuthUnchanged(v_, ai);
      if (st.ok()) v_.member->FillHeader(resp->mutable_header());
      reactor->Finish(ToGrpcStatus(st));
    };
    if (IsTxnSerializable(*req)) {
      serve(absl::OkStatus());
    } else {
      v_.kv->LinearizableRead(std::move(serve));
    }
    return reactor;
  }
  internalpb::InternalRequest ir;
  if (absl::Status st = StampCaller(v_.auth, *ctx, &ir); !st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  *ir.mutable_txn() = *req;
  v_.proposals->Propose(std::move(ir), FinishApplied(v_.member, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Compact(grpc::CallbackServerContext* ctx,
                                             const pb::CompactionRequest* req,
                                             pb::CompactionResponse* resp) {
  if (auto* r = RejectWithoutLeader(ctx, *v_.member)) return r;
  auto* reactor = ctx->DefaultReactor();
  internalpb::InternalRequest ir;
  if (absl::Status st = StampCaller(v_.auth, *ctx, &ir); !st.ok()) {
    reactor->Finish(ToGrpcStatus(st));
    return reactor;
  }
  *ir.mutable_compaction() = *req;
  Views v = v_;
  bool physical = req->physical();
  v_.proposals->Propose(std::move(ir), [v, reactor, resp, physical](ApplyResult r) {
    if (!r.status.ok()) {
      reactor->Finish(ToGrpcStatus(r.status));
      return;
    }
    pb::CompactionResponse* applied = ResponseAs<pb::CompactionResponse>(r);
    if (applied == nullptr) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "unexpected response type"));
      return;
    }
    resp->Swap(applied);
    v.member->FillHeader(resp->mutable_header());
    if (!physical || !r.wait_physical) {
      reactor->Finish(grpc::Status::OK);
      return;
    }
    // The applier must not wait for the backend: the member's executor waits, then answers.
    absl::Status queued = v.kv->RunInBackground([reactor, wait = std::move(r.wait_physical)] {
      wait();
      reactor->Finish(grpc::Status::OK);
    });
    if (!queued.ok()) reactor->Finish(ToGrpcStatus(queued));
  });
  return reactor;
}

}  // namespace etcdpp::server
