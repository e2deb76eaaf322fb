#pragma once
// ProxyKv: the grpc-proxy's KV service (etcd's proxy/grpcproxy/kv.go), served before the generic
// forwarding. Every call goes to the current member (unary_forward.h), and:
//   - Range answers go into the RangeCache (range_cache.h); a serializable Range is answered
//     from it when it holds the same request of the same caller scope (etcd_grpc_proxy_cache_*
//     count hits, misses and entries);
//   - Put, DeleteRange and Txn invalidate the cached answers of the ranges they name, before
//     the call and again once the member answered (a read that raced the write cannot leave the
//     old value behind); Compact, once done, makes older revisions fail from the cache too;
//   - with --namespace, as etcd's proxy wraps its client's KV in clientv3/namespace: requests
//     (Range, Put, DeleteRange, Txn with its compares and nested operations) get the prefix and
//     their answers lose it (key_namespace.h); a Range, Put or DeleteRange of an empty key is
//     refused ("etcdserver: key is not provided"), as the namespace client does;
//   - with --experimental-serializable-ordering (`order`, unary_forward.h), Range and Txn
//     answers must not go back in revision: a member behind is left for the next one. Put and
//     DeleteRange answers raise the revision too (etcd's ordering client counts only Get and
//     Txn answers). Cached answers are served as they are, as in etcd, where the cache sits
//     in front of the ordering client.
// The Watch and Lease services apply the namespace themselves (watch_coalescer.h,
// lease_coalescer.h); Cluster, Maintenance, Auth, Election and Lock pass unchanged through the
// generic forwarding, as in etcd's proxy.

#include "etcdserverpb/rpc.grpc.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "server/grpcproxy/key_namespace.h"
#include "server/grpcproxy/range_cache.h"
#include "server/grpcproxy/stream_forward.h"
#include "server/grpcproxy/unary_forward.h"
#include "server/grpcproxy/upstream.h"

namespace etcdpp::server::grpcproxy {

// etcd's proxy cache series (proxy_metrics.h); null members are not counted.
struct CacheMetrics {
  prometheus::Gauge* keys = nullptr;
  prometheus::Gauge* hits = nullptr;
  prometheus::Gauge* misses = nullptr;
};

class ProxyKv : public etcdserverpb::KV::CallbackService {
 public:
  // ns: --namespace, order: --experimental-serializable-ordering (null: none). Everything here
  // outlives the service.
  ProxyKv(Upstream* up, const CallObserver* observer, const KeyNamespace* ns, RangeCache* cache,
          CacheMetrics metrics, RevisionOrder* order)
      : up_(up), observer_(observer), ns_(ns), cache_(cache), metrics_(metrics), order_(order) {}

  grpc::ServerUnaryReactor* Range(grpc::CallbackServerContext* ctx,
                                  const etcdserverpb::RangeRequest* req,
                                  etcdserverpb::RangeResponse* resp) override;
  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx,
                                const etcdserverpb::PutRequest* req,
                                etcdserverpb::PutResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteRange(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::DeleteRangeRequest* req,
                                        etcdserverpb::DeleteRangeResponse* resp) override;
  grpc::ServerUnaryReactor* Txn(grpc::CallbackServerContext* ctx,
                                const etcdserverpb::TxnRequest* req,
                                etcdserverpb::TxnResponse* resp) override;
  grpc::ServerUnaryReactor* Compact(grpc::CallbackServerContext* ctx,
                                    const etcdserverpb::CompactionRequest* req,
                                    etcdserverpb::CompactionResponse* resp) override;

 private:
  void CountKeys();

  Upstream* const up_;
  const CallObserver* const observer_;
  const KeyNamespace* const ns_;
  RangeCache* const cache_;
  const CacheMetrics metrics_;
  RevisionOrder* const order_;
};

}  // namespace etcdpp::server::grpcproxy
