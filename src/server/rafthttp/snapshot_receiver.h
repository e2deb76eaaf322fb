#pragma once
// SnapshotReceiver: the follower's side of a snapshot transfer, the PeerSnapshot service on the
// peer port. It checks the cluster, writes the streamed backend to
// member/snap/<index>.snap.db.tmp chunk by chunk (never the whole file in memory), checks the
// CRC, fsyncs and renames it to member/snap/<index>.snap.db (etcd's name), and only then steps
// the MsgSnap into raft; installing it (the backend swap) happens in order on the applier
// thread once raft has accepted the snapshot. A sync service: the disk writes block a thread of
// gRPC's sync pool, never a callback thread. One transfer is received at a time.

#include <cstdint>
#include <functional>
#include <string>

#include "common/env.h"
#include "common/mutex.h"
#include "internalpb/snap.grpc.pb.h"
#include "raft/types.h"
#include "server/snap/snap_files.h"

namespace etcdpp::server {

class SnapshotReceiver final : public internalpb::PeerSnapshot::Service {
 public:
  SnapshotReceiver(Env* env, std::string snap_dir, uint64_t cluster_id,
                   std::function<void(raft::Message)> deliver);

  grpc::Status Send(grpc::ServerContext* ctx, grpc::ServerReader<internalpb::SnapshotChunk>* reader,
                    internalpb::SnapshotAck* ack) override;

 private:
  // Writes the chunks after `first` to the temp file; returns the bytes written.
  [[nodiscard]] absl::StatusOr<uint64_t> Receive(
      grpc::ServerReader<internalpb::SnapshotChunk>* reader, const internalpb::SnapshotChunk& first,
      const std::string& path);

  Env* const env_;
  const std::string snap_dir_;
  const uint64_t cluster_id_;
  const std::function<void(raft::Message)> deliver_;
  Mutex receive_mu_;  // one transfer at a time
};

}  // namespace etcdpp::server
