#pragma once
// The member's raft snapshots (docs/design/cluster.md "Snapshots"): taking them every
// --snapshot-count applied entries (Snapshotter), streaming the backend to a follower that
// needs one (SnapshotSender), and on a follower making a received snapshot durable (node
// thread) then installing it in order with the entries (applier thread): the backend swapped
// in and everything rebuilt from it. An install that fails half way halts the member.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "raft/types.h"
#include "server/apply/applier.h"
#include "server/cluster_ops.h"
#include "server/config.h"
#include "server/rafthttp/snapshot_sender.h"
#include "server/rafthttp/transport.h"
#include "server/raftnode/raft_node.h"
#include "server/snap/snapshotter.h"
#include "server/stores.h"

namespace etcdpp::server {

class RaftSnapshots {
 public:
  struct Deps {
    const Config* cfg = nullptr;
    uint64_t member_id = 0;
    uint64_t cluster_id = 0;
    // None owned; all outlive this.
    Stores* stores = nullptr;
    RaftNode* node = nullptr;
    Applier* applier = nullptr;
    Transport* transport = nullptr;
    ClusterOps* cluster_ops = nullptr;
  };
  explicit RaftSnapshots(Deps d);

  void Stop();  // the sender's streams
  // A snapshot (or install) error: the member must stop.
  [[nodiscard]] absl::Status fatal() const { return snapshotter_->fatal(); }

  // Node thread: messages for peers; snapshots stream on threads of their own.
  void Send(std::vector<raft::Message> msgs);
  // Node thread: the snapshot file and its WAL marker, before the Ready's hard state.
  [[nodiscard]] absl::Status Persist(const raft::Snapshot& snap);
  // Applier thread, in order with the entries: swaps in the received database.
  void Install(const raft::Snapshot& snap);
  // Applier thread, after each applied batch: a snapshot once enough entries were applied.
  void AfterBatch(uint64_t applied) { (void)snapshotter_->MaybeSnapshot(applied); }

 private:
  [[nodiscard]] absl::Status RemoveReceivedDbsUpTo(uint64_t index);

  const Deps d_;
  std::unique_ptr<Snapshotter> snapshotter_;
  std::unique_ptr<SnapshotSender> sender_;
};

}  // namespace etcdpp::server
