#pragma once
// Test-only: one simulated member -- its disk, and while it runs, its MemoryStorage, RawNode and
// state machine. The cluster (cluster.h) drives it; this file knows how a member persists a
// Ready, applies entries, makes a snapshot, crashes and restarts.

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "raft/rawnode.h"
#include "raft/sim/disk.h"
#include "raft/sim/state_machine.h"
#include "raft/storage.h"

namespace etcdpp::raft::sim {

class Node {
 public:
  explicit Node(uint64_t id) : id_(id) {}

  // Starts (or restarts) the member from its disk. With use_synced_state_machine the state
  // machine resumes where it was last synced (raft is told the applied index); otherwise it
  // starts from the snapshot and raft replays every committed entry after it.
  [[nodiscard]] absl::Status Start(const Config& base, uint64_t seed,
                                   bool use_synced_state_machine);
  // Loses everything not on disk.
  void Crash();

  // The WAL write of a Ready, then the same into the MemoryStorage.
  [[nodiscard]] absl::Status Persist(const Ready& rd);
  // Applies a committed entry to the state machine (conf changes also to raft).
  [[nodiscard]] absl::Status Apply(const Entry& e);
  // Replaces the state machine with the snapshot's (already persisted by Persist).
  [[nodiscard]] absl::Status ApplySnapshot(const Snapshot& snap);
  void SyncStateMachine() { disk_.SyncStateMachine(sm_); }
  // Snapshots the state machine at its applied index and compacts the log up to `compact`
  // (<= the applied index), as a server does every --snapshot-count entries.
  [[nodiscard]] absl::Status CompactLog(uint64_t compact);

  uint64_t id() const { return id_; }
  bool up() const { return raw_ != nullptr; }
  RawNode& raw() { return *raw_; }
  const Raft& raft() const { return raw_->raft(); }
  const StateMachine& state_machine() const { return sm_; }
  const Disk& disk() const { return disk_; }
  int starts() const { return starts_; }
  // Removed from the configuration: shut down for good, unreachable.
  bool removed() const { return removed_; }
  void set_removed() { removed_ = true; }

 private:
  const uint64_t id_;
  Disk disk_;
  std::unique_ptr<MemoryStorage> storage_;  // while up
  std::unique_ptr<RawNode> raw_;            // while up; reads storage_
  StateMachine sm_;                         // while up
  int starts_ = 0;
  bool removed_ = false;
};

}  // namespace etcdpp::raft::sim
