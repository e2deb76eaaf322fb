#pragma once
// The services that --namespace puts in front of the generic forwarding (forward_call.h), as
// etcd's proxy wraps its client's KV, Watcher and Lease in clientv3/namespace: KV requests
// (Range, Put, DeleteRange, Txn with its compares and nested operations) get the prefix and
// their answers lose it; Watch create requests get it and events (kv and prev_kv) lose it;
// LeaseTimeToLive lists only the keys of the namespace. A Range, Put or DeleteRange of an empty
// key is refused ("etcdserver: key is not provided"), as the namespace client does. Everything
// else (Compact, the other Lease calls, Cluster, Maintenance, Auth, Election, Lock) passes
// unchanged, as in etcd's proxy. gRPC serves these typed methods before the generic service.

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

class NamespaceWatch : public etcdserverpb::Watch::CallbackService {
 public:
  explicit NamespaceWatch(NamespaceContext c) : c_(c) {}
  grpc::ServerBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* Watch(
      grpc::CallbackServerContext* ctx) override;

 private:
  const NamespaceContext c_;
};

class NamespaceLease : public etcdserverpb::Lease::CallbackService {
 public:
  explicit NamespaceLease(NamespaceContext c) : c_(c) {}
  grpc::ServerUnaryReactor* LeaseGrant(grpc::CallbackServerContext* ctx,
                                       const etcdserverpb::LeaseGrantRequest* req,
                                       etcdserverpb::LeaseGrantResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseRevoke(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseRevokeRequest* req,
                                        etcdserverpb::LeaseRevokeResponse* resp) override;
  grpc::ServerBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                          etcdserverpb::LeaseKeepAliveResponse>*
  LeaseKeepAlive(grpc::CallbackServerContext* ctx) override;
  grpc::ServerUnaryReactor* LeaseTimeToLive(grpc::CallbackServerContext* ctx,
                                            const etcdserverpb::LeaseTimeToLiveRequest* req,
                                            etcdserverpb::LeaseTimeToLiveResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseLeases(grpc::CallbackServerContext* ctx,
                                        const etcdserverpb::LeaseLeasesRequest* req,
                                        etcdserverpb::LeaseLeasesResponse* resp) override;

 private:
  const NamespaceContext c_;
};

}  // namespace etcdpp::server::grpcproxy
