#pragma once
// Test-only: what one simulated member has on disk -- the WAL (hard state and entries), the
// latest snapshot, and the state machine as of its last sync (the backend, with its consistent
// index). A crash keeps exactly this; a restart rebuilds the MemoryStorage from it.

#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "raft/sim/state_machine.h"
#include "raft/storage.h"
#include "raft/types.h"

namespace etcdpp::raft::sim {

class Disk {
 public:
  // The WAL write of one Ready: snapshot first, then entries (a conflicting suffix is
  // overwritten, as the WAL does on replay), then the hard state.
  void Save(const HardState& hs, const std::vector<Entry>& ents, const Snapshot& snap);
  // A snapshot the member made of its own state machine (log compaction).
  void SaveSnapshot(const Snapshot& snap);
  void SyncStateMachine(const StateMachine& sm) { state_machine_ = sm; }

  // The storage a restarted member reads from.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<MemoryStorage>> Load() const;

  bool IsEmpty() const { return hard_state_.IsEmpty() && snapshot_.IsEmpty() && entries_.empty(); }
  const HardState& hard_state() const { return hard_state_; }
  const Snapshot& snapshot() const { return snapshot_; }
  const std::vector<Entry>& entries() const { return entries_; }  // after the snapshot
  const std::optional<StateMachine>& state_machine() const { return state_machine_; }

 private:
  HardState hard_state_;
  Snapshot snapshot_;
  // Invariant: contiguous, starting at snapshot_.metadata.index + 1.
  std::vector<Entry> entries_;
  std::optional<StateMachine> state_machine_;
};

}  // namespace etcdpp::raft::sim
