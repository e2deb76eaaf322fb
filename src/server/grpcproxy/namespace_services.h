#pragma once
// The KV service that --namespace puts in front of the generic forwarding (forward_call.h), as
// etcd's proxy wraps its client's KV in clientv3/namespace: requests (Range, Put, DeleteRange,
// Txn with its compares and nested operations) get the prefix and their answers lose it. A
// Range, Put or DeleteRange of an empty key is refused ("etcdserver: key is not provided"), as
// the namespace client does; Compact passes unchanged. The Watch and Lease services apply the
// namespace themselves (watch_coalescer.h, lease_coalescer.h); everything else (Cluster,
// Maintenance, Auth, Election, Lock) passes unchanged, as in etcd's proxy. gRPC serves these
// typed methods before the generic service.

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/grpcproxy/key_namespace.h"
#include "server/grpcproxy/stream_forward.h"
#include "server/grpcproxy/upstream.h"

namespace etcdpp::server::grpcproxy {

// What every service here is handed; all must outlive the server.
struct NamespaceContext {
  const KeyNamespace* ns;
  Upstream* up;
  const CallObserver* observer;
};

class NamespaceKv : public etcdserverpb::KV::CallbackService {
 public:
  explicit NamespaceKv(NamespaceContext c) : c_(c) {}
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
  const NamespaceContext c_;
};

}  // namespace etcdpp::server::grpcproxy
