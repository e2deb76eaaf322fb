#pragma once
// RawNode: the caller's handle on one Raft member (etcd-io/raft rawnode.go). Not thread-safe:
// one thread (the server's node loop) calls everything.
//
// The loop:
//   every heartbeat interval: Tick();
//   on input: Step(peer message) / Propose / ProposeConfChange / ReadIndex / ...;
//   if (HasReady()) { Ready rd = GetReady(); ...act on rd as types.h describes...;
//                     Advance(rd); }
// Committed kConfChange entries must be decoded (DecodeConfChange) and passed to
// ApplyConfChange when they are applied.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/confchange.h"
#include "raft/config.h"
#include "raft/storage.h"
#include "raft/types.h"

namespace etcdpp::raft {

class Raft;

struct Peer {
  uint64_t id = 0;
  std::string context;  // becomes ConfChange::context of the bootstrap entry
};

struct BasicStatus {
  uint64_t id = 0;
  HardState hard_state;
  SoftState soft_state;
  uint64_t applied = 0;
  uint64_t lead_transferee = 0;
};

class RawNode {
 public:
  // Restores the member from config.storage (HardState, ConfState, entries). The storage must
  // hold everything persisted; committed entries after config.applied come out in Ready.
  // Conf changes in (last snapshot, config.applied] are replayed from the log, since the
  // caller will not apply them again.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RawNode>> Open(const Config& config);
  ~RawNode();

  // For a brand-new cluster (storage empty): appends one kConfChange(kAddNode) entry per peer
  // at term 1 (index 1..n), committed, which come out in the next Ready's entries and
  // committed_entries. The member campaigns only after it applied them (Advance).
  [[nodiscard]] absl::Status Bootstrap(const std::vector<Peer>& peers);

  // Advances the logical clock by one tick (election and heartbeat timeouts count ticks).
  void Tick();
  // Starts an election now (a no-op on a leader or a non-voter).
  [[nodiscard]] absl::Status Campaign();
  [[nodiscard]] absl::Status Propose(std::string data);
  [[nodiscard]] absl::Status ProposeConfChange(const ConfChange& cc);
  // A message from a peer. Local message types are refused; responses from members not in the
  // configuration are dropped with an error.
  [[nodiscard]] absl::Status Step(const Message& m);
  ConfState ApplyConfChange(const ConfChange& cc);
  // Requests a linearizable read point; the answer comes in Ready::read_states tagged
  // request_ctx (none if there is no leader: retry later).
  void ReadIndex(std::string request_ctx);
  // Asks the leader to hand leadership to `transferee` (forwarded if this is a follower).
  [[nodiscard]] absl::Status TransferLeader(uint64_t transferee);
  // The transport failed to reach `id`; the leader stops optimistic replication to it.
  void ReportUnreachable(uint64_t id);
  // The snapshot sent to `id` was applied (failure == false) or failed.
  void ReportSnapshot(uint64_t id, bool failure);

  bool HasReady() const;
  Ready GetReady();
  // The caller acted on `rd` (persisted, sent, applied). Must follow each GetReady.
  void Advance(const Ready& rd);
  BasicStatus Status() const;

  const Raft& raft() const { return *raft_; }  // for tests and debugging

 private:
  explicit RawNode(std::unique_ptr<Raft> raft);

  std::unique_ptr<Raft> raft_;
  SoftState prev_soft_state_;
  HardState prev_hard_state_;
};

}  // namespace etcdpp::raft
