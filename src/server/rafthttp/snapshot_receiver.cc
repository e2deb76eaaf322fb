#include "server/rafthttp/snapshot_receiver.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crc32c.h"
#include "common/status.h"
#include "server/rafthttp/peer_codec.h"
#include "server/snap/snap_metrics.h"
#include "spdlog/spdlog.h"

namespace etcdpp::server {

SnapshotReceiver::SnapshotReceiver(Env* env, std::string snap_dir, uint64_t cluster_id,
                                   std::function<void(raft::Message)> deliver)
    : env_(env),
      snap_dir_(std::move(snap_dir)),
      cluster_id_(cluster_id),
      deliver_(std::move(deliver)) {}

grpc::Status SnapshotReceiver::Send(grpc::ServerContext*,
                                    grpc::ServerReader<internalpb::SnapshotChunk>* reader,
                                    internalpb::SnapshotAck*) {
  internalpb::SnapshotChunk first;
  if (!reader->Read(&first))
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty stream");
  if (first.cluster_id() != cluster_id_) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "cluster ID mismatch");
  }
  absl::StatusOr<raft::Message> m = DecodeRaftMessage(first.message());
  if (!m.ok() || m->type != raft::MessageType::kSnap || m->snapshot.IsEmpty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first chunk must carry a MsgSnap");
  }
  MutexLock l(&receive_mu_);
  const std::string path = SnapDbPath(snap_dir_, m->snapshot.metadata.index);
  const absl::Time start = absl::Now();
  snap_metrics::ReceiveStarted(m->from);
  absl::StatusOr<uint64_t> bytes = Receive(reader, first, path);
  snap_metrics::Received(m->from, bytes.ok(), absl::Now() - start);
  if (!bytes.ok()) {
    SPDLOG_WARN("failed to receive database snapshot from member {:x}: {}", m->from,
                bytes.status().ToString());
    (void)env_->RemoveFile(path + ".tmp");
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(bytes.status().message()));
  }
  SPDLOG_INFO("received database snapshot from member {:x} at index {} ({} bytes)", m->from,
              m->snapshot.metadata.index, *bytes);
  deliver_(*std::move(m));
  return grpc::Status::OK;
}

absl::StatusOr<uint64_t> SnapshotReceiver::Receive(
    grpc::ServerReader<internalpb::SnapshotChunk>* reader, const internalpb::SnapshotChunk& first,
    const std::string& path) {
  const std::string tmp = path + ".tmp";
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(std::unique_ptr<File> f, env_->OpenFile(tmp, OpenMode::kCreateOrTruncate));
  uint64_t bytes = 0;
  uint32_t crc = 0;
  internalpb::SnapshotChunk c = first;
  bool last = false;
  for (;;) {
    if (!c.data().empty()) {
      RETURN_NOT_OK(f->Append(c.data()));
      crc = crc32c::Extend(crc, c.data());
      bytes += c.data().size();
    }
    if (c.last()) {
      last = true;
      break;
    }
    if (!reader->Read(&c)) break;
  }
  if (!last) return absl::UnavailableError("the stream ended before the last chunk");
  if (c.crc() != crc) return absl::DataLossError("crc mismatch of the received database");
  const absl::Time sync_start = absl::Now();
  RETURN_NOT_OK(f->Fsync());
  const absl::Duration sync = absl::Now() - sync_start;
  RETURN_NOT_OK(f->Close());
  RETURN_NOT_OK(env_->RenameFile(tmp, path));
  RETURN_NOT_OK(env_->SyncDir(snap_dir_));
  snap_metrics::DbSaved(absl::Now() - start, sync);
  return bytes;
}

}  // namespace etcdpp::server
