#include "server/grpcproxy/namespace_services.h"

#include <functional>
#include <memory>
#include <string>

#include "server/grpcproxy/unary_forward.h"

namespace etcdpp::server::grpcproxy {
namespace {

namespace pb = etcdserverpb;

constexpr char kEmptyKey[] = "etcdserver: key is not provided";

template <typename Req, typename Resp>
grpc::ServerUnaryReactor* Unary(const NamespaceContext& c, grpc::CallbackServerContext* ctx,
                                const std::string& method, Req req, Resp* out,
                                std::function<void(Resp*)> done = nullptr) {
  return ForwardUnary<Req, Resp>(c.up, c.observer, ctx, method, std::move(req), out,
                                 std::move(done));
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

}  // namespace etcdpp::server::grpcproxy
