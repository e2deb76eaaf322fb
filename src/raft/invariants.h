#pragma once
// Debug-build invariant checks run after every Step and Tick (as logcabin
// Server/RaftConsensusInvariants.cc). A violation aborts with the invariant in the message:
//  - the term never decreases;
//  - the commit index never decreases and never exceeds the last index;
//  - at most one vote per term: within a term, a vote once cast never changes;
//  - at most one leader per term as seen by this member (its lead never changes in a term);
//  - applied <= committed.

#include <cstdint>
#include <map>
#include <memory>

namespace etcdpp::raft {

class Raft;

class InvariantChecker {
 public:
  void Check(const Raft& r);

 private:
  bool initialized_ = false;
  uint64_t term_ = 0;
  uint64_t commit_ = 0;
  uint64_t vote_ = 0;
  uint64_t lead_ = 0;
};

// A checker in debug builds (!NDEBUG), nullptr otherwise.
std::unique_ptr<InvariantChecker> MakeInvariantChecker(const Raft& r);

}  // namespace etcdpp::raft
