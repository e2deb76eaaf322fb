#pragma once
// Maintenance.Snapshot: the backend as etcd's snapshot, streamed. The framing is etcd's
// (v3rpc/maintenance.go): the bbolt file in 32 KiB blobs, each with remaining_bytes = the file's
// size minus what has been sent so far (0 on the last one), then one more message whose blob is
// the 32-byte SHA-256 of the file (remaining_bytes 0). `etcdctl snapshot save` writes the blobs
// one after the other, so the saved file ends with the digest `snapshot restore` checks.
//
// Threads: each call gets a producer thread of its own (never a gRPC thread: the export reads
// the whole database and waits on the client). The producer exports through a sink that fills
// one 32 KiB message, starts its write and waits for OnWriteDone before it fills the next: a
// slow client slows the producer down, the server never buffers more than one message, and the
// database is never held in memory. A cancelled call (client gone, server shutting down) makes
// the next write fail, which ends the export.

#include <atomic>
#include <list>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"
#include "etcdserverpb/rpc.grpc.pb.h"

namespace etcdpp::server {

class MaintenanceView;

inline constexpr size_t kSnapshotChunkBytes = 32 * 1024;  // etcd's snapshotSendBufferSize

class SnapshotStreams {
 public:
  explicit SnapshotStreams(const MaintenanceView* view) : view_(view) {}
  // Joins the producer threads; their calls must have ended or been cancelled (the gRPC server
  // is shut down before its services are destroyed).
  ~SnapshotStreams();
  SnapshotStreams(const SnapshotStreams&) = delete;
  SnapshotStreams& operator=(const SnapshotStreams&) = delete;

  // Starts the stream of one Snapshot call (the reactor deletes itself when the call is done).
  grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>* Start();
  // A call answered with `st` alone (a refused caller).
  static grpc::ServerWriteReactor<etcdserverpb::SnapshotResponse>* Refuse(grpc::Status st);

 private:
  struct Producer {
    std::thread thread;  // runs SnapshotStream::Run, then sets *done
    std::shared_ptr<std::atomic<bool>> done;
  };
  // Joins the producers that have finished.
  void Reap() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const MaintenanceView* const view_;  // outlives this
  Mutex mu_;
  std::list<Producer> producers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace etcdpp::server
