#pragma once
// SnapshotSender: the leader's side of a snapshot transfer. When raft wants to send a MsgSnap
// (a follower's next index is compacted), the node thread hands the message here and goes on;
// a transfer thread streams the message and then a consistent copy of the backend (LMDB's
// copy, written into a pipe and read back in 1 MiB chunks, so the file is never held in
// memory) over PeerSnapshot.Send, and reports the outcome to raft (ReportSnapshot).
// One transfer per follower at a time; a MsgSnap for a follower already being sent one is
// dropped (raft waits for the report anyway).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/mutex.h"
#include "grpcpp/grpcpp.h"
#include "raft/types.h"

namespace etcdpp::server {

class SnapshotSender {
 public:
  struct Hooks {
    // Writes the backend's consistent copy to fd (Backend::CopyTo).
    std::function<absl::Status(int fd)> copy_db;
    // The peer URLs of a member ("http://host:port").
    std::function<std::vector<std::string>(uint64_t id)> peer_urls;
    // raft's ReportSnapshot (failure: the follower did not get it).
    std::function<void(uint64_t id, bool failure)> report;
  };

  SnapshotSender(uint64_t local_id, uint64_t cluster_id, Hooks hooks);
  ~SnapshotSender();  // Stop()

  // Node thread; never blocks.
  void Send(raft::Message m);
  // Cancels transfers in flight and joins their threads.
  void Stop();

 private:
  struct Transfer {
    std::thread thread;
    std::shared_ptr<grpc::ClientContext> ctx;
    bool done = false;
  };
  void Run(raft::Message m, std::shared_ptr<grpc::ClientContext> ctx);
  [[nodiscard]] absl::Status Stream(const raft::Message& m, grpc::ClientContext* ctx,
                                    uint64_t* bytes);
  void JoinFinishedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint64_t local_id_;
  const uint64_t cluster_id_;
  const Hooks hooks_;

  Mutex mu_;
  std::map<uint64_t, Transfer> transfers_ ABSL_GUARDED_BY(mu_);  // by follower
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace etcdpp::server
