#pragma once
// The robustness checker: validates a recorded History (history.h) of a run against a cluster
// under faults. Pure functions over the history, no processes, so checker_test.cc can feed it
// good histories and mutated ones.
//
// What it checks (each a Violation kind):
//   watch-order          a watcher received a revision not after the one before it
//   watch-gap            a watcher skipped a revision (every revision of a run is one event in
//                        the watched key space, and every watcher starts at revision 1 and
//                        resumes after its last event, so each must see every revision)
//   watch-mismatch       two watchers (or two resumptions) received different events for one
//                        revision
//   lost-write           an acknowledged put, delete or txn has no event, or another event, at
//                        the revision it was acknowledged with
//   revision-regression  an operation invoked after another returned answered an older revision
//   stale-read           a read answered a value (or mod revision) that the events up to its
//                        revision do not give
//   linearizability      one key's operations have no linearization (a Wing-Gong-Lowe search,
//                        per key, bounded by a step budget: a key that runs out of budget is
//                        reported inconclusive, not a violation)
//   lease-early          a lease's key was deleted (the event reached a watcher) before TTL had
//                        passed since the lease's last answered keep-alive was sent
//
// Writes without an answer are resolved with the watch events before the per-key search: a put
// (or txn) writes a value unique in the run, so it took effect exactly when an event carries
// that value. Deletes without an answer stay open (they may or may not have happened).

#include <cstdint>
#include <string>
#include <vector>

#include "robustness/history.h"

namespace etcdpp::robustness {

struct Violation {
  std::string kind;
  std::string detail;
};

struct CheckOptions {
  // Search steps per key before the linearizability search gives up on it.
  int64_t steps_per_key = 2'000'000;
};

struct Report {
  std::vector<Violation> violations;
  int keys = 0;
  int keys_inconclusive = 0;
  int64_t max_revision = 0;
  int64_t events = 0;
  int unknown_writes_applied = 0;  // unanswered puts/txns the events show took effect
  int unknown_writes_dropped = 0;  // unanswered puts/txns that never took effect
  // Violations of one kind (for tests).
  int Count(const std::string& kind) const;
  std::string Summary() const;
};

Report Check(const History& history, const CheckOptions& options = {});

}  // namespace etcdpp::robustness
