#pragma once
// Test-only: one randomized simulation run, fully determined by its seed. The seed picks the
// cluster (3, 5 or 7 members), the raft options (pre-vote, check-quorum, flow control limits)
// and the faults (message loss, duplication, partitions, crashes and restarts, crashes inside
// a Ready, conf changes, log compaction), then drives a few hundred random steps with the
// safety checker watching every one. Then the faults heal and the run must make progress:
// a leader is elected and a proposal commits on every member within a bounded number of ticks.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace etcdpp::raft::sim {

struct RunStats {
  uint64_t leaders = 0;    // distinct terms that had a leader
  uint64_t committed = 0;  // highest commit index
  uint64_t crashes = 0;
  uint64_t conf_changes = 0;  // applied by the end
  uint64_t liveness_ticks = 0;
};

struct RunOptions {
  int steps = 400;           // random steps before the faults heal
  int liveness_ticks = 400;  // bound on ticks to elect a leader and commit after healing
  bool trace = false;        // keep (and on failure return) the trace of inputs
};

// OK, or the first violated property with the seed; `stats` may be null.
[[nodiscard]] absl::Status RunRandomSimulation(uint64_t seed, const RunOptions& options,
                                               RunStats* stats);

}  // namespace etcdpp::raft::sim
