#pragma once
// ProgressTracker: the configuration (voters and learners), the Progress of every member and the
// votes of the current election (etcd-io/raft tracker/tracker.go). Configuration changes are
// applied one at a time (no joint consensus yet), by ApplyConfChange.

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "raft/progress.h"
#include "raft/quorum.h"
#include "raft/types.h"

namespace etcdpp::raft {

class ProgressTracker {
 public:
  explicit ProgressTracker(size_t max_inflight) : max_inflight_(max_inflight) {}

  // Applies one simple change; new members get Progress{next = next_index}. Changes that make no
  // sense (removing an unknown member, turning a voter into a learner and back) are no-ops,
  // except that adding an existing learner as a node promotes it.
  void ApplyConfChange(const ConfChange& cc, uint64_t next_index);
  // Replaces the configuration (on restart or snapshot restore).
  void Restore(const ConfState& cs, uint64_t next_index);
  ConfState GetConfState() const;

  // The largest index acknowledged by a quorum of voters.
  uint64_t Committed() const;
  // True when there is exactly one voter (learners do not count).
  bool IsSingleton() const { return voters_.size() == 1; }
  // A quorum of voters has been recent_active (the leader's own progress counts as active).
  bool QuorumActive() const;

  void ResetVotes() { votes_.clear(); }
  // Records the first vote of `id` (later ones in the same election are ignored).
  void RecordVote(uint64_t id, bool granted);
  // (granted, rejected, result) among the voters.
  VoteResult TallyVotes(int* granted, int* rejected) const;

  Progress* Get(uint64_t id);
  const Progress* Get(uint64_t id) const;
  bool IsVoter(uint64_t id) const { return voters_.Contains(id); }
  bool IsLearner(uint64_t id) const { return learners_.count(id) > 0; }
  // Visits every member's Progress in ascending id order.
  void Visit(const std::function<void(uint64_t id, Progress& pr)>& f);
  std::vector<uint64_t> VoterIds() const;
  const MajorityConfig& voters() const { return voters_; }
  const std::map<uint64_t, Progress>& progress() const { return progress_; }
  size_t max_inflight() const { return max_inflight_; }

 private:
  void InitProgress(uint64_t id, uint64_t next_index, bool learner);

  const size_t max_inflight_;
  MajorityConfig voters_;
  std::set<uint64_t> learners_;
  std::map<uint64_t, Progress> progress_;
  absl::flat_hash_map<uint64_t, bool> votes_;
};

}  // namespace etcdpp::raft
