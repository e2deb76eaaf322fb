#pragma once
// HashKV between members over the peer port, for the corruption checks (corrupt_check.h);
// etcd asks the same question over its peer HTTP path /members/hashkv.
//   HashPeerService  the answering side, registered on the peer port (Transport).
//   HashPeerClient   the asking side: one call to one peer URL, blocking.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "etcdserverpb/rpc.pb.h"
#include "internalpb/hash_peer.grpc.pb.h"

namespace etcdpp::server {

class HashPeerService final : public internalpb::HashPeer::CallbackService {
 public:
  // The member's HashKV at a revision (EtcdServer::HashKV): quick enough for a gRPC thread (it
  // reads the in-memory key index and one LMDB read transaction).
  using HashKVFn = std::function<absl::Status(int64_t rev, etcdserverpb::HashKVResponse*)>;
  explicit HashPeerService(HashKVFn hash_kv) : hash_kv_(std::move(hash_kv)) {}

  grpc::ServerUnaryReactor* HashKV(grpc::CallbackServerContext* ctx,
                                   const etcdserverpb::HashKVRequest* req,
                                   etcdserverpb::HashKVResponse* resp) override;

 private:
  const HashKVFn hash_kv_;
};

class HashPeerClient {
 public:
  // The peer's HashKV at `rev`, or its error as it answered it (code, message and id: mvcc's
  // compacted and future-revision errors stay recognisable), or gRPC's own status when the peer
  // could not be reached in `timeout`. Blocks: never call it on a gRPC thread.
  [[nodiscard]] absl::StatusOr<etcdserverpb::HashKVResponse> HashKV(
      const std::string& peer_url, int64_t rev, std::chrono::milliseconds timeout);

 private:
  internalpb::HashPeer::Stub* StubFor(const std::string& peer_url);

  Mutex mu_;
  std::map<std::string, std::unique_ptr<internalpb::HashPeer::Stub>> stubs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server
