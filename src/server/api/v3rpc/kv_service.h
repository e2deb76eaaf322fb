#pragma once

#include "etcdserverpb/rpc.grpc.pb.h"
#include "server/api/v3rpc/views.h"

namespace etcdpp::server {

// gRPC overhead etcd allows on top of --max-request-bytes (etcd's grpcOverheadBytes).
inline constexpr size_t kGrpcOverheadBytes = 512 * 1024;

class KvService final : public etcdserverpb::KV::CallbackService {
 public:
  // The views are not owned and outlive the service.
  explicit KvService(Views v) : v_(v) {}

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
  const Views v_;
};

}  // namespace etcdpp::server
