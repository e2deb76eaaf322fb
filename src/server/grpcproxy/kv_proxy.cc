#include "server/grpcproxy/kv_proxy.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "server/grpcproxy/coalesce_streams.h"
#include "server/grpcproxy/unary_forward.h"

namespace etcdpp::server::grpcproxy {
namespace {

namespace pb = etcdserverpb;

constexpr char kEmptyKey[] = "etcdserver: key is not provided";
constexpr char kCompacted[] = "etcdserver: mvcc: required revision has been compacted";

grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx, const char* msg) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, msg));
  return reactor;
}

}  // namespace

void ProxyKv::CountKeys() {
  if (metrics_.keys) metrics_.keys->Set(static_cast<double>(cache_->size()));
}

grpc::ServerUnaryReactor* ProxyKv::Range(grpc::CallbackServerContext* ctx,
                                         const pb::RangeRequest* req, pb::RangeResponse* resp) {
  if (ns_ != nullptr && req->key().empty()) return Refuse(ctx, kEmptyKey);
  static const std::string kMethod = "/etcdserverpb.KV/Range";
  pb::RangeRequest up = *req;
  if (ns_ != nullptr) ns_->Prefix(&up);
  std::string scope = MetadataKey(ForwardedMetadata(*ctx));
  if (req->serializable()) {
    pb::RangeResponse cached;
    const RangeCache::Lookup found = cache_->Get(scope, up, &cached);
    if (found != RangeCache::Lookup::kMiss) {
      if (metrics_.hits) metrics_.hits->Increment();
      grpc::Status s;
      if (found == RangeCache::Lookup::kCompacted) {
        s = grpc::Status(grpc::StatusCode::OUT_OF_RANGE, kCompacted);
      } else {
        if (ns_ != nullptr) ns_->Strip(&cached);
        *resp = std::move(cached);
      }
      return AnswerLocally(observer_, ctx, kMethod, s);
    }
    if (metrics_.misses) metrics_.misses->Increment();
  }
  pb::RangeRequest key = up;
  return ForwardUnary<pb::RangeRequest, pb::RangeResponse>(
      up_, observer_, ctx, kMethod, std::move(up), resp,
      [this, scope = std::move(scope), key = std::move(key)](pb::RangeResponse* r) {
        cache_->Add(scope, key, *r);  // a linearizable answer serves serializable reads too
        CountKeys();
        if (ns_ != nullptr) ns_->Strip(r);
      },
      order_, Ordering::kCheck);
}

grpc::ServerUnaryReactor* ProxyKv::Put(grpc::CallbackServerContext* ctx, const pb::PutRequest* req,
                                       pb::PutResponse* resp) {
  if (ns_ != nullptr && req->key().empty()) return Refuse(ctx, kEmptyKey);
  pb::PutRequest up = *req;
  if (ns_ != nullptr) ns_->Prefix(&up);
  cache_->Invalidate(up.key(), "");
  return ForwardUnary<pb::PutRequest, pb::PutResponse>(
      up_, observer_, ctx, "/etcdserverpb.KV/Put", up, resp,
      [this, key = up.key()](pb::PutResponse* r) {
        cache_->Invalidate(key, "");
        CountKeys();
        if (ns_ != nullptr) ns_->Strip(r);
      },
      order_, Ordering::kRecord);
}

grpc::ServerUnaryReactor* ProxyKv::DeleteRange(grpc::CallbackServerContext* ctx,
                                               const pb::DeleteRangeRequest* req,
                                               pb::DeleteRangeResponse* resp) {
  if (ns_ != nullptr && req->key().empty()) return Refuse(ctx, kEmptyKey);
  pb::DeleteRangeRequest up = *req;
  if (ns_ != nullptr) ns_->Prefix(&up);
  cache_->Invalidate(up.key(), up.range_end());
  return ForwardUnary<pb::DeleteRangeRequest, pb::DeleteRangeResponse>(
      up_, observer_, ctx, "/etcdserverpb.KV/DeleteRange", up, resp,
      [this, key = up.key(), end = up.range_end()](pb::DeleteRangeResponse* r) {
        cache_->Invalidate(key, end);
        CountKeys();
        if (ns_ != nullptr) ns_->Strip(r);
      },
      order_, Ordering::kRecord);
}

grpc::ServerUnaryReactor* ProxyKv::Txn(grpc::CallbackServerContext* ctx, const pb::TxnRequest* req,
                                       pb::TxnResponse* resp) {
  auto up = std::make_shared<pb::TxnRequest>(*req);
  if (ns_ != nullptr) ns_->Prefix(up.get());
  cache_->Invalidate(*up);
  return ForwardUnary<pb::TxnRequest, pb::TxnResponse>(
      up_, observer_, ctx, "/etcdserverpb.KV/Txn", *up, resp,
      [this, up](pb::TxnResponse* r) {
        cache_->Invalidate(*up);
        CountKeys();
        if (ns_ != nullptr) ns_->Strip(r);
      },
      order_, Ordering::kCheck);
}

grpc::ServerUnaryReactor* ProxyKv::Compact(grpc::CallbackServerContext* ctx,
                                           const pb::CompactionRequest* req,
                                           pb::CompactionResponse* resp) {
  return ForwardUnary<pb::CompactionRequest, pb::CompactionResponse>(
      up_, observer_, ctx, "/etcdserverpb.KV/Compact", *req, resp,
      [this, rev = req->revision()](pb::CompactionResponse*) {
        cache_->Compact(rev);
        CountKeys();
      });
}

}  // namespace etcdpp::server::grpcproxy
