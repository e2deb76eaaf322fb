#pragma once
// Test-only: the safety properties of Raft (§5.2, §5.4, Figure 3), checked against what every
// member does, on every step of a simulation. The first violation is kept as an error status
// (the simulation stops there); nothing aborts, so a failing seed can print its history.
//
//  - Election Safety: at most one leader per term.
//  - Log Matching: entries at the same index and term are the same entry with the same
//    predecessor term (checked on every persisted entry), so the logs are identical up to it
//    (checked in full by CheckLogMatching).
//  - Leader Completeness / no committed entry is lost: a leader of term T holds every entry
//    committed in a term before T, and a member's committed prefix never changes.
//  - State Machine Safety: members apply the same entry at the same index (compared through a
//    hash chain of everything applied, snapshots included).
//  - Persistence: a member's persisted term and commit never go back, and it never votes twice
//    in a term, across restarts.
//  - Linearizable reads: a ReadIndex answer is at least the commit index any member knew when
//    the read was issued.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "raft/raft.h"
#include "raft/sim/state_machine.h"
#include "raft/types.h"

namespace etcdpp::raft::sim {

// The term of entry i of `log`, if the log still has it (or i is its snapshot index).
std::optional<uint64_t> TermAt(const RaftLog& log, uint64_t i);

class Checker {
 public:
  Checker() : applied_hash_{0} {}

  // Before member `id` (running `r`) acts on `rd`.
  void OnReady(uint64_t id, const Raft& r, const Ready& rd);
  // Member `id` applied entries up to sm.index (or installed a snapshot at it).
  void OnApplied(uint64_t id, const StateMachine& sm);
  // After any input to member `id` and the Ready it produced.
  void AfterStep(uint64_t id, const Raft& r);
  void OnReadIssued(const std::string& ctx) { reads_[ctx] = max_commit_; }
  void OnReadState(uint64_t id, const ReadState& rs);
  // Full pairwise log comparison; O(members^2 * log length), so for the end of a run.
  void CheckLogMatching(const std::vector<std::pair<uint64_t, const Raft*>>& members);

  const absl::Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }
  uint64_t max_commit() const { return max_commit_; }
  size_t leaders_elected() const { return leader_of_term_.size(); }
  void Fail(const std::string& what);

 private:
  void CheckEntries(uint64_t id, const Raft& r, const std::vector<Entry>& ents);
  void CheckHardState(uint64_t id, const HardState& hs);
  void RecordCommit(uint64_t id, const Raft& r);
  void CheckLeader(uint64_t id, const Raft& r);

  absl::Status status_;
  // (index, term) -> (hash of the entry, term of its predecessor).
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, uint64_t>> entries_;
  std::map<uint64_t, HardState> persisted_;  // by member
  std::map<uint64_t, uint64_t> leader_of_term_;
  // committed_term_[i]: term of the committed entry i (0: seen only inside a snapshot).
  std::vector<uint64_t> committed_term_{0};
  uint64_t max_commit_ = 0;
  // When the highest commit index grew: (term of the member that first knew it, index).
  std::vector<std::pair<uint64_t, uint64_t>> commit_growth_;
  // applied_hash_[i]: the state machine hash after applying entry i, as first applied.
  std::vector<uint64_t> applied_hash_;
  std::map<std::string, uint64_t> reads_;  // read ctx -> max commit when issued
};

}  // namespace etcdpp::raft::sim
