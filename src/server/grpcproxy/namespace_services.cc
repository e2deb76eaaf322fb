#include "server/grpcproxy/namespace_services.h"

#include <functional>
#include <memory>
#include <string>

#include "grpcpp/generic/generic_stub.h"

namespace etcdpp::server::grpcproxy {
namespace {

namespace pb = etcdserverpb;

constexpr char kEmptyKey[] = "etcdserver: key is not provided";

// Forwards one unary call with `req` (already rewritten) to the current member; `done` rewrites
// the answer before it is copied to `out`.
template <typename Req, typename Resp>
grpc::ServerUnaryReactor* Unary(const NamespaceContext& c, grpc::CallbackServerContext* ctx,
                                const std::string& method, Req req, Resp* out,
                                std::function<void(Resp*)> done = nullptr) {
  struct Call {
    grpc::ClientContext cctx;
    Req req;
    Resp resp;
    std::shared_ptr<grpc::Channel> channel;  // shared: gRPC's channel type
  };
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (c.observer->started) c.observer->started(method);
  auto* call = new Call;
  call->req = std::move(req);
  CopyCallContext(*ctx, &call->cctx);
  call->channel = c.up->Pick();
  grpc::TemplatedGenericStub<Req, Resp> stub(call->channel);
  stub.UnaryCall(&call->cctx, method, grpc::StubOptions(), &call->req, &call->resp,
                 [c, ctx, method, call, out, reactor, done](grpc::Status s) {
                   if (s.error_code() == grpc::StatusCode::UNAVAILABLE) c.up->Failed(call->channel);
                   if (s.ok()) {
                     if (done) done(&call->resp);
                     *out = std::move(call->resp);
                   }
                   CopyTrailers(call->cctx, ctx);
                   if (c.observer->handled) c.observer->handled(method, s.error_code());
                   delete call;
                   reactor->Finish(s);
                 });
  return reactor;
}

grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx, const char* msg) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, msg));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* NamespaceKv::Range(grpc::CallbackServerContext* ctx,
                                             const pb::RangeRequest* req, pb::RangeResponse* resp) {
  if (req->key().empty()) return Refuse(ctx, kEmptyKey);
  pb::RangeRequest up = *req;
  c_.ns->Prefix(&up);
  return Unary<pb::RangeRequest, pb::RangeResponse>(
      c_, ctx, "/etcdserverpb.KV/Range", std::move(up), resp,
      [ns = c_.ns](pb::RangeResponse* r) { ns->Strip(r); });
}

grpc::ServerUnaryReactor* NamespaceKv::Put(grpc::CallbackServerContext* ctx,
                                           const pb::PutRequest* req, pb::PutResponse* resp) {
  if (req->key().empty()) return Refuse(ctx, kEmptyKey);
  pb::PutRequest up = *req;
  c_.ns->Prefix(&up);
  return Unary<pb::PutRequest, pb::PutResponse>(c_, ctx, "/etcdserverpb.KV/Put", std::move(up),
                                                resp,
                                                [ns = c_.ns](pb::PutResponse* r) { ns->Strip(r); });
}

grpc::ServerUnaryReactor* NamespaceKv::DeleteRange(grpc::CallbackServerContext* ctx,
                                                   const pb::DeleteRangeRequest* req,
                                                   pb::DeleteRangeResponse* resp) {
  if (req->key().empty()) return Refuse(ctx, kEmptyKey);
  pb::DeleteRangeRequest up = *req;
  c_.ns->Prefix(&up);
  return Unary<pb::DeleteRangeRequest, pb::DeleteRangeResponse>(
      c_, ctx, "/etcdserverpb.KV/DeleteRange", std::move(up), resp,
      [ns = c_.ns](pb::DeleteRangeResponse* r) { ns->Strip(r); });
}

grpc::ServerUnaryReactor* NamespaceKv::Txn(grpc::CallbackServerContext* ctx,
                                           const pb::TxnRequest* req, pb::TxnResponse* resp) {
  pb::TxnRequest up = *req;
  c_.ns->Prefix(&up);
  return Unary<pb::TxnRequest, pb::TxnResponse>(c_, ctx, "/etcdserverpb.KV/Txn", std::move(up),
                                                resp,
                                                [ns = c_.ns](pb::TxnResponse* r) { ns->Strip(r); });
}

grpc::ServerUnaryReactor* NamespaceKv::Compact(grpc::CallbackServerContext* ctx,
                                               const pb::CompactionRequest* req,
                                               pb::CompactionResponse* resp) {
  return Unary<pb::CompactionRequest, pb::CompactionResponse>(c_, ctx, "/etcdserverpb.KV/Compact",
                                                              *req, resp);
}

grpc::ServerBidiReactor<pb::WatchRequest, pb::WatchResponse>* NamespaceWatch::Watch(
    grpc::CallbackServerContext* ctx) {
  StreamForward<pb::WatchRequest, pb::WatchResponse>::Hooks hooks;
  const KeyNamespace* ns = c_.ns;
  hooks.request = [ns](pb::WatchRequest* r) {
    if (r->has_create_request()) ns->Prefix(r->mutable_create_request());
  };
  hooks.response = [ns](pb::WatchResponse* r) { ns->Strip(r); };
  return new StreamForward<pb::WatchRequest, pb::WatchResponse>(
      ctx, "/etcdserverpb.Watch/Watch", c_.up, c_.observer, std::move(hooks));
}

grpc::ServerUnaryReactor* NamespaceLease::LeaseGrant(grpc::CallbackServerContext* ctx,
                                                     const pb::LeaseGrantRequest* req,
                                                     pb::LeaseGrantResponse* resp) {
  return Unary<pb::LeaseGrantRequest, pb::LeaseGrantResponse>(
      c_, ctx, "/etcdserverpb.Lease/LeaseGrant", *req, resp);
}

grpc::ServerUnaryReactor* NamespaceLease::LeaseRevoke(grpc::CallbackServerContext* ctx,
                                                      const pb::LeaseRevokeRequest* req,
                                                      pb::LeaseRevokeResponse* resp) {
  return Unary<pb::LeaseRevokeRequest, pb::LeaseRevokeResponse>(
      c_, ctx, "/etcdserverpb.Lease/LeaseRevoke", *req, resp);
}

grpc::ServerBidiReactor<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse>*
NamespaceLease::LeaseKeepAlive(grpc::CallbackServerContext* ctx) {
  return new StreamForward<pb::LeaseKeepAliveRequest, pb::LeaseKeepAliveResponse>(
      ctx, "/etcdserverpb.Lease/LeaseKeepAlive", c_.up, c_.observer);
}

grpc::ServerUnaryReactor* NamespaceLease::LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                                          const pb::LeaseTimeToLiveRequest* req,
                                                          pb::LeaseTimeToLiveResponse* resp) {
  return Unary<pb::LeaseTimeToLiveRequest, pb::LeaseTimeToLiveResponse>(
      c_, ctx, "/etcdserverpb.Lease/LeaseTimeToLive", *req, resp,
      [ns = c_.ns](pb::LeaseTimeToLiveResponse* r) { ns->Strip(r); });
}

grpc::ServerUnaryReactor* NamespaceLease::LeaseLeases(grpc::CallbackServerContext* ctx,
                                                      const pb::LeaseLeasesRequest* req,
                                                      pb::LeaseLeasesResponse* resp) {
  return Unary<pb::LeaseLeasesRequest, pb::LeaseLeasesResponse>(
      c_, ctx, "/etcdserverpb.Lease/LeaseLeases", *req, resp);
}

}  // namespace etcdpp::server::grpcproxy
