#pragma once
// Quorum arithmetic over a majority configuration (etcd-io/raft quorum/majority.go). With one
// voter the quorum is that voter alone, so a single member elects itself and commits by itself
// through the same code as a five-member cluster.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace etcdpp::raft {

enum class VoteResult { kPending, kLost, kWon };

class MajorityConfig {
 public:
  MajorityConfig() = default;
  explicit MajorityConfig(std::set<uint64_t> ids) : ids_(std::move(ids)) {}

  // The largest index that a majority of voters has acknowledged; `acked(id)` returns a voter's
  // acknowledged index or nullopt (counted as 0). An empty config commits everything (max).
  uint64_t CommittedIndex(const std::function<std::optional<uint64_t>(uint64_t)>& acked) const;
  // kWon with a majority of yes votes, kLost when that is no longer possible, else kPending.
  // An empty config wins (so that a joint config half can be empty).
  VoteResult Vote(const absl::flat_hash_map<uint64_t, bool>& votes) const;

  const std::set<uint64_t>& ids() const { return ids_; }
  std::set<uint64_t>& mutable_ids() { return ids_; }
  size_t size() const { return ids_.size(); }
  bool Contains(uint64_t id) const { return ids_.count(id) > 0; }
  std::string DebugString() const;

 private:
  std::set<uint64_t> ids_;
};

}  // namespace etcdpp::raft
