#pragma once
// Config of one Raft member (etcd-io/raft raft.go Config). rawnode.h re-exports it.

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"

namespace etcdpp::raft {

class Storage;

struct Config {
  uint64_t id = 0;  // this member's id; not 0
  // Ticks without hearing from a leader before a follower campaigns; the actual timeout is
  // randomized in [election_tick, 2*election_tick). Must be > heartbeat_tick.
  int election_tick = 10;
  int heartbeat_tick = 1;      // ticks between leader heartbeats
  Storage* storage = nullptr;  // not owned; must outlive the RawNode
  // The last index the caller applied before a restart; committed entries after it come out in
  // Ready. Must lie between the snapshot index and the persisted commit index (0: the snapshot).
  uint64_t applied = 0;
  uint64_t max_size_per_msg = 1 << 20;  // byte limit of the entries of one MsgApp (>= 1 entry)
  size_t max_inflight_msgs = 256;       // in-flight MsgApp per follower in replicate state
  uint64_t max_uncommitted_entries_size = 0;  // 0: no limit
  // The leader steps down when it has not heard from a quorum for an election timeout, and
  // followers that heard from a leader within the timeout ignore vote requests.
  bool check_quorum = false;
  // A candidate first asks whether it could win (without bumping its term), so that a
  // partitioned member rejoining does not disrupt the cluster.
  bool pre_vote = false;
  uint64_t seed = 0;  // for the randomized election timeout (mixed with id)

  [[nodiscard]] absl::Status Validate() const;
};

}  // namespace etcdpp::raft
